"""The country summary in a real browser: an organiser signs in, reads, prints and downloads.

Runs against ``microcasa serve`` (see conftest.py).
MICROCASA_SCREENSHOTS=1 refreshes the pictures of docs/exports.md.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.support import AxeReport, require_tools, run_axe

if TYPE_CHECKING:
    from tests.browser.conftest import Server, Watch

require_tools()

from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import expect  # noqa: E402 - once known present

from analysis.synthetic import load_synthetic  # noqa: E402
from microcasa.auth import service  # noqa: E402
from microcasa.db import Database  # noqa: E402
from microcasa.settings import load_settings  # noqa: E402
from tests.browser.conftest import SECRET, STAFF_PASSWORD, sign_in  # noqa: E402

expect.set_options(timeout=20_000)
NewContext = Callable[..., Any]


@pytest.fixture(scope="module", autouse=True)
def responses(request: pytest.FixtureRequest) -> None:
    """Synthetic responses and an organiser, written to the served database."""
    request.getfixturevalue("server")  # the server's database is prepared first
    url = request.getfixturevalue("browser_database_url")
    settings = load_settings(database_url=url, secret_key=SECRET, env="test")
    database = Database(settings)
    try:
        with database.transaction() as session:
            load_synthetic(session, 240, seed=5)
            service.create_user(
                session, email="organiser@example.org", password=STAFF_PASSWORD, role="organiser"
            )
    finally:
        database.dispose()


def test_an_organiser_reads_prints_and_downloads_the_malaysia_summary(
    request: pytest.FixtureRequest,
) -> None:
    # The browser tests' fixtures, imported above, by name (they are not in this folder).
    live: Server = request.getfixturevalue("server")
    contexts: NewContext = request.getfixturevalue("new_context")
    watched: Watch = request.getfixturevalue("watch")
    shots: Path = request.getfixturevalue("screenshot_dir")
    found: AxeReport = request.getfixturevalue("axe_report")
    page = contexts(bypass_csp=True, accept_downloads=True).new_page()  # for axe
    sign_in(page, live, "organiser@example.org")
    page.goto(live.url("/exports"))
    expect(page.locator("main")).to_contain_text("Country summaries for roundtables")
    run_axe(page, "exports", found)
    with page.expect_navigation():
        page.get_by_role("link", name="Page for Malaysia").click()
    expect(page.locator("h1")).to_have_text("Country summary: Malaysia (MY)")
    expect(page.locator(".an-synthetic")).to_contain_text("SYNTHETIC DEMO DATA")
    expect(page.locator("svg.chart").first).to_be_visible()
    page.select_option("#cs-lang", "ms")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("Kekurangan dana")
    run_axe(page, "country summary", found)
    page.screenshot(path=str(shots / "exports-country.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".cs-lang")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2
    (shots / "exports-country.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the workbook (.xlsx)").click()
    assert download.value.suggested_filename == "microcasa-country-MY.xlsx"
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book["Barriers"]["B4"].value
    assert watched.server_errors == []
