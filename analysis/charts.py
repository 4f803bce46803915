"""A chart per comparative table, as self-contained SVG (no script, nothing fetched).

- Likert items: one 100 % stacked bar per group, the scale points from the lowest
  (red) to the highest (blue), diverging through grey.
- Single choice and select-multiple: grouped bars, one cluster per answer or
  option, a bar per group (Okabe–Ito colours, safe for colour-blind readers).
- Numbers: per group, the quartile range as a bar, the median as a tick and the
  mean as a dot.

Every chart draws the valid answers of its table only, and never a hidden
(suppressed) count. It is an image with a title and a description; the table
beside it holds the same numbers for screen readers and for copying. The page
and the country summaries embed the markup as it is; all text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from analysis.table_model import Row, Table

WIDTH = 680
LABEL_WIDTH = 190
LEGEND_ROW = 18
FONT = 12
# Okabe & Ito (2008), without the black: distinguishable with every common colour-vision deficiency.
GROUP_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
)
TOTAL_COLOUR = "#333333"
# ColorBrewer RdBu end points and grey middle: Likert points are interpolated between them.
DIVERGING = ((178, 24, 43), (244, 165, 130), (224, 224, 224), (146, 197, 222), (33, 102, 172))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # percent 0–100, or a number
    colour: str


def _text(value: str, limit: int = 30) -> str:
    short = value if len(value) <= limit else value[: limit - 1] + "…"
    return escape(short)


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'font-size="{FONT}" font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str]], top: int) -> tuple[list[str], int]:
    """Legend swatches in rows across the chart; the markup and the height it takes."""
    body: list[str] = []
    x, y = LABEL_WIDTH, top
    for label, colour in items:
        width = 22 + min(len(label), 24) * 7
        if x + width > WIDTH and x > LABEL_WIDTH:
            x, y = LABEL_WIDTH, y + LEGEND_ROW
        body.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>')
        body.append(f'<text x="{x + 16}" y="{y + 10}">{_text(label, 24)}</text>')
        x += width
    return body, y + LEGEND_ROW - top


def likert_colours(points: int) -> tuple[str, ...]:
    """``points`` colours from red (lowest) through grey to blue (highest)."""
    if points == 1:
        return ("#2166ac",)
    colours = []
    for index in range(points):
        where = index / (points - 1) * (len(DIVERGING) - 1)
        low = min(int(where), len(DIVERGING) - 2)
        share = where - low
        rgb = (
            round(a + (b - a) * share)
            for a, b in zip(DIVERGING[low], DIVERGING[low + 1], strict=True)
        )
        colours.append("#{:02x}{:02x}{:02x}".format(*rgb))
    return tuple(colours)


def _valid(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if not row.missing]


def chart(table: Table, chart_id: str) -> str:
    """The SVG of one table; ``chart_id`` makes its title and description ids unique."""
    if table.kind == "likert":
        return _stacked(table, chart_id)
    if table.kind == "numeric":
        return _ranges(table, chart_id)
    rows = list(table.options) if table.kind == "multiple" else _valid(table.rows)
    return _grouped(table, rows, chart_id)


def _columns(table: Table) -> list[tuple[str, str]]:
    """(group, label) with a valid base, Total last."""
    return [
        (group, table.group_labels.get(group, group))
        for group in table.groups
        if table.n_valid.get(group)
    ]


def _stacked(table: Table, chart_id: str) -> str:
    rows = _valid(table.rows)
    colours = likert_colours(len(rows))
    columns = _columns(table)
    bar, gap, top = 22, 8, 8
    span = WIDTH - LABEL_WIDTH - 10
    body: list[str] = []
    for index, (group, label) in enumerate(columns):
        y = top + index * (bar + gap)
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + bar / 2 + 4}" text-anchor="end">'
            f"{_text(label)} (n={table.n_valid[group]})</text>"
        )
        x = float(LABEL_WIDTH)
        for row, colour in zip(rows, colours, strict=True):
            share = row.percent.get(group)
            if share is None or share <= 0:
                continue
            width = span * share / 100
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{bar}" fill="{colour}">'
                f"<title>{escape(label)}: {escape(row.label)} {share:.1f}%</title></rect>"
            )
            if width >= 30:
                ink = "#ffffff" if colour in (colours[0], colours[-1]) else "#111111"
                body.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + bar / 2 + 4}" text-anchor="middle" '
                    f'fill="{ink}">{share:.0f}</text>'
                )
            x += width
    legend_top = top + len(columns) * (bar + gap) + 6
    legend, height = _legend(
        [(row.label, c) for row, c in zip(rows, colours, strict=True)], legend_top
    )
    description = (
        f"Stacked bars: the share of each answer to “{table.label}” in every column, "
        "in percent of valid answers. The table above the chart holds the same numbers."
    )
    return _svg(chart_id, table.label, description, legend_top + height + 4, body + legend)


def _grouped(table: Table, rows: Sequence[Row], chart_id: str) -> str:
    columns = _columns(table)
    colours = [
        TOTAL_COLOUR if group == table.groups[-1] else GROUP_COLOURS[i % len(GROUP_COLOURS)]
        for i, (group, _) in enumerate(columns)
    ]
    bar, gap, top = 9, 10, 8
    span = WIDTH - LABEL_WIDTH - 50
    body: list[str] = []
    y = top
    for row in rows:
        height = bar * len(columns)
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + height / 2 + 4}" text-anchor="end">'
            f"{_text(row.label)}</text>"
        )
        for index, ((group, label), colour) in enumerate(zip(columns, colours, strict=True)):
            share = row.percent.get(group)
            if share is None:
                continue
            width = span * share / 100
            by = y + index * bar
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{by}" width="{width:.1f}" height="{bar - 1}" '
                f'fill="{colour}"><title>{escape(row.label)}, {escape(label)}: '
                f"{share:.1f}%</title></rect>"
            )
        y += height + gap
    body.append(
        f'<line x1="{LABEL_WIDTH}" y1="{top - 2}" x2="{LABEL_WIDTH}" y2="{y - gap + 2}" '
        'stroke="#666666"/>'
    )
    for tick in (0, 50, 100):
        x = LABEL_WIDTH + span * tick / 100
        body.append(
            f'<text x="{x:.1f}" y="{y + 8}" text-anchor="middle" fill="#444444">{tick}%</text>'
        )
    legend, height = _legend(
        [(label, colour) for (_, label), colour in zip(columns, colours, strict=True)], y + 18
    )
    what = "option chosen" if table.kind == "multiple" else "answer"
    description = (
        f"Grouped bars: for each {what} of “{table.label}”, the percent of valid answers in "
        "every column. The table above the chart holds the same numbers."
    )
    return _svg(chart_id, table.label, description, y + 18 + height + 4, body + legend)


def _ranges(table: Table, chart_id: str) -> str:
    columns = [(g, label) for g, label in _columns(table) if g in table.summary]
    values = [
        v
        for g, _ in columns
        for v in (table.summary[g].q1, table.summary[g].q3, table.summary[g].mean)
        if v is not None and math.isfinite(v)
    ]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    span = WIDTH - LABEL_WIDTH - 40

    def x_of(value: float) -> float:
        return LABEL_WIDTH + span * (value - low) / (high - low)

    bar, gap, top = 16, 10, 8
    body: list[str] = []
    for index, (group, label) in enumerate(columns):
        summary = table.summary[group]
        y = top + index * (bar + gap)
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + bar / 2 + 4}" text-anchor="end">'
            f"{_text(label)} (n={summary.n})</text>"
        )
        if summary.q1 is not None and summary.q3 is not None:
            left = x_of(summary.q1)
            body.append(
                f'<rect x="{left:.1f}" y="{y}" width="{max(x_of(summary.q3) - left, 1):.1f}" '
                f'height="{bar}" fill="#9ecae1"/>'
            )
        if summary.median is not None:
            mx = x_of(summary.median)
            body.append(
                f'<line x1="{mx:.1f}" y1="{y}" x2="{mx:.1f}" y2="{y + bar}" stroke="#08306b" '
                'stroke-width="3"/>'
            )
        if summary.mean is not None:
            body.append(
                f'<circle cx="{x_of(summary.mean):.1f}" cy="{y + bar / 2}" r="4" fill="#D55E00"/>'
            )
    y = top + len(columns) * (bar + gap)
    for value in (low, (low + high) / 2, high):
        body.append(
            f'<text x="{x_of(value):.1f}" y="{y + 8}" text-anchor="middle" fill="#444444">'
            f"{value:,.4g}</text>"
        )
    legend, height = _legend(
        [("Q1–Q3", "#9ecae1"), ("Median", "#08306b"), ("Mean", "#D55E00")], y + 18
    )
    description = (
        f"Per column, the range from the first to the third quartile of “{table.label}”, "
        "its median and its mean. The table above the chart holds the same numbers."
    )
    return _svg(chart_id, table.label, description, y + 18 + height + 4, body + legend)
