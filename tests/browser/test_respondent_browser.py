"""A respondent in a real browser: invitation link, open link without JavaScript, keyboard, axe.

Each test drives Chromium against ``microcasa serve`` (see conftest.py) and asserts on
what the page shows. Every page is also watched for Content-Security-Policy
violations, console errors and 5xx answers.
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

FORM_ID = "microcasa_hei"

require_tools()

from playwright.sync_api import Page, expect  # noqa: E402 - once known present

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"
MOBILE = {"width": 390, "height": 844}
expect.set_options(timeout=15_000)  # a busy CI machine is slower than a laptop

NewContext = Callable[..., Any]


# --- small steps a respondent takes ---------------------------------------------------------


def settle(page: Page) -> None:
    """Wait until htmx has no request in flight (a live update has been swapped in)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def answer(page: Page, name: str, value: str, live: bool = True) -> None:
    page.check(f"#{name}-{value}")
    if live:
        settle(page)


def press_action(page: Page, action: str) -> None:
    """Press a pager button (next, back, save, lang:xx) and wait for the next page."""
    with page.expect_navigation():
        page.click(f"button[name=action][value='{action}']:not([aria-hidden=true])")


def comment_and_consent(page: Page, comment: str, javascript: bool = True) -> None:
    """Write the closing comment (I4), then allow it to be quoted (I5, which follows from it).

    With JavaScript the consent question appears as the comment is written; without, the
    page comes back once with it (a follow-up question is never skipped unseen).
    """
    page.fill("#i4", comment)
    consent = page.locator("#i5-yes")
    if javascript:
        page.locator("#i4").blur()
    else:
        press_action(page, "next")
    expect(consent).to_be_visible()
    page.wait_for_load_state("networkidle")  # the page's live update has settled
    consent.check()
    press_action(page, "next")  # the last page's Next submits


def page_name(page: Page) -> str:
    found = re.search(r"/p/([^/?]+)", page.url)
    return found.group(1) if found else ""


def next_until(page: Page, last: str) -> None:
    """Press Next on every page until the page ``last`` is shown."""
    for _ in range(12):
        if page_name(page) == last:
            return
        press_action(page, "next")
    pytest.fail(f"never reached page {last}; at {page.url}")


def assert_csp_header(headers: dict[str, str]) -> None:
    csp = headers.get("content-security-policy", "")
    assert csp, "no Content-Security-Policy header"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert "script-src 'self'" in csp, csp


def assert_clean(watch: Watch, *pages: Page) -> None:
    for page in pages:
        watch.collect_page(page)
    assert watch.csp == [], f"CSP violations: {watch.csp}"
    assert watch.server_errors == [], f"server errors: {watch.server_errors}"
    assert watch.console_errors == [], f"console errors: {watch.console_errors}"


def consent_through_open_link(page: Page, server: Server, institution: str) -> str:
    """Give consent, country and institution on the open link; the resume code shown."""
    page.goto(server.url(f"/s/{FORM_ID}"))
    page.select_option("#country", "ID")
    page.fill("#institution", institution)
    page.check("#consent")
    with page.expect_navigation():
        page.click("form[action$='/consent'] button[type=submit]")
    code = page.locator(".resume-code strong").inner_text().strip()
    assert len(code) >= 12, code
    return code


def answer_profile(page: Page, live: bool) -> None:
    chosen = {"a1": "ID", "a2": "public", "a3": "technical", "a4": "under_5k", "a5": "qa_officer"}
    for name, value in chosen.items():
        answer(page, name, value, live)


# --- scenario A: the invitation link, JavaScript on ----------------------------------------


def test_invitation_with_javascript(server: Server, new_context: NewContext, watch: Watch) -> None:
    token = server.invitation()
    page = new_context().new_page()

    # The link opens the consent page in Bahasa Indonesia; the token leaves the address bar.
    first = page.goto(server.url(f"/i/{token}"))
    assert first is not None
    assert_csp_header(first.headers)
    assert token not in page.url and page.url.endswith(f"/s/{FORM_ID}")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator(".current-language")).to_have_text("Bahasa Indonesia (id)")
    page.check("#consent")
    with page.expect_navigation():
        page.click("form[action$='/consent'] button[type=submit]")

    # The welcome note and page A come in Indonesian.
    expect(page).to_have_url(re.compile(r"/p/intro\?lang=id$"))
    expect(page.locator(".note")).to_contain_text("Selamat datang di survei MICROCASA")
    press_action(page, "next")
    expect(page.locator("h1")).to_have_text("A. Profil institusi")
    expect(page.locator("#q-a1 legend")).to_contain_text("Di negara mana institusi Anda berada?")

    # htmx runs under the CSP: no inline indicator styles, no eval, no inline scripts.
    configured = page.evaluate(
        "[htmx.config.includeIndicatorStyles, htmx.config.allowEval, htmx.config.allowScriptTags]"
    )
    assert configured == [False, False, False]

    # Choosing 'other' for a3 shows a3_other at once, without a page load (htmx).
    page.evaluate("window.__samePage = true")
    answer(page, "a1", "ID")
    answer(page, "a2", "private_nonprofit")
    expect(page.locator("#a3_other")).to_have_count(0)
    answer(page, "a3", "other")
    expect(page.locator("#a3_other")).to_be_visible()
    expect(page.locator("label[for=a3_other]")).to_have_text("Sebutkan profil institusi Anda.")
    assert page.evaluate("window.__samePage") is True, "the page was reloaded"
    assert page_name(page) == "a_profile"
    page.fill("#a3_other", f"Politeknik {XSS_IMG} {XSS_SCRIPT}")
    answer(page, "a4", "5k_15k")
    answer(page, "a5", "lll_head")
    # Typing, then choosing at once: the live updates in between keep every answer.
    for chosen in ("#a1-ID", "#a2-private_nonprofit", "#a3-other", "#a4-5k_15k", "#a5-lll_head"):
        expect(page.locator(chosen)).to_be_checked()
    expect(page.locator("#a3_other")).to_have_value(f"Politeknik {XSS_IMG} {XSS_SCRIPT}")
    press_action(page, "next")

    # Page B (nothing required), then C: 'none' hides the provision details at once.
    expect(page).to_have_url(re.compile(r"/p/b_awareness\?lang=id$"))
    press_action(page, "next")
    expect(page).to_have_url(re.compile(r"/p/c_provision\?lang=id$"))
    expect(page.locator("#c2")).to_have_count(0)
    page.evaluate("window.__samePage = true")
    answer(page, "c1", "established")
    expect(page.locator("#c2")).to_be_visible()
    answer(page, "c1", "none")
    expect(page.locator("#c2")).to_have_count(0)
    assert page.evaluate("window.__samePage") is True, "the page was reloaded"

    # Save and continue later.
    press_action(page, "save")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("a[href*='/p/c_provision']")).to_be_visible()
    assert_clean(watch, page)
    page.context.close()

    # Back through the invitation link, in a new browser: the page where they left.
    page = new_context().new_page()
    page.goto(server.url(f"/i/{token}"))
    expect(page).to_have_url(re.compile(r"/p/c_provision\?lang=id$"))
    expect(page.locator("#c1-none")).to_be_checked()
    expect(page.locator("h1")).to_have_text("C. Penyelenggaraan saat ini")

    # Switch to English: the page comes back in English with the answers kept.
    press_action(page, "lang:en")
    expect(page).to_have_url(re.compile(r"/p/c_provision\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("C. Current provision")
    expect(page.locator("#c1-none")).to_be_checked()
    press_action(page, "back")
    press_action(page, "back")
    expect(page.locator("h1")).to_have_text("A. Institutional profile")
    expect(page.locator("#a3-other")).to_be_checked()
    expect(page.locator("#a3_other")).to_have_value(f"Politeknik {XSS_IMG} {XSS_SCRIPT}")
    press_action(page, "next")
    press_action(page, "next")

    # c1 = none skips the design and quality assurance pages.
    press_action(page, "next")
    expect(page).to_have_url(re.compile(r"/p/f_recognition\?lang=en$"))
    next_until(page, "i_barriers")
    comment_and_consent(page, f"A framework. {XSS_SCRIPT} {XSS_IMG}")

    # The thank-you page shows the answers, the payloads as plain text.
    expect(page).to_have_url(re.compile(rf"/s/{FORM_ID}/thanks"))
    thanks = page.goto(page.url)
    assert thanks is not None
    assert_csp_header(thanks.headers)
    copy = page.locator(".answer-copy")
    expect(copy).to_contain_text("Indonesia")
    expect(copy).to_contain_text("Private, not-for-profit")
    expect(copy).to_contain_text("5,000–14,999")
    expect(copy).to_contain_text("Head of lifelong learning or continuing education")
    expect(copy).to_contain_text("None: no micro-credentials offered or planned")
    expect(copy).to_contain_text(f"Politeknik {XSS_IMG} {XSS_SCRIPT}")
    expect(copy).to_contain_text(f"A framework. {XSS_SCRIPT} {XSS_IMG}")
    assert page.evaluate("typeof window.__xss") == "undefined"
    expect(page.locator("img[src=x]")).to_have_count(0)
    assert page.locator("script:not([src])").count() == 0
    assert_clean(watch, page)

    # The link has been used: it now gets the one answer for unusable links.
    gone = page.goto(server.url(f"/i/{token}"))
    assert gone is not None and gone.status == 404
    expect(page.locator("h1").first).to_be_visible()


def test_live_update_keeps_what_was_typed_meanwhile(
    server: Server, new_context: NewContext, watch: Watch
) -> None:
    """On a slow network the answers given while a live update travels are not lost."""
    page = new_context().new_page()
    consent_through_open_link(page, server, "Universitas Jaringan Lambat")
    with page.expect_navigation():
        page.click("a.button")
    press_action(page, "next")
    answer(page, "a1", "other")
    expect(page.locator("#a1_other")).to_be_visible()

    held: list[Any] = []
    page.route("**/live", lambda route: held.append(route))
    page.check("#a2-public")  # its live update is held back...
    page.fill("#a1_other", "Timor-Leste")  # ...while the respondent goes on
    page.check("#a4-under_5k")
    page.wait_for_timeout(200)
    assert len(held) == 1, "htmx queues the second update behind the first"
    held[0].continue_()
    page.wait_for_timeout(200)
    for route in held[1:]:
        route.continue_()
    page.unroute("**/live")
    settle(page)
    expect(page.locator("#a1_other")).to_have_value("Timor-Leste")
    expect(page.locator("#a2-public")).to_be_checked()
    expect(page.locator("#a4-under_5k")).to_be_checked()
    answer(page, "a3", "comprehensive")
    answer(page, "a5", "dean")
    press_action(page, "next")
    press_action(page, "back")
    expect(page.locator("#a1_other")).to_have_value("Timor-Leste")
    expect(page.locator("#a4-under_5k")).to_be_checked()
    assert_clean(watch, page)


def test_language_chosen_on_the_consent_page_is_kept(
    server: Server, new_context: NewContext
) -> None:
    """An invitation in one language, the notice read in another: the pages follow the choice."""
    page = new_context().new_page()
    page.goto(server.url(f"/i/{server.invitation()}"))  # an invitation in Bahasa Indonesia
    page.click("a[lang=de]")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.check("#consent")
    with page.expect_navigation():
        page.click("form[action$='/consent'] button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    press_action(page, "next")
    expect(page.locator("h1")).to_have_text("A. Profil der Hochschule")
    expect(page.locator("html")).to_have_attribute("lang", "de")


# --- scenario B: the open link, JavaScript off ---------------------------------------------


def test_open_link_without_javascript(
    server: Server, new_context: NewContext, watch: Watch
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    code = consent_through_open_link(page, server, "Institut Tanpa Skrip")
    with page.expect_navigation():
        page.click("a.button")
    expect(page).to_have_url(re.compile(r"/p/intro"))
    press_action(page, "next")

    # Next with nothing answered: the error summary, each link to its question.
    press_action(page, "next")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#q-a1']")).to_contain_text(
        "In which country is your institution located?"
    )
    expect(page.locator("#q-a1 .field-error")).to_be_visible()
    answer_profile(page, live=False)
    page.check("#a3-other")  # without JavaScript a3_other is not on the page yet
    press_action(page, "next")
    # Next shows the same page again with the follow-up question that the answer made relevant.
    expect(page).to_have_url(re.compile(r"/p/a_profile"))
    expect(page.locator("#a3_other")).to_be_visible()
    page.fill("#a3_other", "Research institute")
    press_action(page, "next")
    expect(page).to_have_url(re.compile(r"/p/b_awareness"))
    press_action(page, "next")

    # Server-side skip logic: 'emerging' leads to the design page, 'none' past it.
    answer(page, "c1", "emerging", live=False)
    press_action(page, "next")
    # The provision details (C2–C6) now apply: the page comes back with them first.
    expect(page).to_have_url(re.compile(r"/p/c_provision"))
    expect(page.locator("#c2")).to_be_visible()
    press_action(page, "next")
    expect(page).to_have_url(re.compile(r"/p/d_design"))
    press_action(page, "back")
    expect(page.locator("#c1-emerging")).to_be_checked()
    expect(page.locator("#c2")).to_be_visible()  # shown now that c1 says there is an offer
    answer(page, "c1", "none", live=False)
    press_action(page, "next")
    expect(page).to_have_url(re.compile(r"/p/f_recognition"))
    press_action(page, "next")
    page.locator("#q-g1 input[type=radio]").first.check()
    press_action(page, "save")
    page.context.close()

    # Continue on another device with the resume code.
    page = new_context(java_script_enabled=False).new_page()
    page.goto(server.url(f"/s/{FORM_ID}/resume"))
    page.fill("#code", code.lower())
    with page.expect_navigation():
        page.click("form[action$='/resume'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/p/g_stackability"))
    expect(page.locator("#q-g1 input[type=radio]").first).to_be_checked()
    next_until(page, "i_barriers")
    comment_and_consent(page, "Tanpa JavaScript pun bisa.", javascript=False)
    expect(page).to_have_url(re.compile(rf"/s/{FORM_ID}/thanks"))
    copy = page.locator(".answer-copy")
    expect(copy).to_contain_text("Tanpa JavaScript pun bisa.")
    expect(copy).to_contain_text("Quality assurance officer")
    assert_clean(watch)


# --- scenario C: keyboard only --------------------------------------------------------------


def focused(page: Page) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return {id: e.id, name: e.name || '', value: e.value || '', cls: e.className}; }"
        )
    )


def test_keyboard_grid_and_skip_link(server: Server, new_context: NewContext, watch: Watch) -> None:
    page = new_context().new_page()
    consent_through_open_link(page, server, "Universitas Papan Ketik")
    with page.expect_navigation():
        page.click("a.button")
    press_action(page, "next")
    answer_profile(page, live=True)
    press_action(page, "next")
    expect(page).to_have_url(re.compile(r"/p/b_awareness"))

    # The first Tab reaches the skip link; Enter moves the focus to the main region.
    page.keyboard.press("Tab")
    assert "skip-link" in focused(page)["cls"]
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    # Tab on into the Likert grid; arrows choose within a row, Space on the next row.
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused(page)["name"] == "b2_eu":
            break
    else:
        pytest.fail("Tab never reached the grid's first row")
    page.keyboard.press("ArrowRight")
    settle(page)
    expect(page.locator("#b2_eu-2")).to_be_checked()
    assert focused(page)["id"] == "b2_eu-2", "the live update kept the focus"
    page.keyboard.press("ArrowRight")
    settle(page)
    expect(page.locator("#b2_eu-3")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "b2_microbol"
    page.keyboard.press("Space")
    settle(page)
    expect(page.locator("#b2_microbol-1")).to_be_checked()

    # On to the pager by keyboard; the answers survive the round trip.
    for _ in range(80):
        page.keyboard.press("Tab")
        if focused(page)["value"] == "next":
            break
    else:
        pytest.fail("Tab never reached the Next button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/p/c_provision"))
    press_action(page, "back")
    expect(page.locator("#b2_eu-3")).to_be_checked()
    expect(page.locator("#b2_microbol-1")).to_be_checked()
    assert_clean(watch, page)


# --- axe-core on every page type, and the screenshots for the guide --------------------------


def test_axe_on_every_page_type(
    server: Server,
    new_context: NewContext,
    watch: Watch,
    screenshot_dir: Path,
    axe_report: AxeReport,
) -> None:
    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"respondent-{name}.png"), full_page=True)

    context = new_context(bypass_csp=True)
    page = context.new_page()

    # The invitation's consent page, then the open link's (with its form and its errors).
    page.goto(server.url(f"/i/{server.invitation()}"))
    run_axe(page, "consent page (invitation)", axe_report)
    context.clear_cookies()
    page.goto(server.url(f"/s/{FORM_ID}?lang=id"))
    shot(page, "consent")
    run_axe(page, "consent page (open link)", axe_report)
    page.evaluate("document.querySelector('form[action$=\"/consent\"]').noValidate = true")
    with page.expect_navigation():
        page.click("form[action$='/consent'] button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    run_axe(page, "consent page with errors", axe_report)

    consent_through_open_link(page, server, "Universitas Aksesibel")
    run_axe(page, "resume code page", axe_report)
    with page.expect_navigation():
        page.click("a.button")
    press_action(page, "next")

    # A question page, on a phone and on a desktop.
    run_axe(page, "question page", axe_report)
    shot(page, "question-desktop")
    page.set_viewport_size(MOBILE)
    shot(page, "question-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The error summary.
    press_action(page, "next")
    expect(page.locator(".error-summary")).to_be_visible()
    run_axe(page, "page with the error summary", axe_report)
    shot(page, "errors")
    answer_profile(page, live=True)
    answer(page, "a3", "other")  # a live update, then axe on the swapped-in questions
    page.fill("#a3_other", "Politeknik negeri")
    run_axe(page, "question page after a live update", axe_report)
    press_action(page, "next")

    # The Likert grid.
    answer(page, "b1", "3")
    answer(page, "b2_eu", "4")
    run_axe(page, "Likert grid page", axe_report)
    shot(page, "grid")
    page.set_viewport_size(MOBILE)
    run_axe(page, "Likert grid page (390 px)", axe_report)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Saved, then the page that asks for the code.
    press_action(page, "save")
    run_axe(page, "saved page", axe_report)
    page.goto(server.url(f"/s/{FORM_ID}/resume"))
    run_axe(page, "resume page", axe_report)

    # On to the end, and the thank-you page.
    page.goto(server.url(f"/s/{FORM_ID}"))
    next_until(page, "i_barriers")
    comment_and_consent(page, "A shared national register.")
    expect(page).to_have_url(re.compile(rf"/s/{FORM_ID}/thanks"))
    run_axe(page, "thank-you page", axe_report)
    shot(page, "thanks")

    # The link-unusable page.
    page.goto(server.url("/i/not-a-token"))
    run_axe(page, "link-unusable page", axe_report)
    assert watch.server_errors == []
