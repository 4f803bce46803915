"""A country summary as a printable workbook: one sheet per part, named styles, A4 landscape.

Every cell goes through :func:`microcasa.spreadsheet.put_cell`, so no text a
respondent or an editor wrote becomes a formula. Shares are written as
fractions with a ``0.0%`` format; a hidden share is the text "–".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from exports.country import CountrySummary, Headline, Ranked
from microcasa.spreadsheet import put_cell

HIDDEN = "–"
LINE_HEIGHT = 15  # points per line of wrapped 11-point text
TITLE, HEADER, TEXT, PERCENT, NUMBER, NOTE, BANNER = (
    "mc_title",
    "mc_header",
    "mc_text",
    "mc_percent",
    "mc_number",
    "mc_note",
    "mc_banner",
)


def _styles(book: Workbook) -> None:
    thin = Side(style="thin", color="999999")
    wrap = Alignment(wrap_text=True, vertical="top")
    styles = [
        NamedStyle(TITLE, font=Font(bold=True, size=14)),
        NamedStyle(
            HEADER,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="DDE6F0"),
            border=Border(bottom=thin),
            alignment=wrap,
        ),
        NamedStyle(TEXT, alignment=wrap),
        NamedStyle(PERCENT, number_format="0.0%", alignment=Alignment(vertical="top")),
        NamedStyle(NUMBER, number_format="#,##0.##", alignment=Alignment(vertical="top")),
        NamedStyle(NOTE, font=Font(italic=True, color="444444")),  # spills into empty cells
        NamedStyle(
            BANNER,
            font=Font(bold=True, color="9C0006"),
            fill=PatternFill("solid", fgColor="FFC7CE"),
        ),
    ]
    for style in styles:
        book.add_named_style(style)


def _sheet(
    book: Workbook, title: str, heading: str, header: Sequence[str], widths: Sequence[int]
) -> Worksheet:
    """A sheet with its heading in row 1, column headers in row 3, ready to print."""
    sheet = book.create_sheet(title[:31])
    put_cell(sheet, 1, 1, heading, TITLE)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(3, column).column_letter].width = width
    _row(sheet, 3, [(name, HEADER) for name in header])
    sheet.freeze_panes = "B4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "&P / &N"
    return sheet


def _row(sheet: Worksheet, row: int, values: Sequence[tuple[Any, str]]) -> None:
    lines = 1
    for column, (value, style) in enumerate(values, start=1):
        cell = put_cell(sheet, row, column, value, style)
        if isinstance(value, str) and style in (TEXT, HEADER):
            width = sheet.column_dimensions[cell.column_letter].width or 10
            lines = max(lines, math.ceil(len(value) / max(width, 1)))
    # Spreadsheet programs do not all grow a row for wrapped text when they open a file.
    if lines > 1:
        sheet.row_dimensions[row].height = LINE_HEIGHT * lines + 3


def _share(value: float | None) -> tuple[Any, str]:
    return (HIDDEN, TEXT) if value is None else (value / 100, PERCENT)


def _headline_value(h: Headline, value: float | None) -> tuple[Any, str]:
    if h.unit == "percent":
        return _share(value)
    return (HIDDEN, TEXT) if value is None else (value, NUMBER)


def country_workbook(summary: CountrySummary) -> Workbook:
    """The summary as a workbook (sheets: Summary, Policy matrix, Gaps, Barriers, Measures,
    Comments, Notes)."""
    book = Workbook()
    _styles(book)
    book.remove(book.active)
    _summary_sheet(book, summary)
    _matrix_sheet(book, summary)
    _gaps_sheet(book, summary)
    _ranked_sheet(book, "Barriers", summary, summary.barriers_label, summary.barriers)
    _ranked_sheet(book, "Measures", summary, summary.measures_label, summary.measures)
    _comments_sheet(book, summary)
    _notes_sheet(book, summary)
    book.properties.title = f"Country summary – {summary.name}"
    book.properties.creator = "microcasa"
    return book


def _summary_sheet(book: Workbook, s: CountrySummary) -> None:
    header = ("Indicator", s.name, "95% CI", "Valid N", "All countries", "Which", "Rank")
    sheet = _sheet(
        book, "Summary", f"{s.name} ({s.code}) – {s.title}", header, (46, 14, 16, 10, 14, 30, 12)
    )
    put_cell(sheet, 2, 1, _subtitle(s), NOTE)
    row = 4
    for h in s.headlines:
        ci = f"{h.ci[0]:.1f}–{h.ci[1]:.1f}%" if h.ci else ""
        rank = f"{h.rank} of {h.ranked}" if h.rank is not None else HIDDEN
        _row(
            sheet,
            row,
            [
                (h.label, TEXT),
                _headline_value(h, h.value),
                (ci, TEXT),
                (h.n if h.n is not None else "", NUMBER),
                _headline_value(h, h.all_value),
                (h.all_words, TEXT),
                (rank, TEXT),
            ],
        )
        row += 1
    if s.synthetic:
        put_cell(sheet, row + 1, 1, _synthetic_words(s), BANNER)


def _subtitle(s: CountrySummary) -> str:
    return (
        f"{s.responses:,} complete responses from {s.name}, {s.all_responses:,} from all "
        f"countries · labels in {s.language} · generated {s.generated.isoformat()} · "
        f"counts of 1–{s.suppressed_below - 1} hidden"
    )


def _synthetic_words(s: CountrySummary) -> str:
    return (
        f"SYNTHETIC DEMO DATA — not real responses: {s.synthetic:,} of the responses counted "
        "were made up by the platform's generator. Do not cite these numbers."
    )


def _matrix_sheet(book: Workbook, s: CountrySummary) -> None:
    header = ("Dimension", s.name, "EU reference", *(name for _, name in s.others))
    sheet = _sheet(
        book,
        "Policy matrix",
        f"Policy matrix: {s.name} beside the EU and the others",
        header,
        (40, 18, 18, *(16 for _ in s.others)),
    )
    if not s.in_matrix:
        put_cell(sheet, 4, 1, f"{s.name} has no column in the policy matrix.", NOTE)
    for row, line in enumerate(s.matrix, start=4):
        values = (f"{line.dimension} {line.label}", line.status, line.reference, *line.others)
        _row(sheet, row, [(value, TEXT) for value in values])


def _gaps_sheet(book: Workbook, s: CountrySummary) -> None:
    sheet = _sheet(
        book,
        "Gaps",
        f"Where {s.name} falls short of or differs from the EU reference",
        ("Dimension", "Gap"),
        (40, 90),
    )
    if not s.gaps:
        put_cell(sheet, 4, 1, "No gaps recorded.", NOTE)
    for row, gap in enumerate(s.gaps, start=4):
        _row(sheet, row, [(f"{gap.dimension} {gap.label}", TEXT), (gap.words, TEXT)])


def _ranked_sheet(
    book: Workbook, title: str, s: CountrySummary, heading: str, items: Sequence[Ranked]
) -> None:
    header = ("Rank", "Answer", s.name, "Valid N", "All countries", "Valid N (all)")
    sheet = _sheet(book, title, heading or title, header, (8, 60, 14, 10, 14, 12))
    put_cell(sheet, 2, 1, f"{title}: percent of valid answers, highest in {s.name} first", NOTE)
    if not items:
        put_cell(sheet, 4, 1, "No answers yet.", NOTE)
    for row, item in enumerate(items, start=4):
        _row(
            sheet,
            row,
            [
                (row - 3 if item.share is not None else HIDDEN, NUMBER),
                (item.label, TEXT),
                _share(item.share),
                (item.n, NUMBER),
                _share(item.all_share),
                (item.all_n, NUMBER),
            ],
        )


def _comments_sheet(book: Workbook, s: CountrySummary) -> None:
    sheet = _sheet(
        book,
        "Comments",
        f"Comments from {s.name} that respondents let us quote",
        ("No.", "Comment", "Language"),
        (6, 100, 22),
    )
    put_cell(
        sheet,
        2,
        1,
        "Names of people and institutions, e-mail addresses and links are replaced with "
        "[name removed] (a best effort: read them before the roundtable).",
        NOTE,
    )
    if not s.comments:
        put_cell(sheet, 4, 2, "No comments that may be quoted.", NOTE)
    for row, comment in enumerate(s.comments, start=4):
        _row(sheet, row, [(row - 3, NUMBER), (comment.text, TEXT), (comment.language, TEXT)])


def _notes_sheet(book: Workbook, s: CountrySummary) -> None:
    sheet = _sheet(book, "Notes", "Notes", ("Note",), (120,))
    for row, note in enumerate(s.notes, start=4):
        _row(sheet, row, [(note, TEXT)])
