"""The corpora through what staff send: institution import, user admin, the policy matrix
(API, edit page) and the questionnaire upload. Stored exactly (after the documented
clean-up) or a clear 4xx with nothing stored; shown escaped; never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, select

from microcasa.auth.models import User
from microcasa.db import Database
from policy_matrix import service
from survey.institutions import clean_name, name_key
from survey.models import FormVersion, Institution, Invitation, Response
from tests.conftest import csrf_token, post_form
from tests.security import corpus
from tests.security.questionnaires import markdown, strings, upload, xlsform
from tests.security.support import row_counts, tally
from tests.survey.fieldwork_support import (
    ANSWERS,
    FORM_ID,
    SUBMIT,
    bearer,
    csv_file,
    publish,
    sign_in,
    staff,
    submission,
    token_headers,
)

Client = TestClient[Litestar]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT = tally("institution import")
USERS = tally("user admin")
MATRIX = tally("policy matrix edits")
UPLOAD = tally("questionnaire upload")
ERASURE = tally("response erasure")


def _records(database: Database) -> dict[str, int]:
    """Row counts of every table but the rate-limit and session state."""
    return {k: v for k, v in row_counts(database).items() if not k.startswith("state_")}


def test_institution_names_and_contacts_are_kept_or_the_file_is_refused_whole(
    client: Client, database: Database
) -> None:
    publish(database)
    sign_in(client, staff(database, "res@uni.example"))
    keys: set[str] = set()
    for payload in corpus.every():
        what = f"institution {payload!r}"
        before = _records(database)
        known = name_key(payload) in keys  # the same institution: skipped, as a duplicate
        rows = [["name", "country", "contact_name"], [payload, "MY", payload]]
        sent = client.post(
            f"/forms/{FORM_ID}/invitations/import",
            files={"file": ("institutions.csv", csv_file(rows), "text/csv")},
            data={"_csrf_token": csrf_token(client)},
            follow_redirects=False,
        )
        status = IMPORT.answered(sent, what)
        if status == 200 and known:
            IMPORT.kept(_records(database), before, f"rows after skipping {what}")
        elif status == 200:
            keys.add(name_key(payload))
            for line in sent.text.splitlines()[1:]:
                if corpus.looks_like_formula(line.split(",")[0].strip('"')):
                    IMPORT.leaked.append(f"{what}: mail-merge cell {line[:60]!r}")
            with database.session() as session:
                found = session.exec(
                    select(Institution).where(Institution.name == clean_name(payload))
                ).all()
                contacts = session.exec(select(Invitation.contact_name)).all()
            if not found:
                IMPORT.lost.append(f"{what}: no institution named {clean_name(payload)!r}")
            if payload.strip() and payload.strip() not in contacts:
                IMPORT.lost.append(f"{what}: contact name not kept")
        elif 400 <= status < 500:
            IMPORT.kept(_records(database), before, f"rows after refusing {what}")
        else:
            IMPORT.lost.append(f"{what}: answered {status}")
    page = client.get(f"/forms/{FORM_ID}/invitations")
    IMPORT.answered(page, "invitations page")
    for payload in corpus.load("xss"):
        IMPORT.shown(page.text, payload, "invitations page", present=False)
    IMPORT.assert_clean()


def test_display_names_are_kept_or_refused_and_shown_escaped(
    client: Client, database: Database
) -> None:
    sign_in(client, staff(database, "admin@uni.example", role="admin"))
    for number, payload in enumerate(corpus.every()):
        what = f"display name {payload!r}"
        before = _records(database)
        email = f"attack{number}@uni.example"
        form = {"email": email, "display_name": payload, "role": "researcher"}
        sent = post_form(client, "/admin/users", {**form, "password": "correct horse battery"})
        status = USERS.answered(sent, what)
        with database.session() as session:
            user = session.exec(select(User).where(User.email == email)).first()
        if status == 303 and user is not None:
            USERS.kept(user.display_name, " ".join(payload.split()), what)
            page = client.get(f"/admin/users/{user.id}")
            USERS.answered(page, f"user page of {what}")
            USERS.shown(page.text, user.display_name, what)
        elif status == 422 and user is None:
            USERS.kept(_records(database), before, f"rows after refusing {what}")
            USERS.shown(sent.text, payload, f"form shown again with {what}", present=False)
        else:
            USERS.lost.append(f"{what}: answered {status}")
    listing = client.get("/admin/users")
    USERS.answered(listing, "users list")
    for payload in corpus.load("xss") + corpus.load("template"):
        USERS.shown(listing.text, " ".join(payload.split()), "users list", present=False)
    assert "<td>49</td>" not in listing.text
    USERS.assert_clean()


@pytest.fixture
def bundled(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


def _cell(notes: str, title: str, url: str, reason: str) -> dict[str, Any]:
    source = {"title": title, "url": url, "confidence": "high"}
    return {"status": "adopted", "notes": notes, "evidence": [source], "reason": reason}


def test_matrix_notes_evidence_and_reasons_are_kept_or_a_422(
    client: Client, bundled: Database
) -> None:
    headers = bearer(bundled, "res@uni.example")
    path = "/api/policy/DE/PM01"
    for payload in corpus.every():
        url = "https://evil.example/" + payload if " " not in payload else "https://ok.example/"
        # Each field on its own, so that one field's error cannot hide another's.
        for field in ("notes", "title", "reason", "url"):
            what = f"matrix {field} {payload!r}"
            before = _records(bundled)
            given = {"notes": "n", "title": "t", "url": "https://ok.example/", "reason": "r"}
            given[field] = url if field == "url" else payload[:300] if field == "title" else payload
            body = _cell(given["notes"], given["title"], given["url"], given["reason"])
            sent = client.put(path, content=corpus.json_bytes(body), headers=headers)
            status = MATRIX.answered(sent, what)
            if status == 200:
                got = sent.json()
                stored = {
                    "notes": got["notes"],
                    "title": got["evidence"][0]["title"],
                    "url": got["evidence"][0]["url"],
                    "reason": got["history"][0]["reason"] if got["history"] else None,
                }
                # Each body differs from the one before, so each writes a history row.
                MATRIX.kept(stored[field], given[field].strip(), what)
                page = client.get("/policy/cell/DE/PM01", headers=headers)
                MATRIX.answered(page, f"cell page after {what}")
                MATRIX.shown(page.text, given[field].strip(), f"cell page {what}")
            elif status == 422:
                MATRIX.kept(_records(bundled), before, f"rows after refusing {what}")
                if not (corpus.CONTROL.search(payload) or not payload.strip()):
                    MATRIX.lost.append(f"{what}: refused {sent.json()['errors']}")
            else:
                MATRIX.lost.append(f"{what}: answered {status}")
    for bad_url in ("javascript:window.__canary=1", "data:text/html,<script>1</script>"):
        sent = client.put(path, json=_cell("n", "t", bad_url, "r"), headers=headers)
        assert MATRIX.answered(sent, f"url {bad_url}") == 422
    for listing in ("/policy", "/policy/changes", "/policy/compare?c=DE"):
        shown = client.get(listing, headers=headers)
        MATRIX.answered(shown, listing)
        for payload in corpus.load("xss"):
            MATRIX.shown(shown.text, payload.strip(), listing, present=False)
    MATRIX.assert_clean()


def test_the_matrix_edit_page_keeps_notes_or_shows_the_error(
    client: Client, bundled: Database
) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    path = "/policy/cell/MY/PM01"
    for payload in corpus.load("xss") + corpus.load("template") + corpus.load("unicode"):
        what = f"edit page notes {payload!r}"
        revision = client.get("/api/policy/MY/PM01").json()["revision"]
        form = {
            "revision": str(revision),
            "status": "adopted",
            "notes": payload,
            "reason": payload,
            "evidence[1].title": payload[:300],
            "evidence[1].url": "https://ok.example/",
        }
        sent = post_form(client, path, form)
        status = MATRIX.answered(sent, what)
        if status == 303:
            shown = client.get(path)
            MATRIX.shown(shown.text, payload.strip(), what)
        elif status == 422:
            MATRIX.shown(sent.text, payload, f"form shown again with {what}", present=False)
            if not corpus.CONTROL.search(payload):
                MATRIX.lost.append(f"{what}: refused")
        else:
            MATRIX.lost.append(f"{what}: answered {status}")
    MATRIX.assert_clean()


def test_labels_choice_labels_and_titles_of_an_upload_are_kept_and_shown_escaped(
    client: Client, database: Database
) -> None:
    sign_in(client, staff(database, "res@uni.example"))
    labels = [p for p in corpus.every() if corpus.storable(p) and p.strip()]
    content = xlsform(labels, corpus.load("xss")[0], extra_sheet="=HYPERLINK(1)")
    checked = upload(client, content, "check")
    assert UPLOAD.answered(checked, "check") == 200, checked.text[-2000:]
    published = upload(client, content, "publish")
    assert UPLOAD.answered(published, "publish") == 303, published.text[-2000:]
    location = published.headers["location"]
    for page in (location, location + "/preview", location + "/preview?page=2"):
        shown = client.get(page)
        UPLOAD.answered(shown, page)
        for payload in labels:
            UPLOAD.shown(shown.text, payload, page, present=False)
    with database.session() as session:
        version = session.exec(select(FormVersion)).one()
    texts = set(strings(version.definition))
    for payload in labels:
        UPLOAD.kept(
            payload.strip() in texts, True, f"label {payload!r} in the published definition"
        )
    UPLOAD.assert_clean()


def test_control_characters_in_labels_are_an_error_or_kept_never_a_5xx(
    client: Client, database: Database
) -> None:
    sign_in(client, staff(database, "res@uni.example"))
    controls = [p for p in corpus.every() if not corpus.storable(p)]
    for version, payload in enumerate(controls, start=1):
        for action in ("check", "publish"):
            sent = upload(client, markdown(payload, version), action, "control.md")
            status = UPLOAD.answered(sent, f"{action} {payload!r}")
            if status not in (200, 303, 422):
                UPLOAD.lost.append(f"{action} {payload!r}: answered {status}")
    with database.session() as session:
        published = session.exec(select(FormVersion).order_by(col(FormVersion.id))).all()
    assert len(published) <= len(controls)
    UPLOAD.assert_clean()


def test_sign_in_and_token_names_take_every_payload_without_a_server_error(
    client: Client, database: Database
) -> None:
    user = staff(database, "res@uni.example")
    for payload in corpus.every():
        for email in (payload, f"{payload}@uni.example", f"res@uni.example{payload}"):
            tried = post_form(client, "/login", {"email": email, "password": payload})
            if USERS.answered(tried, f"login {email!r}") not in (401, 422, 429):
                USERS.lost.append(f"login {email!r}: answered {tried.status_code}")
    sign_in(client, user)
    for payload in corpus.every():
        sent = post_form(client, "/account/tokens", {"name": payload})
        if USERS.answered(sent, f"token name {payload!r}") not in (201, 422):
            USERS.lost.append(f"token name {payload!r}: answered {sent.status_code}")
    page = client.get("/account")
    USERS.answered(page, "account page")
    for payload in corpus.load("xss"):
        USERS.shown(page.text, " ".join(payload.split()), "account page", present=False)
    USERS.assert_clean()


def test_country_names_added_to_the_matrix_are_kept_or_refused(
    client: Client, bundled: Database
) -> None:
    import pycountry

    sign_in(client, staff(bundled, "res@uni.example"))
    taken = {"MY", "ID", "PH", "DE", "IT", "ES"}
    codes = [c.alpha_2 for c in pycountry.countries if c.alpha_2 not in taken]
    for code, payload in zip(codes, corpus.every(), strict=False):
        what = f"country name {payload!r}"
        before = _records(bundled)
        sent = post_form(
            client, "/policy/add-country", {"code": code, "name": payload, "region": "other"}
        )
        status = MATRIX.answered(sent, what)
        if status == 303:
            with bundled.session() as session:
                names = {j.code: j.name for j in service.matrix(session).jurisdictions}
            MATRIX.kept(names.get(code), (payload.strip() or names.get(code)), what)
        elif status == 422:
            MATRIX.kept(_records(bundled), before, f"rows after refusing {what}")
            MATRIX.shown(sent.text, payload, f"form shown again with {what}", present=False)
            if not corpus.CONTROL.search(payload):
                MATRIX.lost.append(f"{what}: refused")
        else:
            MATRIX.lost.append(f"{what}: answered {status}")
    grid = client.get("/policy")
    MATRIX.answered(grid, "grid with the new countries")
    for payload in corpus.load("xss"):
        MATRIX.shown(grid.text, payload.strip(), "grid", present=False)
    MATRIX.assert_clean()


def test_erasure_reasons_are_kept_or_refused_and_nothing_is_half_erased(
    client: Client, database: Database
) -> None:
    publish(database)
    researcher = staff(database, "res@uni.example")
    headers = token_headers(database, researcher)
    sign_in(client, researcher)
    payloads = [p for p in corpus.every() if not corpus.storable(p)] + list(corpus.load("xss")[:4])
    for payload in payloads:
        what = f"erasure reason {payload!r}"
        created = client.post(SUBMIT, json=submission({**ANSWERS, "i4": "kept"}), headers=headers)
        assert created.status_code == 201
        number = created.json()["id"]
        path = f"/forms/{FORM_ID}/responses/{number}"
        sent = post_form(client, f"{path}/erase", {"reason": payload})
        status = ERASURE.answered(sent, what)
        with database.session() as session:
            left = session.get(Response, number)
        if status == 303 and sent.headers["location"].endswith("/responses"):
            ERASURE.kept(left, None, f"response after {what}")
        elif status == 303 and sent.headers["location"] == path:  # back, with the error
            ERASURE.kept(left.answers if left else None, {**ANSWERS, "i4": "kept"}, what)
        else:
            ERASURE.lost.append(f"{what}: answered {status}")
    shown = client.get(f"/forms/{FORM_ID}/responses")
    ERASURE.answered(shown, "responses after erasures")
    for payload in corpus.load("xss")[:4]:
        ERASURE.shown(shown.text, payload, "responses list", present=False)
    ERASURE.assert_clean()
