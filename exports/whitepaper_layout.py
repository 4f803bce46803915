"""The white paper's look: named styles, sheet names, links, wrapped text and print setup.

Every style is a named style registered once per workbook (cells refer to it by
name), and every value goes through :func:`microcasa.spreadsheet.put_cell`, so no
text, whatever it starts with, becomes a formula.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange

from microcasa.spreadsheet import put_cell
from policy_matrix.workbook import STATUS_FILLS

TITLE = "wp title"
SUBTITLE = "wp subtitle"
BANNER = "wp banner"
HEADER = "wp header"
LABEL = "wp label"
MISSING_LABEL = "wp missing label"
TEXT = "wp text"
COUNT = "wp count"
PERCENT = "wp percent"
NUMBER_1 = "wp number 1"
NUMBER_2 = "wp number 2"
VALID_N = "wp valid n"
VALID_N_LABEL = "wp valid n label"
FLAG = "wp flag"
FOOTNOTE = "wp footnote"
LINK = "wp link"
WEB_LINK = "wp web link"  # a web address, wrapped so that it shows in print
BLOCK = "wp block"  # the heading of a block of rows: "Percent", "Count", …

COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
HEADER_FILL = "D9D9D9"  # the matrix workbook's header grey
LINK_COLOUR = "0563C1"
CONTENTS = "Contents"
BACK = "← Contents"
MAX_SHEET_NAME = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
POINTS_PER_LINE = 15.0
CHARACTERS_PER_WIDTH = 1.15  # characters of ordinary text per unit of column width
DEFAULT_WIDTH = 8.43


def status_style(status: str) -> str:
    return f"wp status {status}"


def add_styles(book: Any) -> None:
    """Register the white paper's named styles in ``book`` (once)."""
    top = Alignment(vertical="top", wrap_text=True)
    number = Alignment(horizontal="right", vertical="top")
    unwrapped = Alignment(vertical="top")
    thin = Side(style="thin", color="808080")
    styles = [
        NamedStyle(TITLE, font=Font(bold=True, size=14), alignment=top),
        NamedStyle(SUBTITLE, font=Font(italic=True, color="404040"), alignment=top),
        NamedStyle(
            BANNER,
            font=Font(bold=True, size=12, color="FFFFFF"),
            fill=PatternFill("solid", fgColor="C00000"),
            alignment=Alignment(horizontal="left", vertical="center"),
        ),
        NamedStyle(
            HEADER,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor=HEADER_FILL),
            border=Border(bottom=thin),
            alignment=Alignment(horizontal="center", vertical="top", wrap_text=True),
        ),
        NamedStyle(LABEL, alignment=top),
        NamedStyle(MISSING_LABEL, font=Font(italic=True, color="595959"), alignment=top),
        NamedStyle(TEXT, alignment=Alignment(horizontal="right", vertical="top")),
        NamedStyle(COUNT, number_format=COUNT_FORMAT, alignment=number),
        NamedStyle(PERCENT, number_format=PERCENT_FORMAT, alignment=number),
        NamedStyle(NUMBER_1, number_format="#,##0.0", alignment=number),
        NamedStyle(NUMBER_2, number_format="#,##0.00", alignment=number),
        NamedStyle(
            VALID_N,
            font=Font(bold=True),
            number_format=COUNT_FORMAT,
            border=Border(top=thin),
            alignment=number,
        ),
        NamedStyle(VALID_N_LABEL, font=Font(bold=True), border=Border(top=thin), alignment=top),
        NamedStyle(FLAG, font=Font(italic=True, color="C00000"), alignment=number),
        NamedStyle(FOOTNOTE, font=Font(size=9), alignment=top),
        NamedStyle(BLOCK, font=Font(bold=True, color="404040"), alignment=unwrapped),
        NamedStyle(
            LINK,
            font=Font(color=LINK_COLOUR, underline="single"),
            alignment=Alignment(vertical="top"),
        ),
        NamedStyle(WEB_LINK, font=Font(color=LINK_COLOUR, underline="single"), alignment=top),
        *(
            NamedStyle(
                status_style(status), fill=PatternFill("solid", fgColor=colour), alignment=top
            )
            for status, colour in STATUS_FILLS.items()
        ),
    ]
    for style in styles:
        book.add_named_style(style)


class SheetNames:
    """Valid, unique sheet names: at most 31 characters, none of []:*?/\\, not blank, and
    unique ignoring case (as Excel compares them); a taken name gets " (2)", " (3)", …"""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def name(self, wanted: str) -> str:
        base = _FORBIDDEN.sub("_", wanted).strip().strip("'").strip() or "Sheet"
        base = base[:MAX_SHEET_NAME]
        candidate, n = base, 1
        while candidate.casefold() in self.taken:
            n += 1
            suffix = f" ({n})"
            candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        self.taken.add(candidate.casefold())
        return candidate


def location(sheet_name: str, cell: str = "A1") -> str:
    """A link target inside the workbook: 'Sheet name'!A1 (quotes doubled)."""
    return "'" + sheet_name.replace("'", "''") + "'!" + cell


def put(sheet: Any, row: int, column: int, value: object, style: str) -> Any:
    """One cell, safely (text stays text), in a named style."""
    return put_cell(sheet, row, column, value, style)


def link_to_sheet(sheet: Any, row: int, column: int, text: str, target: str) -> Any:
    """A cell that jumps to sheet ``target`` (its top-left cell)."""
    cell = put(sheet, row, column, text, LINK)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location(target), display=text)
    return cell


def link_to_web(sheet: Any, row: int, column: int, url: str) -> Any:
    """A cell holding a web address that opens it (callers pass http(s) addresses only)."""
    cell = put(sheet, row, column, url, WEB_LINK)
    cell.hyperlink = url
    return cell


def sheet_title(sheet: Any, text: str, last_column: int) -> None:
    """The sheet's title in row 2, across its columns."""
    wrapped(sheet, 2, text, TITLE, last_column)


def back_link(sheet: Any) -> None:
    """A link to the Contents sheet in A1."""
    link_to_sheet(sheet, 1, 1, BACK, CONTENTS)


def wrapped(sheet: Any, row: int, text: str, style: str, last_column: int) -> None:
    """Text across columns 1..last_column of one row (merged), wrapped by its style."""
    put(sheet, row, 1, text, style)
    if last_column > 1:
        # Registered directly: merge_cells() would also restyle the covered cells, which are
        # empty and unstyled here, and it is slow (milliseconds a range).
        end = get_column_letter(last_column)
        sheet.merged_cells.add(MergedCellRange(sheet, f"A{row}:{end}{row}"))


def fit_rows(sheet: Any) -> None:
    """Make each row tall enough for its wrapped text.

    Spreadsheet programs size a row to its text when the file is edited, not when it is
    opened or printed (and never a merged one), so the height is set here from the
    lines each wrapped text needs at its column's (or merged range's) width.
    """
    spans = {
        (merged.min_row, merged.min_col): sum(
            _width(sheet, column) for column in range(merged.min_col, merged.max_col + 1)
        )
        for merged in sheet.merged_cells.ranges
    }
    for cells in sheet.iter_rows():
        lines = 1
        for cell in cells:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            width = spans.get((cell.row, cell.column)) or _width(sheet, cell.column)
            size = (cell.font.sz or 11) / 11 * (1.1 if cell.font.b else 1.0)
            per_line = max(width * CHARACTERS_PER_WIDTH / size, 1.0)
            needed = sum(max(1, math.ceil(len(part) / per_line)) for part in cell.value.split("\n"))
            lines = max(lines, needed)
        if lines > 1:
            sheet.row_dimensions[cells[0].row].height = POINTS_PER_LINE * lines


def _width(sheet: Any, column: int) -> float:
    width = sheet.column_dimensions[get_column_letter(column)].width
    return float(width or DEFAULT_WIDTH)


def widths(sheet: Any, values: Iterable[float], start: int = 1) -> None:
    for column, width in enumerate(values, start=start):
        sheet.column_dimensions[get_column_letter(column)].width = width


def print_setup(sheet: Any, title_rows: tuple[int, int] | None = None) -> None:
    """Landscape A4, fitted to the page width, with the header rows repeated on each page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False
    if title_rows is not None:
        sheet.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
