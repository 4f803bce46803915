"""Regression tests for what the attack corpora found (each failed before its fix).

- A NUL in a display name, a token name, an XLSForm cell, an institution file or the
  name of a country added to the policy matrix was stored as given: PostgreSQL refuses
  it, so the page answered 500.
- A NUL in the reason of a policy-matrix change (API, edit page, workbook import): 500 on
  PostgreSQL.
- A NUL in the reason of a response erasure: 500 on PostgreSQL (test_staff_attacks.py,
  ``test_erasure_reasons_are_kept_or_refused_and_nothing_is_half_erased``).
- A NUL in the email of a sign-in attempt went into the rate-limit key: 500 on PostgreSQL.
- The CSV sniffer of the institution import took an apostrophe for the quote character,
  so "'=HYPERLINK(…)" (as our own mail merge writes it) came back as another name.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from microcasa.auth import service, tokens
from microcasa.auth.errors import AccountError, AuthError
from microcasa.auth.roles import Role
from microcasa.db import Database
from policy_matrix import service as matrix
from policy_matrix.errors import EntryInvalid
from survey.errors import ImportRefused
from survey.invitations import read_invitee_file
from survey.xlsform import read_markdown_form
from survey.xlsform.errors import FormInvalid
from tests.conftest import add_user, login
from tests.security.questionnaires import markdown
from tests.survey.fieldwork_support import bundled_form, csv_file

Client = TestClient[Litestar]


def test_a_display_name_with_a_nul_is_refused_naming_the_field(database: Database) -> None:
    with database.transaction() as session, pytest.raises(AccountError) as refused:
        service.create_user(
            session,
            email="nul@uni.example",
            password="correct horse battery staple",
            role="researcher",
            display_name="Siti\x00Rahman",
        )
    assert (refused.value.error, refused.value.field) == (
        AuthError.DISPLAY_NAME_CONTROL,
        "display_name",
    )


def test_a_token_name_with_a_nul_is_refused(database: Database) -> None:
    user = add_user(database, "res@uni.example")
    with database.transaction() as session, pytest.raises(AccountError):
        tokens.create_token(session, user, "nightly\x00export")


def test_a_sign_in_with_a_nul_in_the_email_is_an_ordinary_failure(
    client: Client, database: Database
) -> None:
    add_user(database, "ana@uni.example")
    assert login(client, "ana@uni.example\x00", "whatever it is").status_code == 422
    assert login(client, "\x00", "\x00").status_code == 422


def test_a_nul_in_a_questionnaire_cell_is_an_error_at_its_place() -> None:
    with pytest.raises(FormInvalid) as refused:
        read_markdown_form(markdown("Before\x00after", 1).decode(), "control")
    found = [(i.sheet, i.row, i.column) for i in refused.value.errors if i.code == "NULL_CHARACTER"]
    assert ("survey", 2, "label") in found and ("choices", 2, "label") in found
    assert "null character" in refused.value.errors[0].message


def test_a_nul_in_an_institution_file_refuses_the_file_naming_the_row() -> None:
    rows = [["name", "country", "contact_name"], ["Universiti\x00Malaya", "MY", "Aziz"]]
    with pytest.raises(ImportRefused) as refused:
        read_invitee_file(csv_file(rows), "institutions.csv", bundled_form())
    assert refused.value.problems == [
        "Row 2, column “name”: the text holds a null character; delete it."
    ]


def test_names_that_begin_with_an_apostrophe_survive_a_csv_import() -> None:
    names = ['\'=HYPERLINK("http://evil.example")', "' OR '1'='1", "O'Brien College"]
    rows = [["name", "country"], *([name, "MY"] for name in names)]
    read = read_invitee_file(csv_file(rows), "institutions.csv", bundled_form())
    assert [row.name for row in read] == names


def test_a_country_name_with_a_control_character_is_refused_naming_the_field(
    database: Database,
) -> None:
    researcher = matrix.Actor(1, "res@uni.example", Role.RESEARCHER)
    for name in ("Thai\x00land", "Thai\x1bland"):
        with database.transaction() as session, pytest.raises(EntryInvalid) as refused:
            matrix.add_jurisdiction(session, researcher, "TH", name, "ASEAN")
        assert list(refused.value.errors) == ["name"]
    with database.transaction() as session:
        added = matrix.add_jurisdiction(session, researcher, "TH", " Thailand\t", "ASEAN")
    assert added.name == "Thailand"


def test_a_matrix_change_reason_with_a_nul_is_refused_naming_the_reason(
    database: Database,
) -> None:
    with database.transaction() as session:
        matrix.load_bundled(session)
    researcher = matrix.Actor(1, "res@uni.example", Role.RESEARCHER)
    cell = {
        "status": "adopted",
        "notes": "n",
        "evidence": [{"title": "t", "url": "https://ok.example/"}],
    }
    with database.transaction() as session, pytest.raises(EntryInvalid) as refused:
        matrix.update_cell(session, researcher, "DE", "PM01", cell, "KMK\x00resolution")
    assert list(refused.value.errors) == ["reason"]
