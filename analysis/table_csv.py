"""One comparative table as CSV, laid out as the page shows it.

A title line, a header row (per column: n, %, CI low, CI high), a row per
answer (user-missing ones marked), the valid and base N, the summaries, then
the footnotes. Shares are numbers in percent (0–100) with full precision, so a
spreadsheet can format them; a hidden (suppressed) count is an empty cell.
Text that a spreadsheet would run as a formula is written as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from analysis.footnotes import footnotes, summary_lines
from analysis.table_model import Table
from microcasa.spreadsheet import safe_csv_cell

CELLS = ("n", "%", "CI low", "CI high")


def table_rows(table: Table) -> Iterator[list[Any]]:
    """The table's cells row by row (the CSV before quoting)."""
    columns = table.groups
    labels = [table.group_labels.get(group, group) for group in columns]
    yield [table.label]
    yield [f"Question {table.question}, by {table.by}; {table.weighting}"]
    yield ["value", "answer", *(f"{label} {cell}" for label in labels for cell in CELLS)]
    rows = table.options if table.kind == "multiple" else table.rows
    for row in rows:
        cells: list[Any] = []
        for group in columns:
            ci = row.ci.get(group)
            cells += [
                row.counts.get(group),
                row.percent.get(group),
                None if ci is None else ci.low,
                None if ci is None else ci.high,
            ]
        label = f"{row.label} (not in the valid base)" if row.missing else row.label
        yield [row.value, label, *cells]
    for name, counts in (("Valid N", table.n_valid), ("Base N", table.n_base)):
        yield ["", name, *(c for group in columns for c in (counts.get(group), None, None, None))]
    if table.effective_n is not None:
        yield [
            "",
            "Effective n (Kish)",
            *(c for g in columns for c in (table.effective_n.get(g), None, None, None)),
        ]
    if table.summary:
        by_group = {group: summary_lines(summary) for group, summary in table.summary.items()}
        names = next(iter(by_group.values())).keys()
        for name in names:
            values = [by_group.get(group, {}).get(name, "") for group in columns]
            if any(values):
                yield ["", name, *(c for value in values for c in (value, None, None, None))]
    if table.letters:
        yield [
            "",
            "Letters (Dunn, Holm)",
            *(c for g in columns for c in (table.letters.get(g, ""), None, None, None)),
        ]
    yield []
    for line in footnotes(table):
        yield [line]


def table_csv(table: Table) -> str:
    """The CSV text (UTF-8 with a byte-order mark, so that Excel reads the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table_rows(table):
        writer.writerow([safe_csv_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()
