"""Inline SVG bars for a country summary: the country's share beside all countries', per answer.

Self-contained (no script, nothing fetched), with a title and a description;
the table beside it holds the same numbers. A hidden share draws no bar.
All text is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from analysis.charts import GROUP_COLOURS, TOTAL_COLOUR
from exports.country import Ranked

WIDTH = 680
LABEL_WIDTH = 260
BAR = 11
GAP = 10


def _short(text: str, limit: int = 34) -> str:
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def ranked_chart(items: Sequence[Ranked], country: str, chart_id: str, title: str) -> str:
    """Two bars per answer, the country's and all countries', in percent of valid answers."""
    span = WIDTH - LABEL_WIDTH - 60
    colours = ((country, GROUP_COLOURS[0]), ("All countries", TOTAL_COLOUR))
    body: list[str] = []
    y = 8
    for item in items:
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR + 4}" text-anchor="end">'
            f"{_short(item.label)}</text>"
        )
        for index, ((name, colour), share) in enumerate(
            zip(colours, (item.share, item.all_share), strict=True)
        ):
            top = y + index * BAR
            if share is None:
                body.append(
                    f'<text x="{LABEL_WIDTH + 4}" y="{top + BAR - 2}" fill="#555555" '
                    'font-size="10">hidden</text>'
                )
                continue
            width = span * share / 100
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{top}" width="{width:.1f}" height="{BAR - 1}" '
                f'fill="{colour}"><title>{escape(item.label)}, {escape(name)}: '
                f"{share:.1f}%</title></rect>"
                f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{top + BAR - 2}" font-size="10">'
                f"{share:.0f}%</text>"
            )
        y += 2 * BAR + GAP
    legend_y = y + 6
    for index, (name, colour) in enumerate(colours):
        x = LABEL_WIDTH + index * 180
        body.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{colour}"/>')
        body.append(f'<text x="{x + 16}" y="{legend_y + 10}">{_short(name, 24)}</text>')
    height = legend_y + 20
    description = (
        f"Bars: for each answer, the percent of valid answers in {country} and in all "
        "countries. The table beside the chart holds the same numbers."
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" font-size="12" '
        'font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )
