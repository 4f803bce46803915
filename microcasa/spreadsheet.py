"""Spreadsheets in and out of the platform, safely.

Out: text stays text, so no cell a program writes becomes a formula. Spreadsheet
programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (also after a
tab or carriage return) as a formula. Every CSV and workbook the platform writes
passes respondents' and editors' text through here.

In: an uploaded .xlsx is read within limits that are checked first (file size,
unpacked size, rows and columns), and openpyxl parses it with defusedxml, which
refuses entity expansion and external entities (XXE). Each area words a refusal
in its own error catalogue.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import Enum, auto, unique
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 300

Row = tuple[Any, ...]  # one row's cell values, None for a blank cell


def is_formula_like(text: str) -> bool:
    stripped = text.lstrip(" \n")
    return bool(stripped) and (stripped.startswith(FORMULA_STARTS) or text.startswith(("\t", "\r")))


def safe_csv_cell(value: object) -> object:
    """A CSV cell: numbers stay numbers; formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def xlsx_text(text: str) -> str:
    """Text a workbook can hold: characters XML forbids (most control characters) become
    U+FFFD, so a respondent's stray control character never breaks a download."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return cleaned


def put_cell(sheet: Any, row: int, column: int, value: object, style: str | None = None) -> Any:
    """Write a value into a workbook sheet (openpyxl, normal mode), safely.

    Numbers, booleans, dates and None are written as they are; text is always a text
    cell, whatever it starts with (openpyxl would make "=…" a formula and "#N/A" an
    error). ``style`` is the name of a registered named style.
    """
    if isinstance(value, str):
        value = xlsx_text(value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # after assigning: the assignment guesses the type
    if style is not None:
        cell.style = style
    return cell


def stream_cell(sheet: Any, value: object, style: str | None = None) -> Any:
    """A cell for a write-only sheet (``Workbook(write_only=True)``), with the same rules as
    :func:`put_cell`: text stays text."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        value = xlsx_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if style is not None:
        cell.style = style
    return cell


@unique
class Refusal(Enum):
    """Why an upload is not read; :attr:`XlsxRefused.details` fills in the message."""

    TOO_LARGE = auto()  # size and limit, in MB
    NOT_XLSX = auto()
    CORRUPT = auto()  # reason
    ZIP_BOMB = auto()  # limit, in MB
    MISSING_SHEETS = auto()  # missing: the sheets asked for and not there; found: every sheet
    TOO_MANY_ROWS = auto()  # sheet


class XlsxRefused(Exception):
    """The upload cannot be read as a workbook, for ``refusal``."""

    def __init__(self, refusal: Refusal, **details: Any) -> None:
        self.refusal = refusal
        self.details = details
        super().__init__(refusal.name)


@contextmanager
def open_xlsx(
    data: bytes, max_rows: int, sheets: Sequence[str] | None = None
) -> Iterator[dict[str, Iterator[Row]]]:
    """An uploaded .xlsx's sheets by name, each read row by row; or XlsxRefused.

    ``sheets`` names the sheets to read, all of which must be there (None: every
    sheet, in the workbook's order). Rows are read while the block runs; a sheet
    of more than ``max_rows`` rows, header included, is refused when its row
    ``max_rows + 1`` is reached.
    """
    _check_archive(data)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise XlsxRefused(Refusal.CORRUPT, reason=_reason(exc)) from None
    try:
        yield {str(sheet.title): _rows(sheet, max_rows) for sheet in _chosen(book, sheets)}
    finally:
        book.close()


def _chosen(book: Any, sheets: Sequence[str] | None) -> list[Any]:
    try:
        if sheets is None:
            return list(book.worksheets)  # chart sheets have no cells
        names = list(book.sheetnames)
        missing = [name for name in sheets if name not in names]
        if missing:
            raise XlsxRefused(Refusal.MISSING_SHEETS, missing=missing, found=names)
        return [book[name] for name in sheets]
    except XlsxRefused:
        raise
    except Exception as exc:
        raise XlsxRefused(Refusal.CORRUPT, reason=_reason(exc)) from None


def _rows(sheet: Any, max_rows: int) -> Iterator[Row]:
    try:
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        for number, values in enumerate(rows, start=1):
            if number > max_rows:
                raise XlsxRefused(Refusal.TOO_MANY_ROWS, sheet=str(sheet.title))
            yield tuple(values)
    except XlsxRefused:
        raise
    except Exception as exc:  # a broken sheet shows only when its rows are parsed
        raise XlsxRefused(Refusal.CORRUPT, reason=_reason(exc)) from None


def _check_archive(data: bytes) -> None:
    """Size and zip limits, before a byte is unpacked."""
    if len(data) > MAX_FILE_BYTES:
        size = round(len(data) / 1048576, 1)
        raise XlsxRefused(Refusal.TOO_LARGE, size=size, limit=MAX_FILE_BYTES // 1048576)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise XlsxRefused(Refusal.NOT_XLSX)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
    except Exception as exc:  # a damaged zip directory raises unexpected exception types
        raise XlsxRefused(Refusal.CORRUPT, reason=_reason(exc)) from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise XlsxRefused(Refusal.NOT_XLSX)
    if unpacked > MAX_UNPACKED_BYTES:
        raise XlsxRefused(Refusal.ZIP_BOMB, limit=MAX_UNPACKED_BYTES // 1048576)


def _reason(exc: BaseException) -> str:
    """Why openpyxl could not read the file, in words for the person who uploaded it."""
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
