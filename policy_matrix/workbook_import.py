"""Reading a matrix workbook back: every error with its place, or the plan of changes.

:func:`read_workbook` opens the upload safely (:func:`microcasa.spreadsheet.open_xlsx`),
rebuilds each jurisdiction × dimension of the Matrix and Evidence sheets, and checks
every cell with the same rules as every other way of editing
(:func:`policy_matrix.service.check_edits`). It reports all problems at once, each
with its sheet, row and column (``Matrix!F12``), or returns the
:class:`~policy_matrix.workbook_plan.ImportPlan` of the cells that change.

A cell is in the workbook when its jurisdiction has a column and its dimension at
least one row on the Matrix sheet: parts without a row keep their current content,
and its sources are exactly the Evidence rows that name it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl.utils import get_column_letter
from sqlmodel import Session

from microcasa.spreadsheet import Refusal, Row, XlsxRefused, open_xlsx
from policy_matrix import service
from policy_matrix.catalogue import Dimension, catalogue
from policy_matrix.errors import EntryInvalid, MatrixProblem
from policy_matrix.values import EVIDENCE_FIELDS, Cell, check_cell
from policy_matrix.workbook_errors import SHEET_ORDER, Issue, WorkbookError, WorkbookInvalid
from policy_matrix.workbook_layout import (
    CELL_PARTS,
    EVIDENCE,
    EVIDENCE_HEADERS,
    FIRST_JURISDICTION_COLUMN,
    MATRIX,
    MATRIX_HEADERS,
    blank,
    cell_text,
    editable_dimensions,
    parts_of,
    typed_value,
)
from policy_matrix.workbook_plan import ImportPlan, PlannedChange, revisions

MAX_ROWS = 5000  # of a sheet, header rows included
Rows = list[Row]
_ERRORS = {
    Refusal.TOO_LARGE: WorkbookError.TOO_LARGE,
    Refusal.NOT_XLSX: WorkbookError.NOT_XLSX,
    Refusal.CORRUPT: WorkbookError.CORRUPT,
    Refusal.ZIP_BOMB: WorkbookError.ZIP_BOMB,
}


def _open(data: bytes) -> dict[str, Rows]:
    """The Matrix and Evidence sheets as rows of typed values, or WorkbookInvalid."""
    try:
        with open_xlsx(data, MAX_ROWS, SHEET_ORDER) as sheets:
            return {name: list(rows) for name, rows in sheets.items()}
    except XlsxRefused as refused:
        raise WorkbookInvalid(_issues(refused)) from None


def _issues(refused: XlsxRefused) -> list[Issue]:
    """A refused upload in the words of the workbook's own catalogue."""
    details = refused.details
    if refused.refusal is Refusal.MISSING_SHEETS:
        found = ", ".join(details["found"])[:200]
        return [
            Issue(WorkbookError.MISSING_SHEET.format(sheet=name, found=found))
            for name in details["missing"]
        ]
    if refused.refusal is Refusal.TOO_MANY_ROWS:
        return [Issue(WorkbookError.TOO_MANY_ROWS.format(limit=MAX_ROWS), details["sheet"])]
    return [Issue(_ERRORS[refused.refusal].format(**details))]


@dataclass
class _Matrix:
    """What the Matrix sheet gives: columns by jurisdiction, rows by dimension and part."""

    columns: dict[str, int] = field(default_factory=dict)  # code -> column number
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # dimension -> part -> row
    values: dict[tuple[str, str, str], Any] = field(default_factory=dict)


@dataclass
class _Source:
    n: int
    row: int
    fields: dict[str, str]


def read_workbook(
    session: Session, data: bytes, actor: service.Actor, today: date | None = None
) -> ImportPlan:
    """The cells a workbook changes, checked; or WorkbookInvalid listing every problem."""
    sheets = _open(data)  # the slow part, before the first query
    current = service.matrix(session)
    codes = {j.code for j in current.jurisdictions}
    issues: list[Issue] = []
    matrix = _read_matrix(sheets[MATRIX], codes, issues)
    sources, columns = _read_evidence(sheets[EVIDENCE], codes, issues)
    known = revisions(session)
    changes: list[PlannedChange] = []
    cells = 0
    for jurisdiction in current.jurisdictions:
        code = jurisdiction.code
        for dimension in editable_dimensions(current.catalogue):
            in_matrix = code in matrix.columns and dimension.id in matrix.rows
            if not in_matrix and (code, dimension.id) not in sources:
                continue  # not in the workbook: left alone
            cells += 1
            old = current.cell(code, dimension.id)
            cell_sources = sources.get((code, dimension.id), [])
            where = _Where(
                f"{code} {dimension.id}",
                matrix.columns.get(code) if in_matrix else None,
                matrix.rows.get(dimension.id, {}) if in_matrix else {},
                [source.row for source in cell_sources],
                columns,
            )
            raw = _raw_cell(dimension, old, matrix if in_matrix else _Matrix(), code, cell_sources)
            allowed = service.may_edit(actor, jurisdiction)
            try:
                if allowed:
                    edit = service.Edit(code, dimension.id, raw)
                    new = service.check_edits(session, actor, [edit], today)[0].new
                else:  # only to learn whether it changes: unchanged cells are fine
                    new = check_cell(dimension, raw, today)
            except EntryInvalid as exc:
                for place, messages in exc.errors.items():
                    issues.extend(where.issue(place, message) for message in messages)
                continue
            except MatrixProblem as exc:
                issues.append(where.issue("status", exc.message))
                continue
            if new.snapshot() == old.snapshot():
                continue
            revision = known.get((code, dimension.id), 0)
            change = PlannedChange.of(code, dimension, old, new, revision)
            if not allowed:
                try:
                    service.ensure_may_edit(actor, jurisdiction)
                except MatrixProblem as exc:
                    reason = WorkbookError.NOT_YOURS.format(reason=exc.message)
                    issues.append(where.issue(change.parts[0], reason))
                continue
            changes.append(change)
    if issues:
        raise WorkbookInvalid(issues)
    return ImportPlan(tuple(changes), cells)


def _read_matrix(rows: Rows, codes: set[str], issues: list[Issue]) -> _Matrix:
    found = _Matrix()
    header = rows[0] if rows else ()
    for column, expected in enumerate(MATRIX_HEADERS, start=1):
        given = cell_text(header[column - 1]).strip().lower() if len(header) >= column else ""
        if given != expected:
            issues.append(Issue(WorkbookError.HEADER.format(expected=expected), MATRIX, 1, column))
    blank_columns: set[int] = set()
    for column in range(FIRST_JURISDICTION_COLUMN, len(header) + 1):
        code = cell_text(header[column - 1]).strip().upper()
        if not code:
            blank_columns.add(column)
        elif code not in codes:
            message = WorkbookError.UNKNOWN_JURISDICTION.format(code=code[:20])
            issues.append(Issue(message, MATRIX, 1, column))
        elif code in found.columns:
            first = get_column_letter(found.columns[code])
            message = WorkbookError.DUPLICATE_COLUMN.format(header=code, first=first)
            issues.append(Issue(message, MATRIX, 1, column))
        else:
            found.columns[code] = column
    filled_blanks: set[int] = set()
    for number, values in enumerate(rows[1:], start=2):
        cells = dict(enumerate(values, start=1))
        if all(blank(v) for c, v in cells.items() if c != 2):  # the label column is not read
            continue
        filled_blanks |= {c for c in blank_columns if not blank(cells.get(c))}
        dimension_id = cell_text(cells.get(1)).strip().upper()
        if not dimension_id:
            if number == 2:
                continue  # the row of the jurisdictions' names
            issues.append(Issue(WorkbookError.NO_DIMENSION.value, MATRIX, number, 1))
            continue
        dimension = catalogue().get(dimension_id)
        if dimension is None or dimension.computed:
            issues.append(_dimension_issue(dimension_id, dimension, MATRIX, number, 1))
            continue
        part = cell_text(cells.get(3)).strip().lower()
        parts = parts_of(dimension)
        if part not in parts:
            spec = dimension.fields.get(part.removeprefix("value."))
            computed = spec is not None and spec.computed
            error = WorkbookError.COMPUTED_PART if computed else WorkbookError.UNKNOWN_PART
            message = error.format(dimension=dimension.id, part=part[:40], parts=", ".join(parts))
            issues.append(Issue(message, MATRIX, number, 3))
            continue
        seen = found.rows.setdefault(dimension.id, {})
        if part in seen:
            message = WorkbookError.DUPLICATE_PART.format(
                dimension=dimension.id, part=part, first=seen[part]
            )
            issues.append(Issue(message, MATRIX, number, 3))
            continue
        seen[part] = number
        for code, column in found.columns.items():
            found.values[(code, dimension.id, part)] = cells.get(column)
    issues.extend(
        Issue(WorkbookError.NO_JURISDICTION.value, MATRIX, 1, column)
        for column in sorted(filled_blanks)
    )
    return found


def _dimension_issue(
    given: str, dimension: Dimension | None, sheet: str, row: int, column: int
) -> Issue:
    error = WorkbookError.COMPUTED_DIMENSION if dimension else WorkbookError.UNKNOWN_DIMENSION
    dimensions = editable_dimensions()
    message = error.format(dimension=given[:20], first=dimensions[0].id, last=dimensions[-1].id)
    return Issue(message, sheet, row, column)


def _read_evidence(
    rows: Rows, codes: set[str], issues: list[Issue]
) -> tuple[dict[tuple[str, str], list[_Source]], dict[str, int]]:
    header = rows[0] if rows else ()
    columns: dict[str, int] = {}
    for column, value in enumerate(header, start=1):
        name = cell_text(value).strip().lower()
        if not name:
            continue
        if name not in EVIDENCE_HEADERS:
            listed = ", ".join(EVIDENCE_HEADERS)
            message = WorkbookError.UNKNOWN_COLUMN.format(header=name[:40], columns=listed)
            issues.append(Issue(message, EVIDENCE, 1, column))
        elif name in columns:
            first = get_column_letter(columns[name])
            message = WorkbookError.DUPLICATE_COLUMN.format(header=name, first=first)
            issues.append(Issue(message, EVIDENCE, 1, column))
        else:
            columns[name] = column
    missing = [name for name in EVIDENCE_HEADERS if name not in columns]
    for name in missing:
        issues.append(Issue(WorkbookError.MISSING_COLUMN.format(column=name), EVIDENCE, 1))
    sources: dict[tuple[str, str], list[_Source]] = defaultdict(list)
    if missing:
        return sources, columns
    for number, values in enumerate(rows[1:], start=2):
        cells = {name: values[c - 1] if c <= len(values) else None for name, c in columns.items()}
        if all(blank(v) for v in cells.values()):
            continue
        code = cell_text(cells["jurisdiction"]).strip().upper()
        dimension_id = cell_text(cells["dimension"]).strip().upper()
        n = cells["n"]
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if isinstance(n, str) and n.strip().isascii() and n.strip().isdigit():
            n = int(n.strip())
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            issues.append(Issue(WorkbookError.SOURCE_NUMBER.value, EVIDENCE, number, columns["n"]))
            continue
        dimension = catalogue().get(dimension_id)
        if code not in codes:
            message = WorkbookError.UNKNOWN_JURISDICTION.format(code=code[:20])
            issues.append(Issue(message, EVIDENCE, number, columns["jurisdiction"]))
            continue
        if dimension is None or dimension.computed:
            issues.append(
                _dimension_issue(dimension_id, dimension, EVIDENCE, number, columns["dimension"])
            )
            continue
        fields = {name: cell_text(cells[name]) for name in EVIDENCE_FIELDS}
        sources[(code, dimension_id)].append(_Source(n, number, fields))
    for found in sources.values():
        found.sort(key=lambda source: (source.n, source.row))
    return sources, columns


def _raw_cell(
    dimension: Dimension, old: Cell, matrix: _Matrix, code: str, sources: list[_Source]
) -> dict[str, Any]:
    """The cell's raw fields: the workbook's parts over the current content."""
    base = old.snapshot()
    value: dict[str, Any] = dict(base["value"] or {})
    raw: dict[str, Any] = {"status": base["status"], "as_of": base["as_of"], "notes": base["notes"]}
    for part in matrix.rows.get(dimension.id, {}):
        given = matrix.values.get((code, dimension.id, part))
        if blank(given) and part in CELL_PARTS:
            raw[part] = None  # status: unknown; as_of and notes: none
        elif part == "status":
            raw["status"] = given.strip() if isinstance(given, str) else given
        elif part in CELL_PARTS:
            raw[part] = cell_text(given)
        else:
            name = part.removeprefix("value.")
            typed = typed_value(dimension.fields[name], given)
            if typed is None or typed == []:
                value.pop(name, None)
            else:
                value[name] = typed
    raw["value"] = value or None
    raw["evidence"] = [source.fields for source in sources]
    return raw


@dataclass(frozen=True)
class _Where:
    """Maps the places check_cell names (``value.min``, ``evidence[2].url``) to sheet cells."""

    cell: str  # "MY PM09"
    column: int | None  # on the Matrix sheet; None when the cell is on the Evidence sheet only
    rows: Mapping[str, int]  # part -> Matrix row
    source_rows: Sequence[int]  # the cell's sources, in order -> Evidence row
    evidence_columns: Mapping[str, int]

    def issue(self, place: str, message: str) -> Issue:
        about = f"{self.cell} {place}"
        source = re.fullmatch(r"evidence\[(\d+)\](?:\.(\w+))?", place)
        if source and 0 < int(source.group(1)) <= len(self.source_rows):
            row = self.source_rows[int(source.group(1)) - 1]
            column = self.evidence_columns.get(source.group(2) or "n")
            return Issue(message, EVIDENCE, row, column, about)
        if self.column is None or not self.rows:
            first = self.source_rows[0] if self.source_rows else None
            return Issue(message, EVIDENCE, first, self.evidence_columns.get("n"), about)
        part = place if place in self.rows else "status"
        field_name = re.match(r"value\.(\w+)", place)
        if field_name and f"value.{field_name.group(1)}" in self.rows:
            part = f"value.{field_name.group(1)}"
        elif place == "value":
            part = next((p for p in self.rows if p.startswith("value.")), "status")
        row = self.rows.get(part) or min(self.rows.values())
        return Issue(message, MATRIX, row, self.column, about)
