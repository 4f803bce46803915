"""Reading a workbook into plain sheets, safely: size, zip and row limits come first.

Two sources give the same :class:`Sheet` objects: an uploaded .xlsx, and
markdown tables (the readable text form of a questionnaire, and how tests write
questionnaires).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from survey.xlsform.errors import FormError, FormInvalid, issue

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 300


@dataclass(frozen=True)
class Row:
    number: int  # as the author sees it: the header is row 1
    cells: dict[str, str]  # header -> trimmed text (blank cells left out)


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: tuple[str, ...]  # trimmed; "" for a column without a header
    rows: tuple[Row, ...]  # blank rows left out


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _check_zip(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise FormInvalid(
            [
                issue(
                    FormError.TOO_LARGE,
                    size=round(len(data) / 1048576, 1),
                    limit=MAX_FILE_BYTES // 1048576,
                )
            ]
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise FormInvalid([issue(FormError.NOT_XLSX)])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise FormInvalid([issue(FormError.NOT_XLSX)])
            unpacked = sum(member.file_size for member in members)
    except FormInvalid:
        raise
    except Exception as exc:  # a damaged zip directory raises unexpected exception types
        raise FormInvalid([issue(FormError.CORRUPT, reason=_reason(exc))]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise FormInvalid([issue(FormError.ZIP_BOMB, limit=MAX_UNPACKED_BYTES // 1048576)])


def read_workbook(data: bytes) -> list[Sheet]:
    """Every sheet of an .xlsx as text, or FormInvalid for an unsafe or broken file."""
    _check_zip(data)
    # openpyxl parses with defusedxml when it is installed (a dependency of the
    # platform), which refuses entity expansion and external entities (XXE).
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise FormInvalid([issue(FormError.CORRUPT, reason=_reason(exc))]) from None
    try:
        return [_read_sheet(sheet) for sheet in workbook.worksheets]
    except FormInvalid:
        raise
    except Exception as exc:
        raise FormInvalid([issue(FormError.CORRUPT, reason=_reason(exc))]) from None
    finally:
        workbook.close()


def _reason(exc: BaseException) -> str:
    """Why openpyxl could not read the file, in words for the form author."""
    # Imported here so that a missing install fails loudly on the first upload.
    from defusedxml import DefusedXmlException

    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, DefusedXmlException):
            # openpyxl's own message ("could not read strings from None") says nothing.
            return "it declares XML entities, which a workbook saved by Excel never does"
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return text or type(exc).__name__


def _read_sheet(worksheet: Any) -> Sheet:
    name = str(worksheet.title)
    headers: tuple[str, ...] = ()
    rows: list[Row] = []
    for number, values in enumerate(
        worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
    ):
        if number == 1:
            headers = tuple(_cell_text(value) for value in values)
            continue
        if number > MAX_ROWS + 1:
            raise FormInvalid([issue(FormError.TOO_MANY_ROWS, sheet=name, limit=MAX_ROWS)])
        cells = {
            header: text
            for header, text in zip(headers, (_cell_text(v) for v in values), strict=False)
            if text and header
        }
        if cells:
            rows.append(Row(number, cells))
    return Sheet(name, headers, tuple(rows))


_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR = re.compile(r"^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _split_row(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    cells, current, escaped = [], [], False
    for char in inner:
        if escaped:
            current.append(char if char == "|" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    cells.append("".join(current).strip())
    return cells


def read_markdown(text: str) -> list[Sheet]:
    """Sheets from markdown: a ``## name`` heading followed by one table per sheet.

    Row numbers are those the table would have in a spreadsheet (header = row 1).
    """
    sheets: list[Sheet] = []
    name: str | None = None
    headers: list[str] | None = None
    rows: list[Row] = []
    data_lines = 0

    def close() -> None:
        nonlocal headers, rows, data_lines
        if name is not None and headers is not None:
            sheets.append(Sheet(name, tuple(headers), tuple(rows)))
        headers, rows, data_lines = None, [], 0

    for line in text.splitlines():
        heading = re.match(r"^##\s+(\S.*?)\s*$", line)
        if heading:
            close()
            name = heading.group(1)
            continue
        if name is None or not _TABLE_LINE.match(line):
            continue
        if headers is None:
            headers = _split_row(line)
            continue
        if _SEPARATOR.match(line):
            continue
        data_lines += 1
        values = _split_row(line)
        cells = {h: v for h, v in zip(headers, values, strict=False) if h and v}
        if cells:
            rows.append(Row(data_lines + 1, cells))
    close()
    return sheets


def write_workbook(sheets: list[Sheet]) -> bytes:
    """An .xlsx with these sheets (every cell as text): the inverse of read_workbook."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        target = workbook.create_sheet(sheet.name)
        target.append(list(sheet.headers))
        for row in sheet.rows:
            # Placed by number: blank rows keep their place, so row numbers in
            # messages about the workbook are those of the source.
            for index, header in enumerate(sheet.headers, start=1):
                value = row.cells.get(header)
                if value is not None:
                    target.cell(row=row.number, column=index, value=value)
        for column_cells in target.columns:
            for cell in column_cells:
                cell.data_type = "s" if cell.value is not None else cell.data_type
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
