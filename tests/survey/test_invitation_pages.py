"""Invitation pages: importing a file for a mail merge, revoking, re-issuing, the open link."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import SQLModel, col, select

from microcasa import flash
from microcasa.db import Database, utcnow
from survey import invitations
from survey.models import Institution, Invitation, InvitationStatus, Questionnaire
from survey.tokens import digest
from tests.conftest import TEST_SECRET, Browser, csrf_token, post_form
from tests.survey.fieldwork_support import (
    FORM_ID,
    csv_file,
    invite,
    publish,
    sign_in,
    staff,
    xlsx_file,
)

Client = TestClient[Litestar]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE_URL = "http://127.0.0.1:8000"  # the test settings' base_url
INSTITUTIONS = [
    ["Name", "Country", "Type", "Size band", "Contact Email", "Contact Name", "Language"],
    ["Universiti Sains Malaysia", "MY", "public", "over_30k", "dean@usm.example", "Aziz", "ms"],
    ["Universität zu Köln", "DE", "", "", "", "", "de"],
    ['=HYPERLINK("http://evil.example")', "PH", "", "", "", "@SUM(1)", ""],
]


def _researcher(client: Client, database: Database) -> None:
    publish(database)
    sign_in(client, staff(database, "res@uni.example"))


def _import(client: Client, data: bytes, name: str = "institutions.csv", days: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        f"/forms/{FORM_ID}/invitations/import",
        files={"file": (name, data, XLSX if name.endswith(".xlsx") else CSV)},
        data={"expires_in_days": days, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


def _mail_merge(download: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(download.decode("utf-8-sig"))))


def _links(download: bytes) -> dict[str, str]:
    """Institution name → link, from the mail-merge CSV."""
    return {row["institution"]: row["link"] for row in _mail_merge(download)}


def _flash(client: Client) -> list[tuple[str, str]]:
    """The one-shot messages the last response set for the next page."""
    value = client.cookies.get(flash.FLASH_COOKIE) or ""
    return flash.decode(TEST_SECRET, value.strip('"'))  # quoted when the value has "="


def test_import_page_downloads_one_working_link_per_institution(
    client: Client, database: Database
) -> None:
    _researcher(client, database)
    response = _import(client, csv_file(INSTITUTIONS, ";"), days="30")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(CSV)
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(
        r'attachment; filename="invitations-microcasa_hei-\d{8}-\d{4}\.csv"', disposition
    )
    assert response.headers["cache-control"] == "no-store"
    merged = _mail_merge(response.content)
    assert [row["institution"] for row in merged] == [
        "Universiti Sains Malaysia",
        "Universität zu Köln",
        '\'=HYPERLINK("http://evil.example")',  # text, not a formula, in Excel
    ]
    assert [row["contact_name"] for row in merged] == ["Aziz", "", "'@SUM(1)"]
    assert [row["language"] for row in merged] == ["Bahasa Melayu (ms)", "Deutsch (de)", ""]
    expires = (utcnow() + timedelta(days=30)).date().isoformat()
    assert [row["expires"] for row in merged] == [expires] * 3
    assert _flash(client) == [
        ("success", "3 invitation(s) created; their links are in the downloaded CSV.")
    ]
    for link in _links(response.content).values():
        assert re.fullmatch(rf"{re.escape(BASE_URL)}/i/[A-Za-z0-9_-]{{32}}", link)
        with Browser(client) as respondent:  # not the researcher's cookies
            opened = respondent.get(link.removeprefix(BASE_URL), follow_redirects=False)
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/s/{FORM_ID}"
    page = client.get(f"/forms/{FORM_ID}/invitations")
    assert "3 invitation(s)" in page.text
    assert "Universität zu Köln" in page.text and "dean@usm.example" in page.text
    assert "=HYPERLINK(&#34;http://evil.example&#34;)" in page.text
    assert page.text.count("<td>opened</td>") == 3

    rows = [
        ["Name", "Country"],
        ["UNIVERSITI SAINS MALAYSIA", "MY"],
        ["Universidad de Chile", "CL"],
    ]
    again = _import(client, xlsx_file(rows), "more.xlsx")
    assert again.status_code == 200
    assert list(_links(again.content)) == ["Universidad de Chile"]
    (message,) = _flash(client)
    assert message[1].startswith("1 invitation(s) created")
    assert "1 already invited, skipped: Universiti Sains Malaysia (MY), row 2" in message[1]
    assert "4 invitation(s)" in client.get(f"/forms/{FORM_ID}/invitations").text


def test_import_page_refuses_a_bad_file_whole(client: Client, database: Database) -> None:
    _researcher(client, database)
    rows = [
        ["name", "country", "contact_email"],
        ["Good University", "MY", ""],
        ["<b>Bad</b>", "XX", "nope"],
    ]
    refused = _import(client, csv_file(rows))
    assert refused.status_code == 422
    assert "Nothing was stored" in refused.text
    assert "Row 3, column “country”: “XX”" in refused.text
    assert "Row 3, column “contact_email”: “nope”" in refused.text
    assert "<b>Bad</b>" not in refused.text
    for days in ("0", "366", "ten", "-1", "²", "1e2", "99999999"):
        wrong = _import(client, csv_file(rows[:2]), days=days)
        assert wrong.status_code == 422
        assert "from 1 to 365" in wrong.text
    no_file = post_form(client, f"/forms/{FORM_ID}/invitations/import", {"expires_in_days": ""})
    assert no_file.status_code in (400, 422)
    with database.session() as session:
        assert session.exec(select(Invitation)).all() == []
        assert session.exec(select(Institution)).all() == []


def _visit(client: Client, token: str):  # type: ignore[no-untyped-def]
    """A respondent's own browser following an invitation link."""
    with Browser(client) as respondent:
        return respondent.get(f"/i/{token}", follow_redirects=False)


def test_revoked_expired_and_unknown_links_get_the_same_page(
    client: Client, database: Database
) -> None:
    _researcher(client, database)
    with database.transaction() as session:
        revoked, expired = invite(session, "name,country\nA University,MY\nB University,ID\n")
    unknown = _visit(client, "x" * 32)
    assert unknown.status_code == 404
    assert "This link cannot be used" in unknown.text

    response = post_form(client, f"/forms/{FORM_ID}/invitations/{revoked.invitation.id}/revoke", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/forms/{FORM_ID}/invitations"
    assert "revoked" in _flash(client)[0][1]
    with database.transaction() as session:
        invitation = session.get(Invitation, expired.invitation.id)
        assert invitation is not None
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        session.add(invitation)
    for token in (revoked.token, expired.token):
        answer = _visit(client, token)
        assert (answer.status_code, answer.text) == (unknown.status_code, unknown.text)
    with database.session() as session:
        stored = session.get(Invitation, revoked.invitation.id)
        assert stored is not None and stored.status == InvitationStatus.REVOKED.value


def test_a_reissued_link_works_and_the_old_one_does_not(client: Client, database: Database) -> None:
    _researcher(client, database)
    with database.transaction() as session:
        (link,) = invite(session, "name,country\nA University,MY\n")
    path = f"/forms/{FORM_ID}/invitations/{link.invitation.id}"
    post_form(client, path + "/revoke", {})
    reissued = post_form(client, path + "/reissue", {"expires_in_days": "14"})
    assert reissued.status_code == 200
    new_link = re.search(rf"{re.escape(BASE_URL)}/i/([A-Za-z0-9_-]+)", reissued.text)
    assert new_link is not None
    token = new_link.group(1)
    assert token != link.token
    assert _visit(client, link.token).status_code == 404
    assert _visit(client, token).status_code == 303
    with database.session() as session:
        invitation = session.get(Invitation, link.invitation.id)
        assert invitation is not None
        assert invitation.status == InvitationStatus.ACTIVE.value
        assert invitation.expires_at is not None
        assert invitation.expires_at.date() == (utcnow() + timedelta(days=14)).date()
        assert token not in invitation.token_hmac
    assert post_form(client, f"/forms/{FORM_ID}/invitations/999/reissue", {}).status_code == 404
    for days in ("0", "400", "99999999", "²", "soon"):
        refused = post_form(client, path + "/reissue", {"expires_in_days": days})
        assert refused.status_code == 303
        assert _flash(client) == [
            ("error", "The number of days must be a whole number from 1 to 365.")
        ]
    assert _visit(client, token).status_code == 303  # unchanged


def test_a_new_link_for_an_expired_invitation_works(client: Client, database: Database) -> None:
    _researcher(client, database)
    with database.transaction() as session:
        (link,) = invite(session, "name,country\nA University,MY\n", days=7)
        link.invitation.created_at = utcnow() - timedelta(days=8)
        link.invitation.expires_at = utcnow() - timedelta(days=1)
    page = client.get(f"/forms/{FORM_ID}/invitations")
    assert "(expired)" in page.text and "New link" in page.text
    reissued = post_form(client, f"/forms/{FORM_ID}/invitations/{link.invitation.id}/reissue", {})
    found = re.search(rf"{re.escape(BASE_URL)}/i/([A-Za-z0-9_-]+)", reissued.text)
    assert found is not None
    assert _visit(client, found.group(1)).status_code == 303
    assert (utcnow() + timedelta(days=7)).date().isoformat() in reissued.text


def test_tokens_are_stored_nowhere_in_clear(client: Client, database: Database) -> None:
    _researcher(client, database)
    imported = _import(client, csv_file(INSTITUTIONS))
    tokens = [link.rsplit("/", 1)[1] for link in _links(imported.content).values()]
    assert len(tokens) == 3 and all(len(token) >= 22 for token in tokens)  # ≥ 128 bits
    for token in tokens:
        assert _visit(client, token).status_code == 303
    reissued = post_form(client, f"/forms/{FORM_ID}/invitations/1/reissue", {})
    tokens.append(reissued.text.split("/i/")[1].split("<")[0])
    found = []
    with database.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608
                found += [table.name for value in row if any(t in str(value) for t in tokens)]
        hmacs = set(session.exec(select(Invitation.token_hmac)).all())
    assert found == []
    assert digest(TEST_SECRET, invitations.PURPOSE, tokens[-1]) in hmacs


def test_the_open_link_turns_on_and_off(client: Client, database: Database) -> None:
    _researcher(client, database)
    states = []
    for value in ("1", "0", "1"):
        response = post_form(client, f"/forms/{FORM_ID}/open-link", {"open_link": value})
        assert response.status_code == 303
        with database.session() as session:
            states.append(session.exec(select(col(Questionnaire.open_link))).one())
        assert _flash(client)[0][1] == f"The open link is {'on' if value == '1' else 'off'}."
    assert states == [True, False, True]
    assert (
        "The open link is <strong>on</strong>" in client.get(f"/forms/{FORM_ID}/invitations").text
    )


def test_each_outcome_is_shown_on_the_next_page(client: Client, database: Database) -> None:
    _researcher(client, database)
    page = f"/forms/{FORM_ID}/invitations"
    for value, message in (("1", "The open link is on."), ("0", "The open link is off.")):
        post_form(client, f"/forms/{FORM_ID}/open-link", {"open_link": value})
        assert message in client.get(page).text
    _import(client, csv_file([["name", "country"], ["Universiti Malaya", "MY"]]))
    _import(client, csv_file([["name", "country"], ["Universiti Malaya", "MY"]]))
    assert "already invited, skipped: Universiti Malaya (MY), row 2" in client.get(page).text
