"""The policy matrix in a real browser: a researcher and a coordinator at work, axe on each page.

Runs against ``microcasa serve`` with the bundled matrix loaded (see conftest.py).
MICROCASA_SCREENSHOTS=1 refreshes the pictures of docs/policy-matrix.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.support import AxeReport, require_tools, run_axe

if TYPE_CHECKING:
    from tests.browser.conftest import Server, Watch

require_tools()

from playwright.sync_api import expect  # noqa: E402 - once known present

from tests.browser.conftest import sign_in  # noqa: E402

expect.set_options(timeout=15_000)
NewContext = Callable[..., Any]
SAVE = "form[action='/policy/cell/DE/PM09'] button[type=submit]"
XSS = '<img src=x onerror="window.__xss=1"> checked in the gazette'


def test_a_researcher_reads_edits_and_compares(
    server: Server,
    new_context: NewContext,
    watch: Watch,
    screenshot_dir: Path,
    axe_report: AxeReport,
) -> None:
    # axe is injected as a script, so the page's CSP is bypassed; an unescaped payload
    # would then run, which the XSS check below would see.
    page = new_context(bypass_csp=True).new_page()
    sign_in(page, server, "researcher@example.org")

    page.goto(server.url("/policy"))
    grid = page.locator("table.pm-grid")
    expect(grid).to_contain_text("reference")
    cell = page.locator("a[href='/policy/cell/MY/PM01']")
    expect(cell).to_have_text("adopted")  # the status in words, not only a colour
    run_axe(page, "policy matrix grid", axe_report)
    page.screenshot(path=str(screenshot_dir / "policy-grid.png"))

    with page.expect_navigation():
        cell.click()
    expect(page.locator("#evidence-heading")).to_be_visible()
    run_axe(page, "policy cell page", axe_report)

    # An edit without a reason and with min above max: the error summary, then a real save.
    page.goto(server.url("/policy/cell/DE/PM09/edit"))
    page.evaluate("document.querySelectorAll('form').forEach((f) => f.noValidate = true)")
    page.fill("[name='value.min']", "50")
    page.fill("[name='value.max']", "10")
    page.fill("#notes", XSS)
    with page.expect_navigation():
        page.click(SAVE)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("larger than the maximum")
    expect(summary).to_contain_text("Say why you make this change")
    run_axe(page, "policy edit page with errors", axe_report)
    page.screenshot(path=str(screenshot_dir / "policy-edit-errors.png"), full_page=True)

    page.fill("[name='value.max']", "60")
    page.fill("#reason", "Checked against the KMK framework")
    with page.expect_navigation():
        page.click(SAVE)
    expect(page).to_have_url(re.compile(r"/policy/cell/DE/PM09$"))
    history = page.locator("main")
    expect(history).to_contain_text("Checked against the KMK framework")
    expect(history).to_contain_text("<img src=x")  # shown as text, never run
    assert page.evaluate("window.__xss === undefined")

    page.goto(server.url("/policy/compare?c=MY&c=DE"))
    expect(page.locator("main")).to_contain_text("differs")
    run_axe(page, "policy comparison", axe_report)
    page.goto(server.url("/policy/changes"))
    expect(page.locator("main")).to_contain_text("Checked against the KMK framework")
    run_axe(page, "policy changes", axe_report)
    assert watch.server_errors == []


def test_a_coordinator_edits_only_their_country(
    server: Server, new_context: NewContext, watch: Watch
) -> None:
    page = new_context().new_page()
    sign_in(page, server, "coordinator.my@example.org")
    page.goto(server.url("/policy/cell/MY/PM09"))
    expect(page.get_by_role("link", name=re.compile("Edit"))).to_be_visible()
    page.goto(server.url("/policy/cell/DE/PM09"))
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    answer = page.goto(server.url("/policy/cell/DE/PM09/edit"))
    assert answer is not None and answer.status == 403
    assert watch.server_errors == []
