"""The policy matrix as an .xlsx workbook: its layout, the export, and the plan an import applies.

Sheets, in this order:

- **Matrix**: row 1 holds ``dimension``, ``label``, ``part`` and then one jurisdiction
  code per column; row 2 the jurisdictions' names (not read back). From row 3, one row
  per dimension part: ``status``, ``as_of``, ``notes`` and ``value.<field>`` for each
  field of the dimension that is entered (computed dimensions and fields are left out).
- **Evidence**: one row per source: jurisdiction, dimension, n (its order in the
  cell), then the evidence fields; the URL is a working link.
- **Dimensions** and **History**: for reading only; the import ignores them.

The import (:mod:`policy_matrix.workbook_import`) reads Matrix and Evidence back
into an :class:`ImportPlan`; :func:`apply_plan` writes it as one change set.
No text ever becomes a formula: every text cell is written as a string cell.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session, select

from policy_matrix import history, service
from policy_matrix.catalogue import STATUSES, Catalogue, Dimension, Field, catalogue
from policy_matrix.models import PolicyChange, PolicyEntry
from policy_matrix.values import CONFIDENCES, EVIDENCE_FIELDS, EVIDENCE_TYPES, Cell, Evidence

MATRIX = "Matrix"
EVIDENCE = "Evidence"
DIMENSIONS = "Dimensions"
HISTORY = "History"
MATRIX_HEADERS = ("dimension", "label", "part")
FIRST_JURISDICTION_COLUMN = len(MATRIX_HEADERS) + 1
EVIDENCE_HEADERS = ("jurisdiction", "dimension", "n", *EVIDENCE_FIELDS)
CELL_PARTS = ("status", "as_of", "notes")
ITEM_SEPARATOR = " | "  # between the fields of one item of a list of objects (PM03 bodies)
IMPORT_SOURCE = "import"
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

WorkbookValue = str | int | float | bool | None


def editable_dimensions(cat: Catalogue | None = None) -> tuple[Dimension, ...]:
    """The dimensions that have rows in the Matrix sheet (computed ones are left out)."""
    return tuple(d for d in (cat or catalogue()).dimensions if not d.computed)


def parts_of(dimension: Dimension) -> tuple[str, ...]:
    """The Matrix rows of one dimension, in order."""
    return (*CELL_PARTS, *(f"value.{f.name}" for f in dimension.entered_fields))


def field_hint(field: Field) -> str:
    """How a value of this field is written in its workbook cell."""
    if field.type == "enum":
        return "one of: " + ", ".join(field.choices)
    if field.type == "multi_enum":
        return "any of, separated by spaces: " + " ".join(field.choices)
    if field.type == "list" and field.items is not None:
        parts = ITEM_SEPARATOR.join(field.items)
        choices = "; ".join(
            f"{name}: {', '.join(sub.choices)}" for name, sub in field.items.items() if sub.choices
        )
        return f"one per line, as {parts}" + (f" ({choices})" if choices else "")
    hints = {
        "list": "one per line",
        "boolean": "TRUE or FALSE",
        "integer": "a whole number",
        "number": "a number",
        "url": "a web address",
        "text": "text",
    }
    unit = f" ({field.unit})" if field.unit else ""
    return hints.get(field.type, field.type) + unit


def part_label(dimension: Dimension, part: str) -> str:
    if part == "status":
        return dimension.label
    if part == "as_of":
        return "As of (YYYY-MM-DD)"
    if part == "notes":
        return "Notes"
    field = dimension.fields[part.removeprefix("value.")]
    return f"{field.label} ({field_hint(field)})"


def field_value(field: Field, value: Any) -> WorkbookValue:
    """One typed value as its workbook cell holds it."""
    if value is None:
        return None
    if field.type == "multi_enum":
        return " ".join(str(v) for v in value)
    if field.type == "list":
        return "\n".join(_item_text(field, item) for item in value) or None
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _item_text(field: Field, item: Any) -> str:
    if field.items is None or not isinstance(item, Mapping):
        return str(item)
    return ITEM_SEPARATOR.join(text_of(item.get(name)) for name in field.items)


def part_value(dimension: Dimension, cell: Cell, part: str) -> WorkbookValue:
    """What the Matrix sheet holds for one part of a cell."""
    if part == "status":
        return cell.status
    if part == "as_of":
        return cell.as_of or None
    if part == "notes":
        return cell.notes or None
    name = part.removeprefix("value.")
    return field_value(dimension.fields[name], (cell.value or {}).get(name))


def text_of(value: WorkbookValue) -> str:
    """A workbook value as one would read it in the sheet ("" for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


@dataclass(frozen=True)
class Difference:
    """One part of a cell that an import changes, as the workbook shows it."""

    part: str  # status, as_of, notes, value.<field>, evidence[n], evidence[n].<field>
    old: str
    new: str


def _source_text(evidence: Evidence | None) -> str:
    if evidence is None:
        return ""
    return f"{evidence.title} <{evidence.url}>" if evidence.url else evidence.title


def differences(dimension: Dimension, old: Cell, new: Cell) -> tuple[Difference, ...]:
    """Every part that differs between two contents of a cell, in workbook order."""
    found = [
        Difference(part, text_of(before), text_of(after))
        for part in parts_of(dimension)
        if (before := part_value(dimension, old, part))
        != (after := part_value(dimension, new, part))
    ]
    for index in range(max(len(old.evidence), len(new.evidence))):
        was = old.evidence[index] if index < len(old.evidence) else None
        becomes = new.evidence[index] if index < len(new.evidence) else None
        if was is None or becomes is None:
            found.append(
                Difference(f"evidence[{index + 1}]", _source_text(was), _source_text(becomes))
            )
            continue
        found.extend(
            Difference(f"evidence[{index + 1}].{name}", getattr(was, name), getattr(becomes, name))
            for name in EVIDENCE_FIELDS
            if getattr(was, name) != getattr(becomes, name)
        )
    return tuple(found)


@dataclass(frozen=True)
class PlannedChange:
    """One cell an import changes: as it is, as it will be, and the parts that differ."""

    jurisdiction: str
    dimension: str
    old: Cell
    new: Cell
    revision: int  # the cell's revision when the workbook was read (0: never written)
    differences: tuple[Difference, ...]

    @classmethod
    def of(
        cls, jurisdiction: str, dimension: Dimension, old: Cell, new: Cell, revision: int
    ) -> PlannedChange:
        return cls(jurisdiction, dimension.id, old, new, revision, differences(dimension, old, new))

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(d.part for d in self.differences)


@dataclass(frozen=True)
class ImportPlan:
    """The cells a checked workbook changes; unchanged cells are not listed."""

    changes: tuple[PlannedChange, ...]
    cells_read: int = 0  # cells the workbook gave, changed or not

    def payload(self) -> dict[str, Any]:
        """The plan as JSON: each changed cell's new content and the revision it replaces."""
        cells = [
            {
                "jurisdiction": c.jurisdiction,
                "dimension": c.dimension,
                "revision": c.revision,
                "new": c.new.snapshot(),
            }
            for c in self.changes
        ]
        return {"cells_read": self.cells_read, "cells": cells}


def revisions(session: Session) -> dict[tuple[str, str], int]:
    """Each written cell's revision: an apply refuses cells changed since the plan was made."""
    rows = session.exec(
        select(PolicyEntry.jurisdiction, PolicyEntry.dimension, PolicyEntry.revision)
    )
    return {(code, dimension): revision for code, dimension, revision in rows}


def plan_from_payload(session: Session, payload: Mapping[str, Any]) -> ImportPlan:
    """A plan again from :meth:`ImportPlan.payload`, against the matrix as it is now."""
    current = service.matrix(session)
    changes = []
    for item in payload["cells"]:
        code = service.get_jurisdiction(session, str(item["jurisdiction"])).code
        dimension = service.dimension_of(str(item["dimension"]))
        new = Cell.from_snapshot(item["new"])
        revision = item["revision"]
        if not isinstance(revision, int):
            raise ValueError("revision")
        changes.append(
            PlannedChange.of(code, dimension, current.cell(code, dimension.id), new, revision)
        )
    return ImportPlan(tuple(changes), int(payload["cells_read"]))


def apply_plan(
    session: Session,
    actor: service.Actor,
    plan: ImportPlan,
    reason: str,
    today: date | None = None,
) -> tuple[history.Change, ...]:
    """Write the plan as one change set with source "import" (every cell is checked again)."""
    edits = [
        service.Edit(c.jurisdiction, c.dimension, c.new.snapshot(), c.revision)
        for c in plan.changes
    ]
    return service.apply_changes(session, actor, edits, reason, IMPORT_SOURCE, today)


# The export


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
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        # After assigning: openpyxl makes "=…" a formula and "#N/A" an error cell.
        # Text stays text, whatever it starts with (docs: SECURITY.md).
        cell.data_type = "s"
    cell.style = style
    return cell


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
