"""The corpus in the notes of a policy-matrix workbook, imported through the import pages:
previewed escaped, applied, stored as text (stripped, as every matrix text is)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from microcasa.db import Database
from policy_matrix import service
from policy_matrix.catalogue import catalogue
from policy_matrix.workbook import XLSX_MEDIA_TYPE
from tests.conftest import csrf_token
from tests.policy_matrix.test_workbook import edited, export, matrix_cell
from tests.security import corpus
from tests.security.support import tally
from tests.survey.fieldwork_support import sign_in, staff

Client = TestClient[Litestar]
WORKBOOK = tally("policy matrix workbook import")
COUNTRIES = ("MY", "ID", "PH", "DE", "IT", "ES")


def _places() -> list[tuple[str, str]]:
    """Every editable (country, dimension) cell."""
    dimensions = [d.id for d in catalogue().dimensions if not d.computed]
    return [(code, dimension) for dimension in dimensions for code in COUNTRIES]


def _notes(changes: list[tuple[str, str, str]]) -> Any:
    def change(book: Any) -> None:
        for code, dimension, text in changes:
            cell = matrix_cell(book, code, dimension, "notes")
            cell.value = text
            cell.data_type = "s"  # as typed: text, even "=1+1"

    return change


def test_workbook_notes_are_previewed_escaped_and_stored_as_text(
    client: Client, database: Database
) -> None:
    with database.transaction() as session:
        service.load_bundled(session)
    sign_in(client, staff(database, "res@uni.example"))
    # A spreadsheet cell cannot hold control characters; blank notes are not a change.
    payloads = [p for p in corpus.every() if corpus.storable(p) and p.strip()]
    places = _places()
    assert len(places) >= len(payloads)
    changes = [(c, d, p) for (c, d), p in zip(places, payloads, strict=False)]
    workbook = edited(export(database), _notes(changes))
    preview = client.post(
        "/policy/import",
        files={"file": ("matrix.xlsx", workbook, XLSX_MEDIA_TYPE)},
        data={"_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert WORKBOOK.answered(preview, "preview") == 200, preview.text[-3000:]
    for payload in payloads:
        WORKBOOK.shown(preview.text, payload.strip(), "preview")
    plan = re.search(r'name="plan" value="([^"]+)"', preview.text)
    assert plan is not None
    applied = client.post(
        "/policy/import/apply",
        data={"plan": plan.group(1), "reason": payloads[0], "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert WORKBOOK.answered(applied, "apply") == 303, applied.text[-3000:]
    with database.session() as session:
        matrix = service.matrix(session)
        for code, dimension, payload in changes:
            stored = matrix.cell(code, dimension).notes
            WORKBOOK.kept(stored, payload.strip(), f"{code} {dimension} notes")
    for page in ("/policy/changes", "/policy/cell/MY/PM01"):
        shown = client.get(page)
        WORKBOOK.answered(shown, page)
        for payload in payloads:
            WORKBOOK.shown(shown.text, payload.strip(), page, present=False)
    WORKBOOK.assert_clean()
