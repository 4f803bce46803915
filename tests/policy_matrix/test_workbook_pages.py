"""The workbook pages: download, upload and preview, apply with a reason, and what is refused."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook

from microcasa import flash
from microcasa.db import Database
from policy_matrix import service
from policy_matrix.workbook import XLSX_MEDIA_TYPE
from policy_matrix.workbook_layout import MATRIX
from tests.conftest import TEST_SECRET, csrf_token
from tests.policy_matrix.test_workbook import (
    edited,
    export,
    history_count,
    matrix_cell,
    place,
    set_cell,
)
from tests.survey.fieldwork_support import sign_in, staff

Client = TestClient[Litestar]
MY_PM09_MAX = set_cell("MY", "PM09", "value.max", 400)


@pytest.fixture
def bundled(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


def _upload(client: Client, data: bytes, name: str = "matrix.xlsx"):  # type: ignore[no-untyped-def]
    return client.post(
        "/policy/import",
        files={"file": (name, data, XLSX_MEDIA_TYPE)},
        data={"_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


def _apply(client: Client, plan: str, reason: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/policy/import/apply",
        data={"plan": plan, "reason": reason, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


def _hidden_plan(page: str) -> str:
    found = re.search(r'name="plan" value="([^"]+)"', page)
    assert found, "the preview carries the plan"
    return found.group(1)


def _flash(client: Client) -> list[tuple[str, str]]:
    return flash.decode(TEST_SECRET, (client.cookies.get(flash.FLASH_COOKIE) or "").strip('"'))


def _my_pm09_max(database: Database) -> Any:
    with database.session() as session:
        value = service.matrix(session).cell("MY", "PM09").value or {}
        return value.get("max")


def test_staff_download_the_workbook_as_an_attachment(client: Client, bundled: Database) -> None:
    sign_in(client, staff(bundled, "org@uni.example", role="organiser"))
    response = client.get("/policy/workbook")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(XLSX_MEDIA_TYPE)
    assert re.fullmatch(
        r'attachment; filename="microcasa-policy-matrix-\d{4}-\d{2}-\d{2}\.xlsx"',
        response.headers["content-disposition"],
    )
    assert response.headers["cache-control"] == "no-store"
    book = load_workbook(io.BytesIO(response.content))
    assert matrix_cell(book, "MY", "PM09", "status").value == "adopted"


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, bundled: Database) -> None:
    for path in ("/policy/workbook", "/policy/import"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303)
        assert response.headers["location"].startswith("/login?")


def test_upload_preview_then_apply_with_a_reason(client: Client, bundled: Database) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    page = client.get("/policy/import")
    assert page.status_code == 200
    assert '<label for="file">' in page.text and 'href="/policy/workbook"' in page.text

    preview = _upload(client, edited(export(bundled), MY_PM09_MAX))
    assert preview.status_code == 200, preview.text
    assert "<caption>Changes the workbook makes</caption>" in preview.text
    row = re.search(r"<tr>\s*<th scope=\"row\">MY PM09</th>(.*?)</tr>", preview.text, re.DOTALL)
    assert row is not None
    assert re.findall(r"<td>(.*?)</td>", row.group(1)) == ["value.max", "<em>(empty)</em>", "400"]
    assert '<label for="reason">' in preview.text
    assert _my_pm09_max(bundled) is None  # a preview changes nothing
    rows_before = history_count(bundled)

    applied = _apply(client, _hidden_plan(preview.text), "MQA confirmed a maximum")
    assert applied.status_code == 303, applied.text
    assert applied.headers["location"] == "/policy"
    assert _flash(client) == [("success", "1 cell changed.")]
    assert _my_pm09_max(bundled) == 400
    assert history_count(bundled) == rows_before + 1
    with bundled.session() as session:
        (latest,) = service.cell_view(session, "MY", "PM09").history[:1]
    assert (latest.source, latest.reason, latest.actor) == (
        "import",
        "MQA confirmed a maximum",
        "res@uni.example",
    )

    again = _upload(client, edited(export(bundled), MY_PM09_MAX))
    assert "The workbook matches the matrix" in again.text
    assert 'name="plan"' not in again.text


def test_apply_without_a_reason_is_refused_and_changes_nothing(
    client: Client, bundled: Database
) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    preview = _upload(client, edited(export(bundled), MY_PM09_MAX))
    response = _apply(client, _hidden_plan(preview.text), "   ")
    assert response.status_code == 422
    assert 'id="reason-error"' in response.text
    assert "Say why you make this change" in response.text
    assert _hidden_plan(response.text) == _hidden_plan(preview.text)
    assert "1 of its 192 cells changes" in " ".join(response.text.split())
    assert _my_pm09_max(bundled) is None


def test_a_tampered_or_borrowed_plan_is_refused(client: Client, bundled: Database) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    plan = _hidden_plan(_upload(client, edited(export(bundled), MY_PM09_MAX)).text)
    encoded, _, signature = plan.rpartition(".")
    forged = ("A" if encoded[0] != "A" else "B") + encoded[1:] + "." + signature
    for token in (forged, encoded + "." + "0" * 64, "", "not a plan"):
        response = _apply(client, token, "sneaky")
        assert response.status_code == 400
        assert "This preview cannot be applied" in response.text

    sign_in(client, staff(bundled, "other@uni.example", role="admin"))
    assert _apply(client, plan, "not my upload").status_code == 400
    assert _my_pm09_max(bundled) is None


def test_a_cell_changed_since_the_preview_is_not_overwritten(
    client: Client, bundled: Database
) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    plan = _hidden_plan(_upload(client, edited(export(bundled), MY_PM09_MAX)).text)
    with bundled.transaction() as session:
        cell = service.cell_view(session, "MY", "PM09").cell
        fields = {**cell.snapshot(), "notes": "Edited on the cell page meanwhile."}
        service.update_cell(session, service.BUNDLED, "MY", "PM09", fields, "web edit")
    response = _apply(client, plan, "late import")
    assert response.status_code == 409
    assert "MY/PM09 was changed by someone else" in response.text
    assert "Nothing was applied: download the workbook again" in response.text
    assert _my_pm09_max(bundled) is None


def test_a_post_without_a_file_gets_a_clear_page(client: Client, bundled: Database) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    token = csrf_token(client)
    without_file = client.post(
        "/policy/import",
        files={"note": ("", b"", "text/plain")},
        data={"_csrf_token": token},
        follow_redirects=False,
    )
    assert without_file.status_code == 422
    assert "Choose the matrix workbook (.xlsx) to upload." in without_file.text
    no_body = client.post("/policy/import", headers={"x-csrftoken": token})
    assert 400 <= no_body.status_code < 500
    not_a_workbook = _upload(client, b"status,adopted\n", "matrix.csv")
    assert not_a_workbook.status_code == 422
    assert "The file is not an Excel workbook (.xlsx)" in not_a_workbook.text


def test_errors_are_listed_with_their_place_and_nothing_changes(
    client: Client, bundled: Database
) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    data = export(bundled)
    response = _upload(client, edited(data, set_cell("MY", "PM09", "value.max", "forty")))
    assert response.status_code == 422
    where = place(data, "MY", "PM09", "value.max")
    assert f"<strong>{where}</strong> (MY PM09 value.max): Give a number." in response.text
    assert 'name="plan"' not in response.text


def test_a_coordinator_imports_their_country_only(client: Client, bundled: Database) -> None:
    sign_in(client, staff(bundled, "koord@uni.example", role="coordinator", country="ID"))
    data = export(bundled)
    notes = "Checked with <b>DIKTI</b>."
    theirs = edited(data, set_cell("ID", "PM09", "notes", notes))

    refused = _upload(client, edited(theirs, MY_PM09_MAX))
    assert refused.status_code == 422
    assert (
        f"<strong>{place(data, 'MY', 'PM09', 'value.max')}</strong> (MY PM09 value.max): "
        "You may not change this cell: Country coordinators edit their own country (ID) only, "
        "not MY."
    ) in refused.text

    preview = _upload(client, theirs)
    assert preview.status_code == 200
    assert "Checked with &lt;b&gt;DIKTI&lt;/b&gt;." in preview.text
    applied = _apply(client, _hidden_plan(preview.text), "Coordinator review")
    assert applied.status_code == 303
    with bundled.session() as session:
        assert service.matrix(session).cell("ID", "PM09").notes == notes


def test_the_workbook_sheets_stay_as_exported_after_a_page_round_trip(
    client: Client, bundled: Database
) -> None:
    sign_in(client, staff(bundled, "res@uni.example"))
    download = client.get("/policy/workbook").content
    assert load_workbook(io.BytesIO(download)).sheetnames[0] == MATRIX
    preview = _upload(client, download)
    assert preview.status_code == 200
    assert "The workbook matches the matrix: none of its 192 cells changes." in preview.text
