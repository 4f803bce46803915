"""Invitations as a service: reading institution files, issuing links, the mail-merge file."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from microcasa.db import Database, utcnow
from survey import invitations
from survey.errors import ImportRefused
from survey.invitations import InviteeRow
from survey.models import Institution, Invitation, InvitationStatus, Questionnaire
from tests.conftest import TEST_SECRET
from tests.survey.fieldwork_support import (
    bundled_form,
    csv_file,
    invite,
    publish,
    xlsx_file,
)

BASE_URL = "http://127.0.0.1:8000"
INSTITUTIONS = [
    ["Name", "Country", "Type", "Size band", "Contact Email", "Contact Name", "Language"],
    ["Universiti Sains Malaysia", "my", "public", "over_30k", "Dean@USM.example", "Aziz", "ms"],
    ["Universität zu Köln", "DE", "", "", "", "", "de"],
    ["Ateneo de Manila University", "PH", "private_nonprofit", "", "", "", ""],
]
EXPECTED = [
    InviteeRow(
        2,
        "Universiti Sains Malaysia",
        "MY",
        "public",
        "over_30k",
        "dean@usm.example",
        "Aziz",
        "Bahasa Melayu (ms)",
    ),
    InviteeRow(3, "Universität zu Köln", "DE", "", "", None, None, "Deutsch (de)"),
    InviteeRow(4, "Ateneo de Manila University", "PH", "private_nonprofit", "", None, None, ""),
]


def _refused(data: bytes, filename: str = "institutions.csv") -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        invitations.read_invitee_file(data, filename, bundled_form())
    return refused.value.problems


def test_csv_with_commas_or_semicolons_and_xlsx_give_the_same_rows() -> None:
    form = bundled_form()
    files = {
        "comma.csv": csv_file(INSTITUTIONS),
        "semicolon.csv": csv_file(INSTITUTIONS, ";"),
        "tab.csv": csv_file(INSTITUTIONS, "\t"),
        "institutions.XLSX": xlsx_file(INSTITUTIONS),
    }
    for name, data in files.items():
        assert invitations.read_invitee_file(data, name, form) == EXPECTED, name
    # Commas inside a semicolon file's names stay in the name.
    with_comma = csv_file([["name", "country"], ["Universidad de Navarra, Pamplona", "ES"]], ";")
    (row,) = invitations.read_invitee_file(with_comma, "es.csv", form)
    assert (row.name, row.country) == ("Universidad de Navarra, Pamplona", "ES")


def test_every_problem_of_a_file_is_reported_with_its_spreadsheet_row() -> None:
    rows = [
        ["name", "country", "type", "contact_email", "language"],
        ["Universiti Malaya", "MY", "public", "dean@um.example", "ms"],
        ["", "MY", "", "", ""],  # row 3: no name
        ["Universitas Indonesia", "", "", "", ""],  # row 4: no country
        ["Universität Bonn", "Germany", "", "", ""],  # row 5
        ["Universidad de Salamanca", "ES", "", "not-an-email", ""],  # row 6
        ["Università di Bologna", "IT", "", "", "fr"],  # row 7
        ["De La Salle University", "PH", "madrasa", "", ""],  # row 8
        ["", "", "", "", ""],  # row 9: blank, skipped but counted
        ["UNIVERSITI  MALAYA", "my", "", "", ""],  # row 10: row 2 again
        ["Universiti Putra Malaysia", "MY", "public", "", "", "extra cell"],  # row 11: fine
    ]
    expected = [
        "Row 3, column “name”: this cell is empty.",
        "Row 4, column “country”: this cell is empty.",
        "Row 5, column “country”: “Germany” is not a two-letter ISO country code.",
        "Row 6, column “contact_email”: “not-an-email” is not an email address.",
        "Row 7, column “language”: “fr” is not a language of this questionnaire",
        "Row 8, column “type”: “madrasa” is not one of public, private_nonprofit",
        "Row 10: “UNIVERSITI  MALAYA” (MY) is already on row 2 of this file.",
    ]
    for name, data in (("bad.csv", csv_file(rows)), ("bad.xlsx", xlsx_file(rows))):
        problems = _refused(data, name)
        assert len(problems) == len(expected), (name, problems)
        for problem, start in zip(problems, expected, strict=True):
            assert problem.startswith(start), (name, problem)


def test_unreadable_or_empty_files_are_refused_with_a_reason() -> None:
    assert "no “name” column" in _refused(b"institution,country\nX,MY\n")[0]
    assert "no rows below" in _refused(b"name,country\n")[0]
    assert "no rows below" in _refused(b"")[0]
    assert "cannot be read" in _refused("name,country\nKöln,DE\n".encode("latin-1"))[0]
    assert "cannot be read" in _refused(b"PK\x03\x04 not a zip", "institutions.xlsx")[0]


def test_institutions_invited_already_are_skipped_and_named(database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        first = invite(session, "name,country\nUniversiti Sains Malaysia,MY\nUniversität Wien,AT\n")
    with database.transaction() as session:
        questionnaire = session.exec(select(Questionnaire)).one()
        rows = invitations.read_invitee_file(
            csv_file(
                [
                    ["name", "country"],
                    ["Università di Padova", "IT"],
                    ["universiti sains  malaysia", "my"],
                ]
            ),
            "again.csv",
            bundled_form(),
        )
        result = invitations.invite(session, TEST_SECRET, questionnaire, rows)
    assert len(first) == 2
    assert [link.institution_name for link in result.issued] == ["Università di Padova"]
    assert result.duplicates == ("Universiti Sains Malaysia (MY), row 3",)
    with database.session() as session:
        assert len(session.exec(select(Invitation)).all()) == 3
        assert len(session.exec(select(Institution)).all()) == 3


def test_the_mail_merge_file_neutralises_formulas() -> None:
    names = [
        '=HYPERLINK("http://evil.example")',
        "+cmd",
        "-1+2",
        "@SUM(1)",
        " =1",
        'Plain, "quoted"',
    ]
    links = tuple(
        invitations.IssuedLink(
            Invitation(
                questionnaire_id=1,
                institution_id=i,
                contact_name=name,
                contact_email="-dean@uni.example",
                language="Bahasa Melayu (ms)",
                token_hmac="x",
                expires_at=utcnow() + timedelta(days=30),
            ),
            institution_name=name,
            country="MY",
            token=f"token{i}",
        )
        for i, name in enumerate(names)
    )
    text_out = invitations.mail_merge_csv(BASE_URL, links)
    assert text_out.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text_out.removeprefix("\ufeff"))))
    assert header == [
        "institution",
        "country",
        "contact_name",
        "contact_email",
        "language",
        "link",
        "expires",
    ]
    for i, (row, name) in enumerate(zip(rows, names, strict=True)):
        safe = name if name[0] == "P" else "'" + name
        assert row[:5] == [safe, "MY", safe, "'-dean@uni.example", "Bahasa Melayu (ms)"]
        assert row[5] == f"{BASE_URL}/i/token{i}"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[6])


def test_revoking_and_reissuing_decide_which_token_opens_the_invitation(
    database: Database,
) -> None:
    publish(database)
    with database.transaction() as session:
        (link,) = invite(session, "name,country\nUniversiti Malaya,MY\n", days=10)
    with database.transaction() as session:
        invitation = session.get(Invitation, link.invitation.id)
        assert invitation is not None
        assert invitations.check_token(session, TEST_SECRET, link.token) == invitation
        invitations.revoke(session, invitation)
        assert invitation.status == InvitationStatus.REVOKED.value
        assert invitations.check_token(session, TEST_SECRET, link.token) is None
        new = invitations.reissue(session, TEST_SECRET, invitation)
        assert invitation.status == InvitationStatus.ACTIVE.value
        assert invitations.check_token(session, TEST_SECRET, new) == invitation
        assert invitations.check_token(session, TEST_SECRET, link.token) is None
        for wrong in ("", new[:-1], new + "x", "x" * 101):
            assert invitations.check_token(session, TEST_SECRET, wrong) is None


def test_a_new_link_for_an_expired_invitation_gets_its_period_again(database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        (link,) = invite(session, "name,country\nUniversiti Malaya,MY\n", days=10)
        link.invitation.created_at = utcnow() - timedelta(days=11)
        link.invitation.expires_at = utcnow() - timedelta(days=1)
    with database.transaction() as session:
        invitation = session.get(Invitation, link.invitation.id)
        assert invitation is not None
        assert invitations.check_token(session, TEST_SECRET, link.token) is None  # expired
        token = invitations.reissue(session, TEST_SECRET, invitation)
        assert invitations.check_token(session, TEST_SECRET, token) == invitation
        assert invitation.expires_at is not None
        left = invitation.expires_at - utcnow()
        assert timedelta(days=9, hours=23) < left <= timedelta(days=10)
        later = invitations.reissue(session, TEST_SECRET, invitation, days=3)
        assert invitation.expires_at - utcnow() <= timedelta(days=3)
        assert invitations.check_token(session, TEST_SECRET, later) == invitation
