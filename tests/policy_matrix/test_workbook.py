"""The matrix workbook: export, import with every error placed, the plan of changes, apply."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from microcasa.auth.roles import Role
from microcasa.db import Database
from policy_matrix import service
from policy_matrix.errors import EntryInvalid, MatrixConflict
from policy_matrix.models import PolicyChange
from policy_matrix.workbook import export_workbook
from policy_matrix.workbook_errors import WorkbookInvalid
from policy_matrix.workbook_import import MAX_ROWS, read_workbook
from policy_matrix.workbook_layout import DIMENSIONS, EVIDENCE, HISTORY, MATRIX
from policy_matrix.workbook_plan import Difference, ImportPlan, apply_plan
from tests.microcasa.test_spreadsheet import workbook

RESEARCHER = service.Actor(101, "res@uni.example", Role.RESEARCHER)
COORDINATOR_ID = service.Actor(102, "koord@uni.example", Role.COORDINATOR, "ID")
Sheet = Any  # an openpyxl worksheet


@pytest.fixture
def bundled(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


def export(database: Database) -> bytes:
    with database.session() as session:
        return export_workbook(session)


def plan_of(database: Database, data: bytes, actor: service.Actor = RESEARCHER) -> ImportPlan:
    with database.session() as session:
        return read_workbook(session, data, actor)


def problems(database: Database, data: bytes, actor: service.Actor = RESEARCHER) -> list[str]:
    with pytest.raises(WorkbookInvalid) as refused:
        plan_of(database, data, actor)
    return [str(issue) for issue in refused.value.issues]


def edited(data: bytes, change: Callable[[Any], None]) -> bytes:
    """The workbook after ``change`` (given the openpyxl workbook) did its edits, saved."""
    book = load_workbook(io.BytesIO(data))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def matrix_row(sheet: Sheet, dimension: str, part: str) -> int:
    for row in range(3, sheet.max_row + 1):
        if sheet.cell(row, 1).value == dimension and sheet.cell(row, 3).value == part:
            return row
    raise AssertionError(f"no row {dimension} {part}")


def matrix_column(sheet: Sheet, code: str) -> int:
    for column in range(4, sheet.max_column + 1):
        if sheet.cell(1, column).value == code:
            return column
    raise AssertionError(f"no column {code}")


def matrix_cell(book: Any, code: str, dimension: str, part: str) -> Any:
    sheet = book[MATRIX]
    return sheet.cell(matrix_row(sheet, dimension, part), matrix_column(sheet, code))


def place(book_data: bytes, code: str, dimension: str, part: str) -> str:
    """Where a part of a cell is on the Matrix sheet, as messages name it: ``Matrix!D12``."""
    book = load_workbook(io.BytesIO(book_data))
    return f"{MATRIX}!{matrix_cell(book, code, dimension, part).coordinate}"


def set_cell(code: str, dimension: str, part: str, value: object) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        matrix_cell(book, code, dimension, part).value = value

    return change


def history_count(database: Database) -> int:
    with database.session() as session:
        return int(session.exec(select(func.count()).select_from(PolicyChange)).one())


def test_the_bundled_matrix_round_trips_without_a_change(bundled: Database) -> None:
    data = export(bundled)
    plan = plan_of(bundled, data)
    assert plan.changes == ()
    assert plan.cells_read == 8 * 24
    assert load_workbook(io.BytesIO(data)).sheetnames == [MATRIX, EVIDENCE, DIMENSIONS, HISTORY]


def test_cells_are_typed_and_status_keeps_its_text_beside_its_fill(bundled: Database) -> None:
    book = load_workbook(io.BytesIO(export(bundled)))
    sheet = book[MATRIX]
    assert [sheet.cell(1, c).value for c in range(1, 12)] == [
        "dimension", "label", "part", "MY", "ID", "PH", "DE", "IT", "ES", "EU", "ASEAN",
    ]  # fmt: skip
    assert sheet.cell(2, 4).value == "Malaysia"
    assert sheet.freeze_panes == "D3"
    status = matrix_cell(book, "MY", "PM09", "status")
    assert (status.value, status.style) == ("adopted", "mc status adopted")
    assert status.fill.fgColor.rgb.endswith("D9EAD3")
    minimum = matrix_cell(book, "MY", "PM09", "value.min")
    assert (minimum.value, minimum.data_type) == (40, "n")
    assert matrix_cell(book, "MY", "PM09", "value.max").value is None
    assert matrix_cell(book, "MY", "PM09", "as_of").value == "2026-11-01"
    assert matrix_cell(book, "MY", "PM21", "value.exists").value is True
    assert matrix_cell(book, "DE", "PM16", "value.mc_specific").value is False
    assert matrix_cell(book, "MY", "PM02", "value.instrument_types").value == "agency_guideline"
    assert matrix_cell(book, "MY", "PM03", "value.bodies").value.splitlines()[:2] == [
        "Malaysian Qualifications Agency (MQA) | qa_agency",
        "Malaysian Qualifications Agency (MQA) | qf_authority",
    ]
    assert len(matrix_cell(book, "MY", "PM02", "value.instruments").value.splitlines()) == 3
    assert all(sheet.cell(row, 3).value != "value.coverage_pct" for row in range(3, 400))
    assert all(sheet.cell(row, 1).value != "PM25" for row in range(3, 400))

    evidence = book[EVIDENCE]
    assert [c.value for c in evidence[1]][:5] == ["jurisdiction", "dimension", "n", "title", "url"]
    first = [c.value for c in evidence[2]]
    assert first[:3] == ["MY", "PM01", 1]
    url = evidence.cell(2, 5)
    assert url.value.startswith("https://") and url.hyperlink.target == url.value
    assert book[DIMENSIONS].cell(2, 1).value == "PM01"
    history = book[HISTORY]
    assert [c.value for c in history[1]][:3] == ["changed_at (UTC)", "jurisdiction", "dimension"]
    assert history.max_row == 1 + history_count(bundled)
    assert history.cell(2, 5).value == "bundled"


def test_one_edited_cell_is_the_whole_plan_and_applies_with_history(bundled: Database) -> None:
    data = edited(export(bundled), set_cell("MY", "PM09", "value.max", 400))
    plan = plan_of(bundled, data)
    (change,) = plan.changes
    assert (change.jurisdiction, change.dimension, change.parts) == ("MY", "PM09", ("value.max",))
    assert change.differences == (Difference("value.max", "", "400"),)
    assert change.old.value is not None and "max" not in change.old.value
    assert change.new.value is not None and change.new.value["max"] == 400
    before = history_count(bundled)

    with bundled.transaction() as session:
        (written,) = apply_plan(session, RESEARCHER, plan, "MQA confirmed a maximum")
    assert (written.source, written.reason, written.actor) == (
        "import",
        "MQA confirmed a maximum",
        "res@uni.example",
    )
    assert history_count(bundled) == before + 1
    with bundled.session() as session:
        row = session.exec(select(PolicyChange).order_by(col(PolicyChange.id).desc())).first()
        assert row is not None and (row.jurisdiction, row.dimension) == ("MY", "PM09")
        assert row.new["value"] == {"min": 40, "max": 400, "unit": "hours"}
    assert plan_of(bundled, data).changes == ()  # applied: the same workbook is now a no-op


def test_lists_choices_and_sources_are_read_back_from_their_text(bundled: Database) -> None:
    def change(book: Any) -> None:
        bodies = matrix_cell(book, "MY", "PM03", "value.bodies")
        bodies.value += "\nAgency | with a bar | tvet_authority\nNo role yet"
        matrix_cell(book, "MY", "PM24", "value.target_groups").value = "adults_25_64 students"
        matrix_cell(book, "MY", "PM19", "value.allowed").value = "false"
        matrix_cell(book, "MY", "PM09", "value.max").value = "400"  # a number stored as text
        book[EVIDENCE].delete_rows(3)  # MY PM02's first source

    (*others, bodies, size, access, groups) = plan_of(
        bundled, edited(export(bundled), change)
    ).changes
    assert [(c.jurisdiction, c.dimension) for c in others] == [("MY", "PM02")]
    assert others[0].parts[0] == "evidence[1].title"
    assert bodies.new.value is not None
    assert [dict(b) for b in bodies.new.value["bodies"][-2:]] == [
        {"name": "Agency | with a bar", "role": "tvet_authority"},
        {"name": "No role yet"},
    ]
    assert size.new.value is not None and size.new.value["max"] == 400
    assert access.new.value is not None and access.new.value["allowed"] is False
    assert groups.new.value is not None
    assert tuple(groups.new.value["target_groups"]) == ("adults_25_64", "students")


def test_rows_left_out_keep_the_current_content(bundled: Database) -> None:
    def change(book: Any) -> None:
        sheet = book[MATRIX]
        sheet.delete_rows(matrix_row(sheet, "PM09", "notes"))
        sheet.delete_cols(matrix_column(sheet, "ASEAN"))  # its sources stay on Evidence
        sheet.delete_cols(matrix_column(sheet, "EU"))
        evidence = book[EVIDENCE]
        for row in range(evidence.max_row, 1, -1):
            if evidence.cell(row, 1).value == "EU":
                evidence.delete_rows(row)

    data = edited(export(bundled), change)
    plan = plan_of(bundled, data)
    assert plan.changes == ()
    with bundled.session() as session:
        current = service.matrix(session)
    sourced = [d for (code, d), cell in current.cells.items() if code == "ASEAN" and cell.evidence]
    assert plan.cells_read == 6 * 24 + len(sourced)  # ASEAN's cells with sources are read


def test_every_error_names_its_sheet_row_and_column_and_nothing_changes(
    bundled: Database,
) -> None:
    data = export(bundled)

    def change(book: Any) -> None:
        sheet = book[MATRIX]
        sheet.cell(1, 12).value = "XX"
        sheet.cell(5, 12).value = "something"
        sheet.cell(matrix_row(sheet, "PM05", "notes"), 1).value = "PM99"
        matrix_cell(book, "MY", "PM01", "status").value = "maybe"
        matrix_cell(book, "MY", "PM09", "as_of").value = "2026-13-01"
        matrix_cell(book, "MY", "PM09", "value.max").value = "forty"
        matrix_cell(book, "MY", "PM21", "value.exists").value = "maybe"
        sheet.cell(matrix_row(sheet, "PM07", "notes"), 3).value = "value.colour"
        book[EVIDENCE].cell(2, 5).value = "www.mqa.gov.my without a scheme"

    found = problems(bundled, edited(data, change))
    pm99 = int(place(data, "MY", "PM05", "notes").removeprefix("Matrix!D"))
    pm07 = int(place(data, "MY", "PM07", "notes").removeprefix("Matrix!D"))
    assert found == [
        "Matrix!L1: There is no jurisdiction “XX” in the matrix. Add the country on the matrix "
        "pages first, or delete this column.",
        f"{place(data, 'MY', 'PM01', 'status')} (MY PM01 status): Use one of the statuses: "
        "none, under_discussion, draft, adopted, implemented, not_applicable, unknown.",
        f"Matrix!A{pm99}: There is no dimension “PM99”; the catalogue has PM01–PM24.",
        f"Matrix!C{pm07}: PM07 has no part “value.colour”; its parts are status, as_of, notes, "
        "value.level_statement.",
        f"{place(data, 'MY', 'PM09', 'as_of')} (MY PM09 as_of): Give a date as YYYY-MM-DD, "
        "e.g. 2026-11-28.",
        f"{place(data, 'MY', 'PM09', 'value.max')} (MY PM09 value.max): Give a number.",
        f"{place(data, 'MY', 'PM21', 'value.exists')} (MY PM21 value.exists): Give true or false.",
        "Evidence!E2 (MY PM01 evidence[1].url): Give a web address starting with https:// "
        "or http://.",
    ]
    before = history_count(bundled)
    with bundled.transaction() as session, pytest.raises(WorkbookInvalid):
        read_workbook(session, edited(data, change), RESEARCHER)
    assert history_count(bundled) == before


def test_evidence_rows_are_checked_too(bundled: Database) -> None:
    def change(book: Any) -> None:
        sheet = book[EVIDENCE]
        sheet.cell(2, 3).value = "first"
        sheet.cell(3, 1).value = "ZZ"
        sheet.cell(4, 9).value = "2099-01-01"  # date_accessed
        sheet.cell(1, 13).value = "doi"

    data = export(bundled)
    assert problems(bundled, edited(data, change)) == [
        f"{place(data, 'MY', 'PM01', 'status')} (MY PM01 evidence): A cell whose status is not "
        "“unknown” needs at least one source with a URL (a law, a guideline, an agency page or "
        "a secondary source).",
        "Evidence!M1: “doi” is not a column of this sheet; its columns are jurisdiction, "
        "dimension, n, title, url, instrument_id, issuer, date_adopted, date_accessed, excerpt, "
        "evidence_type, confidence.",
        "Evidence!C2: Give n, the order of the source within its cell, as a whole number from 1.",
        "Evidence!A3: There is no jurisdiction “ZZ” in the matrix. Add the country on the matrix "
        "pages first, or delete this column.",
        "Evidence!I4 (MY PM02 evidence[1].date_accessed): The date 2099-01-01 is in the future.",
    ]


def test_a_status_without_a_source_points_at_the_status(bundled: Database) -> None:
    data = export(bundled)
    found = problems(bundled, edited(data, set_cell("ID", "PM07", "status", "adopted")))
    assert found == [
        f"{place(data, 'ID', 'PM07', 'status')} (ID PM07 evidence): A cell whose status is not "
        "“unknown” needs at least one source with a URL (a law, a guideline, an agency page or "
        "a secondary source)."
    ]


def test_files_that_are_not_matrix_workbooks_are_refused(bundled: Database) -> None:
    assert problems(bundled, b"dimension;label;part\n") == [
        "file: The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."
    ]
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    (message,) = problems(bundled, broken.getvalue())
    assert message.startswith("file: The workbook cannot be opened (")
    assert problems(bundled, workbook(Sheet1=[["a"]])) == [
        "file: The workbook has no “Matrix” sheet (it has: Sheet1). Download the workbook "
        "again and make the changes in it.",
        "file: The workbook has no “Evidence” sheet (it has: Sheet1). Download the workbook "
        "again and make the changes in it.",
    ]
    entities = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(export(bundled))) as source,
        zipfile.ZipFile(entities, "w") as target,
    ):
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":  # the Matrix sheet
                content = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + content
            target.writestr(name, content)
    assert problems(bundled, entities.getvalue()) == [
        "file: The workbook cannot be opened (it declares XML entities, which a workbook saved "
        "by Excel never does). Open it in Excel, save it again as .xlsx."
    ]
    assert problems(bundled, b"PK" + b"\0" * (10 * 1024 * 1024)) == [
        "file: The file is 10.0 MB; the largest matrix workbook accepted is 10 MB."
    ]
    rows: list[list[object]] = [["dimension", "label", "part", "MY"]]
    rows += [["PM09", "", "notes", f"row {n}"] for n in range(MAX_ROWS)]
    evidence = [["jurisdiction", "dimension", "n", "title", "url"]]
    assert problems(bundled, workbook(Matrix=rows, Evidence=evidence)) == [
        f"Matrix: The sheet has more than {MAX_ROWS} rows; delete the rows that are not needed."
    ]


def test_formula_like_text_is_written_as_text_and_round_trips(bundled: Database) -> None:
    texts = {"MY": "=1+1", "ID": "@SUM(1)", "PH": "+cmd", "DE": "-2+3", "IT": "#N/A"}
    with bundled.transaction() as session:
        for code, text in texts.items():
            cell = service.cell_view(session, code, "PM09").cell
            service.update_cell(
                session,
                RESEARCHER,
                code,
                "PM09",
                {**cell.snapshot(), "notes": text},
                '=HYPERLINK("http://evil.example")',
            )
    data = export(bundled)
    book = load_workbook(io.BytesIO(data))
    for code, text in texts.items():
        cell = matrix_cell(book, code, "PM09", "notes")
        assert (cell.value, cell.data_type) == (text, "s")
    history = book[HISTORY]
    assert history.cell(history.max_row, 6).value == '=HYPERLINK("http://evil.example")'
    formulas = [
        c.coordinate for s in book for row in s.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not any(b"<f>" in archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    assert plan_of(bundled, data).changes == ()


def test_a_coordinator_changes_their_own_country_only(bundled: Database) -> None:
    data = export(bundled)
    theirs = edited(data, set_cell("ID", "PM09", "notes", "Checked with DIKTI."))
    (change,) = plan_of(bundled, theirs, COORDINATOR_ID).changes
    assert (change.jurisdiction, change.parts) == ("ID", ("notes",))

    both = edited(theirs, set_cell("MY", "PM09", "value.max", 400))
    assert problems(bundled, both, COORDINATOR_ID) == [
        f"{place(data, 'MY', 'PM09', 'value.max')} (MY PM09 value.max): You may not change this "
        "cell: Country coordinators edit their own country (ID) only, not MY."
    ]
    reference = edited(data, set_cell("EU", "PM09", "notes", "Changed."))
    (message,) = problems(bundled, reference, COORDINATOR_ID)
    assert message.endswith(
        "You may not change this cell: Only researchers edit the reference row EU."
    )


def test_apply_checks_again_and_refuses_a_stale_plan(bundled: Database) -> None:
    plan = plan_of(bundled, edited(export(bundled), set_cell("MY", "PM09", "value.max", 400)))
    with bundled.transaction() as session, pytest.raises(EntryInvalid) as missing:
        apply_plan(session, RESEARCHER, plan, "  ")
    assert list(missing.value.errors) == ["reason"]
    with bundled.transaction() as session:
        cell = service.cell_view(session, "MY", "PM09").cell
        service.update_cell(
            session, RESEARCHER, "MY", "PM09", {**cell.snapshot(), "notes": "Newer."}, "web edit"
        )
    before = history_count(bundled)
    with bundled.transaction() as session, pytest.raises(MatrixConflict):
        apply_plan(session, RESEARCHER, plan, "late import")
    assert history_count(bundled) == before
