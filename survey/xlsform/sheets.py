"""Reading a workbook into plain sheets, safely (:func:`microcasa.spreadsheet.open_xlsx`).

Two sources give the same :class:`Sheet` objects: an uploaded .xlsx, and
markdown tables (the readable text form of a questionnaire, and how tests write
questionnaires).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from microcasa.spreadsheet import Refusal, XlsxRefused, open_xlsx
from survey.xlsform.errors import FormError, FormInvalid, issue

MAX_ROWS = 5000  # under the header row


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


_ERRORS = {
    Refusal.TOO_LARGE: FormError.TOO_LARGE,
    Refusal.NOT_XLSX: FormError.NOT_XLSX,
    Refusal.CORRUPT: FormError.CORRUPT,
    Refusal.ZIP_BOMB: FormError.ZIP_BOMB,
}


def read_workbook(data: bytes) -> list[Sheet]:
    """Every sheet of an .xlsx as text, or FormInvalid for an unsafe or broken file."""
    try:
        with open_xlsx(data, MAX_ROWS + 1) as sheets:  # the header row comes on top
            return [_sheet(name, rows) for name, rows in sheets.items()]
    except XlsxRefused as refused:
        if refused.refusal is Refusal.TOO_MANY_ROWS:
            found = issue(FormError.TOO_MANY_ROWS, sheet=refused.details["sheet"], limit=MAX_ROWS)
        else:
            found = issue(_ERRORS[refused.refusal], **refused.details)
        raise FormInvalid([found]) from None


def _sheet(name: str, values: Iterator[tuple[Any, ...]]) -> Sheet:
    headers = tuple(_cell_text(value) for value in next(values, ()))
    rows: list[Row] = []
    for number, row in enumerate(values, start=2):
        cells = {
            header: text
            for header, text in zip(headers, (_cell_text(v) for v in row), strict=False)
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
