"""Reading a matrix workbook back: safe loading, every error with its place, the plan of changes.

:func:`read_workbook` opens the upload safely (size, zip and row limits first;
openpyxl parses with defusedxml), rebuilds each jurisdiction × dimension of the
Matrix and Evidence sheets, and checks every cell with the same rules as every
other way of editing (:func:`policy_matrix.service.check_edits`). It reports all
problems at once, each with its sheet, row and column (``Matrix!F12``), or
returns the :class:`~policy_matrix.workbook.ImportPlan` of the cells that change.

A cell is in the workbook when its jurisdiction has a column and its dimension at
least one row on the Matrix sheet: parts without a row keep their current content,
and its sources are exactly the Evidence rows that name it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, unique
from typing import Any

from openpyxl.utils import get_column_letter
from sqlmodel import Session

from policy_matrix import service
from policy_matrix.catalogue import Dimension, Field, catalogue
from policy_matrix.errors import EntryInvalid, MatrixProblem
from policy_matrix.values import EVIDENCE_FIELDS, Cell, check_cell
from policy_matrix.workbook import (
    CELL_PARTS,
    EVIDENCE,
    EVIDENCE_HEADERS,
    FIRST_JURISDICTION_COLUMN,
    ITEM_SEPARATOR,
    MATRIX,
    MATRIX_HEADERS,
    ImportPlan,
    PlannedChange,
    editable_dimensions,
    parts_of,
    revisions,
)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 300
SHEET_ORDER = (MATRIX, EVIDENCE)


@unique
class WorkbookError(Enum):
    """What a matrix editor can get wrong in a workbook, and what to do about it."""

    NOT_XLSX = "The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."
    TOO_LARGE = "The file is {size} MB; the largest matrix workbook accepted is {limit} MB."
    CORRUPT = "The workbook cannot be opened ({reason}). Open it in Excel, save it again as .xlsx."
    ZIP_BOMB = (
        "The workbook unpacks to more than {limit} MB; a matrix workbook is far smaller. "
        "Remove embedded pictures or data and save it again."
    )
    TOO_MANY_ROWS = "The sheet has more than {limit} rows; delete the rows that are not needed."
    MISSING_SHEET = (
        "The workbook has no “{sheet}” sheet (it has: {found}). Download the workbook again "
        "and make the changes in it."
    )
    HEADER = "This column should be headed “{expected}”, as in the downloaded workbook."
    MISSING_COLUMN = "The sheet has no “{column}” column; add it to the first row."
    UNKNOWN_COLUMN = "“{header}” is not a column of this sheet; its columns are {columns}."
    DUPLICATE_COLUMN = "The column “{header}” is there twice (also column {first}); delete one."
    UNKNOWN_JURISDICTION = (
        "There is no jurisdiction “{code}” in the matrix. Add the country on the matrix pages "
        "first, or delete this column."
    )
    NO_JURISDICTION = "This column has entries but no jurisdiction code in row 1."
    NO_DIMENSION = "This row has entries but no dimension (such as PM09) in column A."
    UNKNOWN_DIMENSION = "There is no dimension “{dimension}”; the catalogue has {first}–{last}."
    COMPUTED_DIMENSION = (
        "{dimension} is computed by the platform from other dimensions; delete its rows."
    )
    UNKNOWN_PART = "{dimension} has no part “{part}”; its parts are {parts}."
    COMPUTED_PART = "{part} of {dimension} is computed by the platform; delete this row."
    DUPLICATE_PART = "{dimension} {part} is there twice (also row {first}); delete one."
    SOURCE_NUMBER = "Give n, the order of the source within its cell, as a whole number from 1."
    NOT_YOURS = "You may not change this cell: {reason}"

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


@dataclass(frozen=True)
class Issue:
    """One problem in a workbook, with its place: ``Matrix!F12`` (or the sheet, or the file)."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: int | None = None
    about: str = ""  # the cell and part concerned, e.g. "MY PM09 value.max"

    @property
    def place(self) -> str:
        if not self.sheet:
            return "file"
        letters = get_column_letter(self.column) if self.column else ""
        return f"{self.sheet}!{letters}{self.row or ''}" if letters or self.row else self.sheet

    def __str__(self) -> str:
        about = f" ({self.about})" if self.about else ""
        return f"{self.place}{about}: {self.message}"

    def sort_key(self) -> tuple[int, int, int]:
        sheet = SHEET_ORDER.index(self.sheet) + 1 if self.sheet in SHEET_ORDER else 0
        return (sheet, self.row or 0, self.column or 0)


class WorkbookInvalid(Exception):
    """The workbook cannot be imported; ``issues`` lists every problem, in sheet order."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(sorted(issues, key=Issue.sort_key))
        super().__init__("; ".join(str(i) for i in self.issues[:3]))


Rows = list[tuple[Any, ...]]


def _open(data: bytes) -> dict[str, Rows]:
    """The Matrix and Evidence sheets as rows of typed values, or WorkbookInvalid."""
    if len(data) > MAX_FILE_BYTES:
        size = round(len(data) / 1048576, 1)
        raise WorkbookInvalid(
            [Issue(WorkbookError.TOO_LARGE.format(size=size, limit=MAX_FILE_BYTES // 1048576))]
        )
    _check_zip(data)
    # openpyxl parses with defusedxml when it is installed (a dependency of the
    # platform), which refuses entity expansion and external entities (XXE).
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise WorkbookInvalid([Issue(WorkbookError.CORRUPT.format(reason=_reason(exc)))]) from None
    try:
        names = list(book.sheetnames)
        missing = [
            Issue(WorkbookError.MISSING_SHEET.format(sheet=name, found=", ".join(names)[:200]))
            for name in SHEET_ORDER
            if name not in names
        ]
        if missing:
            raise WorkbookInvalid(missing)
        return {name: _rows(name, book[name]) for name in SHEET_ORDER}
    except WorkbookInvalid:
        raise
    except Exception as exc:
        raise WorkbookInvalid([Issue(WorkbookError.CORRUPT.format(reason=_reason(exc)))]) from None
    finally:
        book.close()


def _check_zip(data: bytes) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookInvalid([Issue(WorkbookError.NOT_XLSX.value)])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
    except Exception as exc:  # a damaged zip directory raises unexpected exception types
        raise WorkbookInvalid([Issue(WorkbookError.CORRUPT.format(reason=_reason(exc)))]) from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise WorkbookInvalid([Issue(WorkbookError.NOT_XLSX.value)])
    if unpacked > MAX_UNPACKED_BYTES:
        limit = MAX_UNPACKED_BYTES // 1048576
        raise WorkbookInvalid([Issue(WorkbookError.ZIP_BOMB.format(limit=limit))])


def _reason(exc: BaseException) -> str:
    from defusedxml import DefusedXmlException

    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, DefusedXmlException):
            return "it declares XML entities, which a workbook saved by Excel never does"
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return text or type(exc).__name__


def _rows(name: str, sheet: Any) -> Rows:
    rows: Rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), 1):
        if number > MAX_ROWS:
            message = WorkbookError.TOO_MANY_ROWS.format(limit=MAX_ROWS)
            raise WorkbookInvalid([Issue(message, name)])
        rows.append(tuple(values))
    return rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell as text: numbers as written, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _typed(spec: Field, value: Any) -> Any:
    """A Matrix cell as check_cell expects the field's value; what cannot be read goes as is."""
    if _blank(value):
        return None
    kind = spec.type
    if kind in ("integer", "number"):
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        return value
    if kind == "boolean":
        words = {"true": True, "false": False}
        return words.get(value.strip().lower(), value) if isinstance(value, str) else value
    if kind == "multi_enum":
        return _text(value).split()
    if kind == "list":
        lines = [line.strip() for line in _text(value).splitlines() if line.strip()]
        if spec.items is None:
            return lines
        return [_item(spec.items, line) for line in lines]
    return _text(value).strip()


def _item(fields: Mapping[str, Field], line: str) -> dict[str, Any]:
    """One line of a list of objects: "name | role" (split at the last "|": names may hold one)."""
    names = list(fields)
    values = [part.strip() for part in line.rsplit(ITEM_SEPARATOR.strip(), len(names) - 1)]
    values += [""] * (len(names) - len(values))
    return {
        name: _typed(fields[name], text) for name, text in zip(names, values, strict=True) if text
    }


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
        given = _text(header[column - 1]).strip().lower() if len(header) >= column else ""
        if given != expected:
            issues.append(Issue(WorkbookError.HEADER.format(expected=expected), MATRIX, 1, column))
    blank_columns: set[int] = set()
    for column in range(FIRST_JURISDICTION_COLUMN, len(header) + 1):
        code = _text(header[column - 1]).strip().upper()
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
        if all(_blank(v) for c, v in cells.items() if c != 2):  # the label column is not read
            continue
        filled_blanks |= {c for c in blank_columns if not _blank(cells.get(c))}
        dimension_id = _text(cells.get(1)).strip().upper()
        if not dimension_id:
            if number == 2:
                continue  # the row of the jurisdictions' names
            issues.append(Issue(WorkbookError.NO_DIMENSION.value, MATRIX, number, 1))
            continue
        dimension = catalogue().get(dimension_id)
        if dimension is None or dimension.computed:
            issues.append(_dimension_issue(dimension_id, dimension, MATRIX, number, 1))
            continue
        part = _text(cells.get(3)).strip().lower()
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
        name = _text(value).strip().lower()
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
        if all(_blank(v) for v in cells.values()):
            continue
        code = _text(cells["jurisdiction"]).strip().upper()
        dimension_id = _text(cells["dimension"]).strip().upper()
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
        fields = {name: _text(cells[name]) for name in EVIDENCE_FIELDS}
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
        if _blank(given) and part in CELL_PARTS:
            raw[part] = None  # status: unknown; as_of and notes: none
        elif part == "status":
            raw["status"] = given.strip() if isinstance(given, str) else given
        elif part in CELL_PARTS:
            raw[part] = _text(given)
        else:
            name = part.removeprefix("value.")
            typed = _typed(dimension.fields[name], given)
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
