"""The XSS corpus stored everywhere staff read it, then every such page in Chromium with a
canary: no payload's script may run (``window.__canary``, a dialog), with and without the
page's Content-Security-Policy, and every page sends that policy.

Runs against ``microcasa serve`` (tests/browser/conftest.py). The payloads are stored
through the platform's own services and its JSON API, as staff and scripts would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.browser.support import require_tools

if TYPE_CHECKING:
    from tests.browser.conftest import Server, Watch

require_tools()

from microcasa.auth import service, tokens  # noqa: E402
from microcasa.db import Database  # noqa: E402
from microcasa.settings import load_settings  # noqa: E402
from survey import invitations, versions  # noqa: E402
from survey.models import VersionStatus  # noqa: E402
from tests.browser.conftest import SECRET, STAFF_PASSWORD, sign_in  # noqa: E402
from tests.security import corpus  # noqa: E402
from tests.security.questionnaires import xlsform  # noqa: E402
from tests.security.support import tally  # noqa: E402
from tests.survey.fieldwork_support import csv_file  # noqa: E402

NewContext = Callable[..., Any]
CANARY = tally("browser canary")
XSS = corpus.load("xss")
ADMIN = "admin@example.org"
QUESTIONS = 6  # of the payload questionnaire; every payload is a choice label of each
POLICY = ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")
# Records what the payloads could do if they ever ran, before any script of the page.
TRAP = """
window.__canaryHits = [];
Object.defineProperty(window, '__canary', {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__canaryHits.push(String(value)); },
});
"""


def _store_everywhere(database_url: str) -> str:
    """The corpus in display names, token names, institution names and a questionnaire's
    labels; an admin account; a researcher's API token (returned)."""
    settings = load_settings(database_url=database_url, secret_key=SECRET, env="test")
    database = Database(settings)
    try:
        with database.transaction() as session:
            admin = service.create_user(session, email=ADMIN, password=STAFF_PASSWORD, role="admin")
            for number, payload in enumerate(XSS):
                service.create_user(
                    session,
                    email=f"xss{number}@example.org",
                    password=STAFF_PASSWORD,
                    role="organiser",
                    display_name=payload,
                )
                tokens.create_token(session, admin, payload)
            version = versions.publish(
                session,
                xlsform(list(XSS), XSS[0], questions=QUESTIONS),
                "attack_form.xlsx",
                publisher=ADMIN,
                status=VersionStatus.OPEN,
            ).version
            questionnaire = versions.get_questionnaire(session, "microcasa_hei")
            table = [["name", "country", "contact_name"]]
            table += [[f"{p} #{n}", "MY", p] for n, p in enumerate(XSS)]  # # keeps names apart
            rows = invitations.read_invitee_file(
                csv_file(table),
                "x.csv",
                versions.form_of(versions.versions_of(session, questionnaire)[0]),
            )
            invitations.invite(session, SECRET, questionnaire, rows)
            assert version.id is not None
            researcher = service.find_user(session, "researcher@example.org")
            assert researcher is not None
            return tokens.create_token(session, researcher, "xss script").secret
    finally:
        database.dispose()


def _api(page: Any, method: str, url: str, token: str, body: dict[str, Any]) -> None:
    reply = page.request.fetch(
        url,
        method=method,
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    CANARY.answered(type("R", (), {"status_code": reply.status, "text": reply.text()})(), url)
    assert reply.status in (200, 201), (url, reply.status, reply.text()[:500])


def _submit(page: Any, server: Server, token: str) -> None:
    """Responses whose free text is the corpus, to both questionnaires; matrix cells."""
    import uuid

    base = {"a1": "other", "a2": "public", "a3": "comprehensive", "a4": "5k_15k"}
    for payload in XSS:
        answers = {**base, "a5": "qa_officer", "a1_other": payload, "i4": payload, "i5": "yes"}
        body = {
            "instance_id": str(uuid.uuid4()),
            "language": "en",
            "country": "MY",
            "answers": answers,
        }
        _api(page, "POST", server.url("/api/forms/microcasa_hei/submissions"), token, body)
    for number in range(len(XSS)):
        answers = {f"q{n}": f"c{(n + number) % len(XSS)}" for n in range(QUESTIONS)}
        answers["t_free"] = XSS[number]
        body = {
            "instance_id": str(uuid.uuid4()),
            "language": "default",
            "country": "MY",
            "answers": answers,
        }
        _api(page, "POST", server.url("/api/forms/attack_form/submissions"), token, body)
    notes = "\n".join(XSS)
    for code in ("MY", "DE"):
        sources = [
            {
                "title": p,
                "url": "https://evil.example/" + p if " " not in p else "https://ok.example/",
            }
            for p in XSS
        ]
        cell = {"status": "adopted", "notes": notes, "evidence": sources, "reason": notes[:1000]}
        _api(page, "PUT", server.url(f"/api/policy/{code}/PM01"), token, cell)


LISTS = ("/admin/users", "/forms/microcasa_hei/responses", "/forms/attack_form/responses")


def _pages(server: Server) -> list[str]:
    return [
        "/dashboard",
        "/account",
        "/admin/users",
        "/forms",
        "/forms/attack_form",
        "/forms/attack_form/1",
        "/forms/attack_form/1/preview",
        "/forms/attack_form/1/preview?page=2",
        "/forms/microcasa_hei/invitations",
        "/forms/microcasa_hei/responses",
        "/forms/attack_form/responses",
        "/analysis",
        "/analysis/microcasa_hei",
        "/analysis/microcasa_hei?section=i_barriers",
        "/analysis/microcasa_hei/progress",
        "/analysis/attack_form",
        "/analysis/attack_form?by=q1",
        "/analysis/attack_form/progress",
        "/analysis/microcasa_hei/policy",
        "/policy",
        "/policy/cell/MY/PM01",
        "/policy/cell/MY/PM01/edit",
        "/policy/cell/DE/PM01",
        "/policy/changes",
        "/policy/compare?c=MY&c=DE",
        "/exports",
        "/exports/country/MY",
        "/exports/country/MY?form=attack_form",
    ]


def _visit(page: Any, server: Server, path: str, hits: list[str]) -> None:
    answer = page.goto(server.url(path), wait_until="load")
    assert answer is not None
    status = CANARY.answered(
        type("R", (), {"status_code": answer.status, "text": ""})(), f"GET {path}"
    )
    if status >= 400:
        CANARY.lost.append(f"{path}: answered {status}")
        return
    policy = answer.headers.get("content-security-policy", "")
    lax = "unsafe-inline" in policy or "unsafe-eval" in policy
    if lax or not all(rule in policy for rule in POLICY):
        CANARY.leaked.append(f"{path}: Content-Security-Policy {policy!r}")
    if answer.headers.get("referrer-policy") != "no-referrer":
        CANARY.leaked.append(f"{path}: Referrer-Policy {answer.headers.get('referrer-policy')}")
    if answer.headers.get("x-content-type-options") != "nosniff":
        CANARY.leaked.append(f"{path}: no X-Content-Type-Options")
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => d.open = true)")
    page.keyboard.press("Tab")
    ran = page.evaluate("window.__canaryHits")
    hits.extend(f"{path}: {value}" for value in ran)


def _recorder(dialogs: list[str]) -> Callable[[Any], None]:
    """A dialog handler: note the message (a payload's alert), close the dialog."""

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    return record


def test_no_stored_payload_runs_on_any_staff_page(
    server: Server, browser_database_url: str, new_context: NewContext, watch: Watch
) -> None:
    token = _store_everywhere(browser_database_url)
    for bypass in (True, False):
        # With the policy bypassed, only escaping stands between a payload and the page.
        context = new_context(bypass_csp=bypass)
        context.add_init_script(TRAP)
        dialogs: list[str] = []
        page = context.new_page()
        page.on("dialog", _recorder(dialogs))
        if bypass:
            _submit(page, server, token)
            # The trap itself: a payload that does run is seen.
            page.goto("about:blank")
            page.set_content(f"<p>{XSS[7]}</p>", wait_until="load")
            page.wait_for_function("window.__canaryHits.length > 0", timeout=5_000)
        sign_in(page, server, ADMIN)
        hits: list[str] = []
        for path in _pages(server):
            _visit(page, server, path, hits)
            if path in LISTS:
                links = page.eval_on_selector_all(
                    f"a[href^='{path}/']", "(links) => links.map((a) => a.getAttribute('href'))"
                )
                for link in sorted(set(links))[:4]:
                    _visit(page, server, link, hits)
            if not bypass:
                watch.collect_page(page)
        CANARY.executed.extend(hits + [f"dialog {m}" for m in dialogs])
    CANARY.executed.extend(f"CSP violation {v}" for v in watch.csp)
    CANARY.server_errors.extend(watch.server_errors)
    assert not [e for e in watch.console_errors if "canary" in e], watch.console_errors
    CANARY.assert_clean()
