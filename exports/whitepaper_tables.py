"""One white-paper sheet per comparative table, laid out in blocks under one header row.

Rows, top to bottom: a link back to Contents; the title (question and label); what
the cells show and their base; the header (the groups, then Total); low-base and
letter flags; **Percent** of the valid N (``0.0%``, a fraction 0–1) for the valid
answers; **Count** for every answer, user-missing ones marked; Valid N (bold), Base N
and, when weighted, Kish's effective n; the **95% CI** (Wilson) of each percent;
residual flags; the **Summary** (Likert and numeric); the footnotes; a native chart
of the percent (or median and mean) cells. Numbers are the Table's, unchanged;
words are :mod:`analysis.footnotes`', as on the analysis pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from openpyxl.chart import BarChart, Reference, Series
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.pagebreak import Break

from analysis.charts import GROUP_COLOURS, TOTAL_COLOUR, likert_colours
from analysis.footnotes import SUPPRESSED, footnotes, interval, p_value, summary_lines
from analysis.table_model import LOW_BASE, TOTAL, UNWEIGHTED, Row, Table
from exports.whitepaper_layout import (
    BLOCK,
    COUNT,
    FLAG,
    FOOTNOTE,
    HEADER,
    LABEL,
    MISSING_LABEL,
    NUMBER_1,
    NUMBER_2,
    PERCENT,
    POINTS_PER_LINE,
    SUBTITLE,
    TEXT,
    TITLE,
    VALID_N,
    VALID_N_LABEL,
    back_link,
    fit_rows,
    print_setup,
    put,
    widths,
    wrapped,
)

TITLE_ROW, CAPTION_ROW, HEADER_ROW = 2, 3, 5
LABEL_WIDTH, GROUP_WIDTH = 48, 12
PERCENT_BLOCK = "Percent of valid answers"
OPTION_PERCENT_BLOCK = "Percent picking the option (of respondents who answered)"
COUNT_BLOCK = "Count"
CI_BLOCK = "95% CI (Wilson), percent"
FLAG_BLOCK = "Adjusted residual beyond ±1.96 (+ more / − fewer than expected)"
SUMMARY_BLOCK = "Summary of the valid answers"
NOTES_BLOCK = "Notes"
VALID_N_ROW = "Valid N"
BASE_N_ROW = "Base N (any answer)"
EFFECTIVE_N_ROW = "Effective n (Kish)"
LOW_BASE_ROW = f"Low base (valid N below {LOW_BASE})"
LETTERS_ROW = "Letters (Dunn, Holm): columns sharing a letter do not differ"
NOT_IN_BASE = " (not in the valid base)"
P_HOLM = "p (Holm)"
CHART_HEIGHT_CM, CHART_WIDTH_CM = 8.0, 22.0
POINTS_PER_CM = 28.35
PAGE_HEIGHT_POINTS = 480  # printable height of a landscape A4 page, less a safety margin


def caption(table: Table) -> str:
    """What the cells show, as the page's caption says it."""
    if table.kind == "multiple":
        shown = "Percent picking each option, with counts and 95% CIs"
    elif table.kind == "numeric":
        shown = "Summary of the answers (median, quartiles, mean with its 95% CI, SD)"
    else:
        shown = "Percent of valid answers, with counts and 95% CIs"
    weighting = "unweighted" if table.weighting == UNWEIGHTED else f"weighted ({table.weighting})"
    return f"{shown} by {table.by}; {weighting}. {footnotes(table)[0]}"


def write_table(sheet: Any, table: Table) -> None:
    """The table on its own sheet (see the module docstring for the layout)."""
    groups = table.groups
    last = 1 + len(groups) + (1 if table.kind == "multiple" else 0)
    widths(sheet, [LABEL_WIDTH, *([GROUP_WIDTH] * (last - 1))])
    back_link(sheet)
    wrapped(sheet, TITLE_ROW, f"{table.label} [{table.question}]", TITLE, last)
    wrapped(sheet, CAPTION_ROW, caption(table), SUBTITLE, last)
    _header(sheet, table)
    row = HEADER_ROW + 1
    row = _column_flags(sheet, row, table)
    rows = table.options if table.kind == "multiple" else table.rows
    valid = [r for r in rows if not r.missing]
    percent_rows: tuple[int, int] | None = None
    if valid:
        heading = OPTION_PERCENT_BLOCK if table.kind == "multiple" else PERCENT_BLOCK
        row = _heading(sheet, row, heading)
        percent_rows = (row, row + len(valid) - 1)
        row = _percent_block(sheet, row, table, valid)
    if rows:
        weighted = table.weighting != UNWEIGHTED
        row = _heading(sheet, row, COUNT_BLOCK + (" (unweighted)" if weighted else ""))
        row = _count_block(sheet, row, table, rows)
    row = _bases(sheet, row, table)
    if valid:
        row = _heading(sheet, row, CI_BLOCK)
        row = _text_block(sheet, row, valid, groups, lambda r, g: interval(r.ci.get(g)))
    if any(r.flags for r in rows):
        row = _heading(sheet, row, FLAG_BLOCK)
        row = _text_block(sheet, row, rows, groups, lambda r, g: r.flags.get(g, ""))
    summary_rows: dict[str, int] = {}
    if table.summary:
        row = _heading(sheet, row, SUMMARY_BLOCK)
        row, summary_rows = _summary_block(sheet, row, table)
    row = _heading(sheet, row + 1, NOTES_BLOCK)
    for line in footnotes(table):
        wrapped(sheet, row, line, FOOTNOTE, last)
        row += 1
    fit_rows(sheet)
    chart = _chart(sheet, table, percent_rows, summary_rows, len(valid))
    if chart is not None:
        if _height(sheet, row) + CHART_HEIGHT_CM * POINTS_PER_CM > PAGE_HEIGHT_POINTS:
            sheet.row_breaks.append(Break(id=row))  # the chart on a page of its own, not split
        sheet.add_chart(chart, f"A{row + 1}")
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)
    print_setup(sheet, (HEADER_ROW, HEADER_ROW))


def _height(sheet: Any, rows: int) -> float:
    """The height in points of the first ``rows`` rows, as fit_rows will set them."""
    total = 0.0
    for row in range(1, rows + 1):
        height = sheet.row_dimensions[row].height if row in sheet.row_dimensions else None
        total += height or POINTS_PER_LINE
    return total


def _header(sheet: Any, table: Table) -> None:
    first = {"multiple": "Option", "numeric": "Statistic"}.get(table.kind, "Answer")
    put(sheet, HEADER_ROW, 1, first, HEADER)
    for column, group in enumerate(table.groups, start=2):
        put(sheet, HEADER_ROW, column, table.group_labels.get(group, group), HEADER)
    if table.kind == "multiple":
        put(sheet, HEADER_ROW, len(table.groups) + 2, P_HOLM, HEADER)


def _column_flags(sheet: Any, row: int, table: Table) -> int:
    if table.low_base:
        put(sheet, row, 1, LOW_BASE_ROW, LABEL)
        for column, group in enumerate(table.groups, start=2):
            if group in table.low_base:
                put(sheet, row, column, "low base", FLAG)
        row += 1
    if table.letters:
        put(sheet, row, 1, LETTERS_ROW, LABEL)
        for column, group in enumerate(table.groups, start=2):
            put(sheet, row, column, table.letters.get(group, ""), TEXT)
        row += 1
    return row


def _heading(sheet: Any, row: int, text: str) -> int:
    put(sheet, row, 1, text, BLOCK)
    return row + 1


def _percent_block(sheet: Any, row: int, table: Table, rows: Sequence[Row]) -> int:
    for found in rows:
        put(sheet, row, 1, found.label, LABEL)
        for column, group in enumerate(table.groups, start=2):
            share = found.percent.get(group)
            if found.counts.get(group) is None:
                put(sheet, row, column, SUPPRESSED, TEXT)
            elif share is not None:
                put(sheet, row, column, share / 100, PERCENT)
        p_holm = getattr(found, "p_holm", None)
        if table.kind == "multiple" and p_holm is not None:
            put(sheet, row, len(table.groups) + 2, f"p {p_value(p_holm)}", TEXT)
        row += 1
    return row


def _count_block(sheet: Any, row: int, table: Table, rows: Sequence[Row]) -> int:
    for found in rows:
        label = found.label + (NOT_IN_BASE if found.missing else "")
        put(sheet, row, 1, label, MISSING_LABEL if found.missing else LABEL)
        for column, group in enumerate(table.groups, start=2):
            n = found.counts.get(group)
            put(sheet, row, column, SUPPRESSED if n is None else n, TEXT if n is None else COUNT)
        row += 1
    return row


def _bases(sheet: Any, row: int, table: Table) -> int:
    put(sheet, row, 1, VALID_N_ROW, VALID_N_LABEL)
    for column, group in enumerate(table.groups, start=2):
        put(sheet, row, column, table.n_valid.get(group), VALID_N)
    put(sheet, row + 1, 1, BASE_N_ROW, LABEL)
    for column, group in enumerate(table.groups, start=2):
        put(sheet, row + 1, column, table.n_base.get(group), COUNT)
    row += 2
    if table.effective_n is not None:
        put(sheet, row, 1, EFFECTIVE_N_ROW, LABEL)
        for column, group in enumerate(table.groups, start=2):
            put(sheet, row, column, table.effective_n.get(group), NUMBER_1)
        row += 1
    return row


def _text_block(
    sheet: Any,
    row: int,
    rows: Sequence[Row],
    groups: Sequence[str],
    text: Callable[[Row, str], str],
) -> int:
    for found in rows:
        put(sheet, row, 1, found.label, MISSING_LABEL if found.missing else LABEL)
        for column, group in enumerate(groups, start=2):
            value = SUPPRESSED if found.counts.get(group) is None else text(found, group)
            if value:
                put(sheet, row, column, value, TEXT)
        row += 1
    return row


# (row name, what it shows of a column's Summary, style); text rows say it as the page does.
_SUMMARY: tuple[tuple[str, Any, str], ...] = (
    ("Top-2-box", lambda s: None if s.top_box is None else s.top_box / 100, PERCENT),
    ("Top-2-box 95% CI", lambda s: interval(s.top_box_ci), TEXT),
    ("Median", lambda s: s.median, NUMBER_1),
    ("Quartiles (Q1–Q3)", lambda s: summary_lines(s)["Quartiles (Q1–Q3)"], TEXT),
    ("Mean", lambda s: s.mean, NUMBER_2),
    ("Mean 95% CI", lambda s: interval(s.mean_ci, 2), TEXT),
    ("SD", lambda s: s.sd, NUMBER_2),
)


def _summary_block(sheet: Any, row: int, table: Table) -> tuple[int, dict[str, int]]:
    placed: dict[str, int] = {}
    for name, value_of, style in _SUMMARY:
        values = {
            group: value_of(table.summary[group])
            for group in table.groups
            if group in table.summary
        }
        if not any(value not in (None, "") for value in values.values()):
            continue
        put(sheet, row, 1, name, LABEL)
        for column, group in enumerate(table.groups, start=2):
            value = values.get(group)
            if value not in (None, ""):
                put(sheet, row, column, value, style)
        placed[name] = row
        row += 1
    return row, placed


def _chart(
    sheet: Any,
    table: Table,
    percent_rows: tuple[int, int] | None,
    summary_rows: dict[str, int],
    points: int,
) -> BarChart | None:
    """A native bar chart of the table's percent cells (numbers: medians and means)."""
    groups = len(table.groups)
    chart = BarChart()
    chart.height, chart.width = CHART_HEIGHT_CM, CHART_WIDTH_CM
    chart.title = table.label if len(table.label) <= 90 else table.label[:89] + "…"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    header = Reference(sheet, min_col=2, max_col=groups + 1, min_row=HEADER_ROW)
    if table.kind == "numeric":
        wanted = [summary_rows[name] for name in ("Median", "Mean") if name in summary_rows]
        if not wanted:
            return None
        chart.type, chart.grouping = "col", "clustered"
        for at in wanted:
            data = Reference(sheet, min_col=1, max_col=groups + 1, min_row=at)
            chart.add_data(data, from_rows=True, titles_from_data=True)
        chart.set_categories(header)
        chart.y_axis.title = "Median and mean"
        chart.y_axis.numFmt = "#,##0.0"
        return chart
    if percent_rows is None:
        return None
    first, end = percent_rows
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    if table.kind == "likert":
        # A stacked bar per group, its scale points from red to blue; with a hidden cell the
        # bar is stacked as is (not to 100%), so that no share is stretched over the gap.
        hidden = any(r.counts.get(g) is None for r in table.rows for g in table.groups)
        chart.type, chart.overlap = "bar", 100
        chart.grouping = "stacked" if hidden else "percentStacked"
        data = Reference(sheet, min_col=1, max_col=groups + 1, min_row=first, max_row=end)
        chart.add_data(data, from_rows=True, titles_from_data=True)
        chart.set_categories(header)
        chart.x_axis.scaling.orientation = "maxMin"  # groups top to bottom, as in the table
        for series, colour in zip(chart.series, likert_colours(points), strict=True):
            series.graphicalProperties.solidFill = colour[1:].upper()
            series.graphicalProperties.line.solidFill = colour[1:].upper()
        return chart
    chart.type, chart.grouping = "col", "clustered"
    for at, group in enumerate(table.groups):
        values = Reference(sheet, min_col=at + 2, min_row=first, max_row=end)
        series = Series(values, title=None)
        series.tx = SeriesLabel(
            strRef=StrRef(
                f"{quote_sheetname(sheet.title)}!${get_column_letter(at + 2)}${HEADER_ROW}"
            )
        )
        colour = (TOTAL_COLOUR if group == TOTAL else GROUP_COLOURS[at % len(GROUP_COLOURS)])[1:]
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
        chart.series.append(series)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=end))
    return chart
