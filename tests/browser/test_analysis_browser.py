"""The analysis pages in a real browser: tables, charts, CSV, progress, axe on each page.

Runs against ``microcasa serve`` (see conftest.py) after 150 synthetic responses
and an organiser account are added to its database.
MICROCASA_SCREENSHOTS=1 refreshes the pictures of docs/analysis.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.support import AxeReport, require_tools, run_axe

if TYPE_CHECKING:
    from tests.browser.conftest import Server, Watch

require_tools()

from playwright.sync_api import expect  # noqa: E402 - once known present

from analysis.synthetic import load_synthetic  # noqa: E402
from microcasa.auth import service  # noqa: E402
from microcasa.db import Database  # noqa: E402
from microcasa.settings import load_settings  # noqa: E402
from tests.browser.conftest import SECRET, STAFF_PASSWORD, sign_in  # noqa: E402

expect.set_options(timeout=20_000)
NewContext = Callable[..., Any]
TABLES = "/analysis/microcasa_hei"


@pytest.fixture(scope="module", autouse=True)
def responses(server: Server, browser_database_url: str) -> None:
    """Synthetic responses and an organiser, written to the served database (once prepared)."""
    settings = load_settings(database_url=browser_database_url, secret_key=SECRET, env="test")
    database = Database(settings)
    try:
        with database.transaction() as session:
            load_synthetic(session, 150, seed=5)
            service.create_user(
                session, email="organiser@example.org", password=STAFF_PASSWORD, role="organiser"
            )
    finally:
        database.dispose()


def test_a_researcher_reads_compares_and_downloads(
    server: Server,
    new_context: NewContext,
    watch: Watch,
    screenshot_dir: Path,
    axe_report: AxeReport,
) -> None:
    page = new_context(bypass_csp=True, accept_downloads=True).new_page()
    sign_in(page, server, "researcher@example.org")
    page.goto(server.url("/analysis"))
    expect(page.locator("main")).to_contain_text("150 synthetic (demo)")
    run_axe(page, "analysis index", axe_report)
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Tables")).click()

    expect(page.locator(".an-synthetic")).to_contain_text("SYNTHETIC DEMO DATA")
    first = page.locator("article.an-item").first
    expect(first.locator("table.an-table")).to_be_visible()
    expect(first.locator("svg.chart")).to_be_visible()
    expect(first.locator(".an-footnotes")).to_contain_text("Base: respondents")
    run_axe(page, "analysis tables", axe_report)
    page.screenshot(path=str(screenshot_dir / "analysis-tables.png"))
    page.locator("article.an-item").nth(1).screenshot(
        path=str(screenshot_dir / "analysis-table.png")
    )

    with page.expect_download() as download:
        first.get_by_role("link", name=re.compile("Download this table as CSV")).click()
    saved = Path(download.value.path())
    text = saved.read_text(encoding="utf-8-sig")
    assert text.splitlines()[2].startswith("value,answer,DE n,DE %")

    # Another section, split by type of institution, only two countries.
    page.get_by_role("link", name=re.compile(r"^B\. Awareness")).click()
    page.select_option("#by", "a2")
    page.fill("#filter", "country in MY,ID")
    with page.expect_navigation():
        page.get_by_role("button", name="Show tables").click()
    expect(page.locator("main")).to_contain_text("country in MY,ID")
    expect(page.locator("article.an-item").first.locator("caption")).to_contain_text("by a2:")
    likert = page.locator("article.an-item").nth(1)
    expect(likert.locator("text=Top-2-box")).to_be_visible()
    likert.screenshot(path=str(screenshot_dir / "analysis-likert.png"))

    page.fill("#filter", "nosuch=1")
    with page.expect_navigation():
        page.get_by_role("button", name="Show tables").click()
    expect(page.locator(".error-summary")).to_contain_text("nosuch")
    run_axe(page, "analysis tables with a filter error", axe_report)

    page.goto(server.url(f"{TABLES}/progress"))
    expect(page.locator("table.an-progress")).to_contain_text("Total")
    run_axe(page, "response progress", axe_report)
    page.screenshot(path=str(screenshot_dir / "analysis-progress.png"), full_page=True)

    page.goto(server.url(f"{TABLES}/policy"))
    expect(page.locator("main")).to_contain_text("Rank correlations between countries")
    run_axe(page, "policy beside survey", axe_report)
    page.screenshot(path=str(screenshot_dir / "analysis-policy.png"), full_page=True)
    assert watch.server_errors == []


def test_an_organiser_sees_small_counts_hidden(
    server: Server, new_context: NewContext, watch: Watch, axe_report: AxeReport
) -> None:
    page = new_context(bypass_csp=True).new_page()
    sign_in(page, server, "organiser@example.org")
    page.goto(server.url(f"{TABLES}?section=all"))
    expect(page.locator("main")).to_contain_text("are hidden (–)")
    expect(page.locator(".an-hidden").first).to_be_attached()
    expect(page.locator("#view")).to_have_count(0)  # no way to lift the suppression
    run_axe(page, "analysis tables as organisers see them", axe_report)
    assert watch.server_errors == []


def test_a_coordinator_follows_their_own_country(
    server: Server, new_context: NewContext, watch: Watch
) -> None:
    page = new_context().new_page()
    sign_in(page, server, "coordinator.my@example.org")
    page.goto(server.url(f"{TABLES}/progress"))
    rows = page.locator("table.an-progress tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("MY")
    answer = page.goto(server.url(TABLES))
    assert answer is not None and answer.status == 403
    assert watch.server_errors == []
