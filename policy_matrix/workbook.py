"""The policy matrix as an .xlsx workbook: the export.

The sheets and how values are written are in :mod:`policy_matrix.workbook_layout`.
No text ever becomes a formula: every text cell is written as a string cell.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from microcasa.spreadsheet import put_cell
from policy_matrix import history, service
from policy_matrix.catalogue import STATUSES, Catalogue, Dimension, catalogue
from policy_matrix.models import PolicyChange
from policy_matrix.values import CONFIDENCES, EVIDENCE_FIELDS, EVIDENCE_TYPES, Cell
from policy_matrix.workbook_layout import (
    DIMENSIONS,
    EVIDENCE,
    EVIDENCE_HEADERS,
    FIRST_JURISDICTION_COLUMN,
    HISTORY,
    MATRIX,
    MATRIX_HEADERS,
    WorkbookValue,
    editable_dimensions,
    field_hint,
    part_value,
    parts_of,
)
from policy_matrix.workbook_plan import differences

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Fills only help the eye: the status text stays in every cell.
STATUS_FILLS = {
    "none": "F4CCCC",
    "under_discussion": "FCE5CD",
    "draft": "FFF2CC",
    "adopted": "D9EAD3",
    "implemented": "B6D7A8",
    "not_applicable": "E7E6E6",
    "unknown": "FFFFFF",
}
HEADER_STYLE = "mc header"
KEY_STYLE = "mc key"
VALUE_STYLE = "mc value"
LINK_STYLE = "mc link"


def part_label(dimension: Dimension, part: str) -> str:
    if part == "status":
        return dimension.label
    if part == "as_of":
        return "As of (YYYY-MM-DD)"
    if part == "notes":
        return "Notes"
    field = dimension.fields[part.removeprefix("value.")]
    return f"{field.label} ({field_hint(field)})"


def export_workbook(session: Session) -> bytes:
    """The matrix as it is now, with its evidence, the dimensions and the whole history."""
    current = service.matrix(session)
    book = Workbook()
    _add_styles(book)
    matrix_sheet = book.active
    matrix_sheet.title = MATRIX
    _write_matrix(matrix_sheet, current)
    _write_evidence(book.create_sheet(EVIDENCE), current)
    _write_dimensions(book.create_sheet(DIMENSIONS), current.catalogue)
    _write_history(book.create_sheet(HISTORY), history.history_rows(session))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _add_styles(book: Any) -> None:
    top = Alignment(vertical="top", wrap_text=True)
    styles = [
        NamedStyle(
            HEADER_STYLE,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="D9D9D9"),
            alignment=top,
        ),
        NamedStyle(KEY_STYLE, font=Font(bold=True), alignment=top),
        NamedStyle(VALUE_STYLE, alignment=top),
        NamedStyle(LINK_STYLE, font=Font(color="0563C1", underline="single"), alignment=top),
        *(
            NamedStyle(
                f"mc status {status}", fill=PatternFill("solid", fgColor=colour), alignment=top
            )
            for status, colour in STATUS_FILLS.items()
        ),
    ]
    for style in styles:
        book.add_named_style(style)


def _put(sheet: Any, row: int, column: int, value: WorkbookValue, style: str) -> Any:
    # Text stays text, whatever it starts with (docs: SECURITY.md).
    return put_cell(sheet, row, column, value, style)


def _headers(sheet: Any, headers: Iterable[str], widths: Sequence[int]) -> None:
    for column, header in enumerate(headers, start=1):
        _put(sheet, 1, column, header, HEADER_STYLE)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _write_matrix(sheet: Any, current: service.Matrix) -> None:
    codes = [j.code for j in current.jurisdictions]
    _headers(sheet, [*MATRIX_HEADERS, *codes], [10, 44, 22, *([40] * len(codes))])
    _put(sheet, 2, 3, "name", KEY_STYLE)
    for column, jurisdiction in enumerate(current.jurisdictions, start=FIRST_JURISDICTION_COLUMN):
        _put(sheet, 2, column, jurisdiction.name, KEY_STYLE)
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error="Use one of: " + ", ".join(STATUSES),
    )
    row = 3
    last = get_column_letter(FIRST_JURISDICTION_COLUMN + len(codes) - 1)
    for dimension in editable_dimensions(current.catalogue):
        for part in parts_of(dimension):
            _put(sheet, row, 1, dimension.id, KEY_STYLE)
            _put(sheet, row, 2, part_label(dimension, part), KEY_STYLE)
            _put(sheet, row, 3, part, KEY_STYLE)
            for column, code in enumerate(codes, start=FIRST_JURISDICTION_COLUMN):
                cell = current.cell(code, dimension.id)
                style = f"mc status {cell.status}" if part == "status" else VALUE_STYLE
                _put(sheet, row, column, part_value(dimension, cell, part), style)
            if part == "status" and codes:
                choices.add(f"{get_column_letter(FIRST_JURISDICTION_COLUMN)}{row}:{last}{row}")
            row += 1
    sheet.add_data_validation(choices)
    sheet.freeze_panes = sheet.cell(row=3, column=FIRST_JURISDICTION_COLUMN)


def _write_evidence(sheet: Any, current: service.Matrix) -> None:
    _headers(sheet, EVIDENCE_HEADERS, [12, 10, 5, 48, 48, 30, 30, 13, 13, 60, 18, 12])
    row = 2
    for jurisdiction in current.jurisdictions:
        for dimension in editable_dimensions(current.catalogue):
            cell = current.cell(jurisdiction.code, dimension.id)
            for n, evidence in enumerate(cell.evidence, start=1):
                _put(sheet, row, 1, jurisdiction.code, KEY_STYLE)
                _put(sheet, row, 2, dimension.id, KEY_STYLE)
                _put(sheet, row, 3, n, KEY_STYLE)
                for column, name in enumerate(EVIDENCE_FIELDS, start=4):
                    text = getattr(evidence, name) or None
                    link = name == "url" and text is not None
                    written = _put(sheet, row, column, text, LINK_STYLE if link else VALUE_STYLE)
                    if link:
                        written.hyperlink = text
                row += 1
    sheet.freeze_panes = "D2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(EVIDENCE_HEADERS))}{max(row - 1, 1)}"


def _write_dimensions(sheet: Any, cat: Catalogue) -> None:
    headers = ("id", "label", "theme", "value type", "description", "fields", "EU reference")
    _headers(sheet, headers, [8, 30, 20, 18, 60, 70, 70])
    row = 2
    for dimension in cat.dimensions:
        fields = "\n".join(
            f"value.{f.name}: {f.label} ({field_hint(f)})"
            + (" — computed by the platform, not in the Matrix sheet" if f.computed else "")
            for f in dimension.fields.values()
        )
        values = (
            dimension.id,
            dimension.label,
            dimension.theme,
            dimension.value_type,
            dimension.description,
            fields,
            dimension.eu_reference,
        )
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value, KEY_STYLE if column == 1 else VALUE_STYLE)
        row += 1
    notes = (
        ("status", "Cell status", "one of: " + ", ".join(STATUSES)),
        ("evidence_type", "Evidence type", "one of: " + ", ".join(EVIDENCE_TYPES)),
        ("confidence", "Confidence", "one of: " + ", ".join(CONFIDENCES)),
    )
    for name, label, hint in notes:
        row += 1
        _put(sheet, row, 1, name, KEY_STYLE)
        _put(sheet, row, 2, label, VALUE_STYLE)
        _put(sheet, row, 6, hint, VALUE_STYLE)
    sheet.freeze_panes = "B2"
    sheet.protection.sheet = True  # for reading: the import ignores this sheet


def _write_history(sheet: Any, rows: Iterable[PolicyChange]) -> None:
    headers = ("changed_at (UTC)", "jurisdiction", "dimension", "actor", "source", "reason")
    _headers(sheet, [*headers, "changed"], [21, 12, 10, 30, 10, 50, 40])
    number = 1
    for number, change in enumerate(rows, start=2):
        old = Cell.from_snapshot(change.old)
        new = Cell.from_snapshot(change.new)
        dimension = catalogue().get(change.dimension)
        changed = (
            [d.part for d in differences(dimension, old, new)]
            if dimension is not None
            else [k for k, v in new.snapshot().items() if old.snapshot().get(k) != v]
        )
        values = (
            change.changed_at.astimezone(UTC).isoformat(timespec="seconds"),
            change.jurisdiction,
            change.dimension,
            change.actor,
            change.source,
            change.reason,
            "\n".join(changed),
        )
        for column, value in enumerate(values, start=1):
            _put(sheet, number, column, value, VALUE_STYLE)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:G{number}"
    sheet.protection.sheet = True
