"""Suppression for organiser-facing tables: small counts hidden, and nothing that gives them away.

Primary suppression hides every count from 1 to threshold − 1. Complementary
(secondary) suppression then hides more cells so that no hidden count can be
worked out by subtraction from a published total. The published totals
("lines") of a table are:

* each row: its Total cell is the sum of its group cells (choice, Likert and
  select-multiple tables; a select-multiple option is a row of its own);
* each column of a choice or Likert table (every group and the Total): its
  valid rows add up to the valid N, and its user-missing rows to base N − valid N.

The Ns are margins and always published. A line with exactly one hidden cell
gets one more: the smallest non-zero count shown in that line — in a row a
group's cell, and the row's Total only when no group cell of the row could be
protected without it; in a column any of its cells (in the Total column those
are the rows' Totals). A candidate whose other lines could not protect it is
passed over while another exists. This repeats until every line has no hidden
cell or at least two. A hidden count whose line has no other non-zero
count to hide (a lone "don't know" row: its count is base N − valid N; a column
whose whole valid N is one small count) equals published numbers, so it is
shown again ("released"): hiding it would only pretend. Last, the lines are
solved together (:func:`determined`): a hidden cell that several rows and
columns pin down between them gets one more spare from its lines, and the
single-line rule runs again, until no hidden count is fixed by the totals.

Percentages, intervals and residual flags go with their count. In a Likert
column with hidden counts the mean, SD and mean CI are hidden (with N they
solve for two hidden counts), and the top-2-box share, the median and the
quartiles are hidden when they split the hidden counts (they then give the sum
of part of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from analysis.table_model import (
    SUPPRESS_BELOW,
    TOTAL,
    R,
    Row,
    Summary,
    Table,
    frozen_map,
)

Cell = tuple[int, str]  # (row index in table.rows, group)


@dataclass(frozen=True)
class Line:
    """Cells whose sum is published (a row's Total, a column's N); ``spare`` may be hidden
    to protect another cell of the line."""

    cells: tuple[Cell, ...]
    spare: tuple[Cell, ...]
    negative: Cell | None = None  # the row's Total: Σ groups − Total = 0


@dataclass(frozen=True)
class Pattern:
    """Which cells are hidden, and why."""

    hidden: frozenset[Cell]
    primary: frozenset[Cell]  # hidden because below the threshold
    complementary: frozenset[Cell]  # hidden to protect another cell
    released: frozenset[Cell]  # below the threshold but shown: they equal published numbers


def lines_of(table: Table) -> tuple[Line, ...]:
    """The published totals of a table, as lines of cells (see the module notes)."""
    groups = table.groups
    inner = tuple(g for g in groups if g != TOTAL)
    lines = [
        Line(tuple((at, g) for g in groups), tuple((at, g) for g in (*inner, TOTAL)), (at, TOTAL))
        for at in range(len(table.rows))
    ]
    if table.kind != "multiple":
        for missing in (False, True):
            at_rows = [at for at, row in enumerate(table.rows) if row.missing is missing]
            if at_rows:
                for g in groups:
                    cells = tuple((at, g) for at in at_rows)
                    lines.append(Line(cells, cells))
    return tuple(lines)


def choose(counts: Mapping[Cell, int | None], lines: Sequence[Line], threshold: int) -> Pattern:
    """Primary and complementary cells for ``counts`` (None: already hidden, value unknown)."""
    primary = {cell for cell, n in counts.items() if n is not None and 0 < n < threshold}
    hidden = primary | {cell for cell, n in counts.items() if n is None}
    released: set[Cell] = set()
    order = {cell: at for at, cell in enumerate(counts)}
    lines_with: dict[Cell, list[Line]] = {}
    for line in lines:
        for cell in line.cells:
            lines_with.setdefault(cell, []).append(line)

    def alone(line: Line) -> list[Cell]:
        return [cell for cell in line.cells if cell in hidden]

    def helps(cell: Cell) -> int:
        # Other lines of this cell that have exactly one hidden cell: hiding it fixes them too.
        return sum(1 for line in lines_with[cell] if len(alone(line)) == 1)

    def free(line: Line, but: Cell) -> bool:
        return any(
            c != but and c not in hidden and c not in released and counts[c] for c in line.spare
        )

    def viable(cell: Cell, line: Line) -> bool:
        # Once hidden, can the cell's other lines protect it (another hidden cell, or a spare)?
        return all(other is line or alone(other) or free(other, cell) for other in lines_with[cell])

    row_of = {line.negative: line for line in lines if line.negative is not None}

    def needs_total(cell: Cell) -> bool:
        # A group cell whose row could protect it only with the row's Total.
        row = row_of.get((cell[0], TOTAL))
        if cell[1] == TOTAL or row is None or alone(row):
            return False
        return not any(
            c != cell and c[1] != TOTAL and c not in hidden and c not in released and counts[c]
            for c in row.spare
        )

    def hide_or_release(cell: Cell, lines_of_cell: Sequence[Line]) -> None:
        """Hide the best spare of these lines to protect ``cell``; if none, show ``cell``."""
        spare = [
            (line, c)
            for line in lines_of_cell
            for c in line.spare
            if c not in hidden and c not in released and counts[c]
        ]
        if spare:
            _line, pick = min(
                spare,
                key=lambda pair: (
                    not viable(pair[1], pair[0]),
                    pair[1][1] == TOTAL or needs_total(pair[1]),
                    counts[pair[1]] or 0,
                    -helps(pair[1]),
                    order[pair[1]],
                ),
            )
            hidden.add(pick)
        elif counts[cell] is not None:
            hidden.discard(cell)
            released.add(cell)

    def settle() -> None:
        """Until no line has exactly one hidden cell (one subtraction would give it)."""
        changed = True
        while changed:
            changed = False
            for line in lines:
                lonely = alone(line)
                if len(lonely) == 1 and counts[lonely[0]] is not None:
                    hide_or_release(lonely[0], [line])
                    changed = True

    settle()
    # Then whole systems of lines: a hidden cell that several lines together pin down.
    while fixed := [
        c for c in determined(sorted(hidden, key=order.__getitem__), lines) if counts[c] is not None
    ]:
        hide_or_release(fixed[0], lines_with[fixed[0]])
        settle()
    return Pattern(
        frozenset(hidden),
        frozenset(primary & hidden),
        frozenset(hidden - primary - {c for c, n in counts.items() if n is None}),
        frozenset(released & primary),
    )


def determined(cells: Sequence[Cell], lines: Sequence[Line]) -> list[Cell]:
    """The cells among ``cells`` (the hidden ones) whose value the lines' published totals fix,
    alone or together: those whose unit vector lies in the row space of the lines' equations
    (every solution agrees on them)."""
    if not cells:
        return []
    at = {cell: i for i, cell in enumerate(cells)}
    equations = []
    for line in lines:
        equation = np.zeros(len(cells))
        for cell in line.cells:
            if cell in at:
                equation[at[cell]] = -1.0 if cell == line.negative else 1.0
        if equation.any():
            equations.append(equation)
    if not equations:
        return []
    _, singular, basis = np.linalg.svd(np.vstack(equations), full_matrices=True)
    rank = int((singular > 1e-9).sum())
    free = basis[rank:]  # the null space: directions in which the hidden cells can move
    if free.shape[0] == 0:
        return list(cells)
    return [cell for cell, i in at.items() if np.abs(free[:, i]).max() < 1e-9]


def suppress_table(table: Table, threshold: int = SUPPRESS_BELOW) -> Table:
    """A copy for organiser-facing output, with primary and complementary suppression.

    See the module notes for the rules; ``Table.notes`` gains a sentence saying how
    many cells were hidden by each, and ``suppressed_primary`` /
    ``suppressed_complementary`` count them.
    """
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, got {threshold}")
    counts: dict[Cell, int | None] = {
        (at, g): row.counts.get(g) for at, row in enumerate(table.rows) for g in table.groups
    }
    pattern = choose(counts, lines_of(table), threshold)

    def hidden(at: int, row: R) -> R:
        hide = {g for g in table.groups if (at, g) in pattern.hidden}
        if not hide:
            return row
        return replace(
            row,
            counts=frozen_map({g: None if g in hide else c for g, c in row.counts.items()}),
            percent=frozen_map({g: None if g in hide else p for g, p in row.percent.items()}),
            ci=frozen_map({g: None if g in hide else ci for g, ci in row.ci.items()}),
            flags=frozen_map({g: f for g, f in row.flags.items() if g not in hide}),
        )

    index = {row.value: at for at, row in enumerate(table.rows)}
    # A select-multiple table's rows are its options: keep them the same objects.
    options = tuple(
        hidden(index[option.value], option) if option.value in index else option
        for option in table.options
    )
    by_value: dict[str, Row] = {option.value: option for option in options}
    rows = tuple(by_value.get(row.value) or hidden(at, row) for at, row in enumerate(table.rows))
    summary, summaries_hidden = _summaries(table, pattern.hidden, threshold)
    return replace(
        table,
        rows=rows,
        options=options,
        summary=frozen_map(summary),
        notes=(*table.notes, _note(pattern, threshold, summaries_hidden)),
        suppressed_below=threshold,
        suppressed_primary=len(pattern.primary),
        suppressed_complementary=len(pattern.complementary),
    )


def scores_of(rows: Sequence[Row]) -> dict[int, float]:
    """The score of each valid row of a Likert table, by row index (as analysis.variables.scores:
    the scale point for integer choice names, else the rank from 1)."""
    valid = [(at, row.value) for at, row in enumerate(rows) if not row.missing]
    if all(_is_integer(value) for _at, value in valid):
        return {at: float(value) for at, value in valid}
    return {at: float(rank) for rank, (at, _value) in enumerate(valid, start=1)}


def _is_integer(text: str) -> bool:
    return text.lstrip("-").isdigit()


def splits(boundary: float, hidden_scores: Sequence[float]) -> bool:
    """Whether a published cumulative count at ``boundary`` splits the hidden cells: some
    below, some above (then it gives the sum of a part of them, a new line)."""
    below = [s < boundary for s in hidden_scores]
    return any(below) and not all(below)


def _summaries(
    table: Table, hidden: frozenset[Cell], threshold: int
) -> tuple[dict[str, Summary], bool]:
    """Likert summaries without the statistics that would give a hidden count away."""
    result = dict(table.summary)
    if not table.summary or table.kind != "likert":
        return result, False
    scores = scores_of(table.rows)
    counts = {at: table.rows[at].counts for at in scores}
    changed = False
    for group, s in table.summary.items():
        behind = [scores[at] for at in scores if (at, group) in hidden]
        small_box = s.top_box_n is not None and 0 < s.top_box_n < threshold
        box = small_box or bool(s.top and behind and splits(min(s.top), behind))
        if not behind and not box:
            continue

        new = replace(
            s,
            mean=None if behind else s.mean,
            sd=None if behind else s.sd,
            mean_ci=None if behind else s.mean_ci,
            median=_quantile(s.median, group, counts, scores, behind),
            q1=_quantile(s.q1, group, counts, scores, behind),
            q3=_quantile(s.q3, group, counts, scores, behind),
            top_box_n=None if box else s.top_box_n,
            top_box=None if box else s.top_box,
            top_box_ci=None if box else s.top_box_ci,
        )
        changed = changed or new != s
        result[group] = new
    return result, changed


def _quantile(
    value: float | None,
    group: str,
    counts: Mapping[int, Mapping[str, int | None]],
    scores: Mapping[int, float],
    behind: Sequence[float],
) -> float | None:
    """A median or quartile, or None when it gives a cumulative count that splits the hidden
    cells: a value between two scale points (or on a point nobody chose) says exactly how
    many answers lie below it."""
    if value is None or not behind:
        return value
    point = next((at for at, score in scores.items() if score == value), None)
    if point is not None and (counts[point].get(group) or 0) > 0:
        return value  # inside a block of one scale point: bounds only
    return None if splits(value, behind) else value


def _cells(n: int) -> str:
    return f"{n} cell{'s' if n != 1 else ''}"


def _note(pattern: Pattern, threshold: int, summaries_hidden: bool) -> str:
    if threshold <= 1:
        return "No counts are suppressed."
    primary, complementary = len(pattern.primary), len(pattern.complementary)
    note = (
        f"Counts from 1 to {threshold - 1} are suppressed (shown empty), with their "
        f"percentages and intervals: {_cells(primary)} below {threshold} (primary "
        f"suppression) and {complementary} more so that no hidden count can be "
        "worked out by subtraction from its row's Total or its column's N (complementary "
        "suppression)."
    )
    released = len(pattern.released)
    if released:
        they = "it equals" if released == 1 else "they equal"
        note += (
            f" {released} count{'s' if released != 1 else ''} below {threshold} "
            f"{'is' if released == 1 else 'are'} shown: {they} a published N less published "
            "counts (such as base N − valid N for a lone “don't know” row), so hiding "
            f"{'it' if released == 1 else 'them'} would protect nothing."
        )
    if summaries_hidden:
        note += (
            " Summaries that would reveal a hidden count are hidden too: the mean and SD of a "
            "column with one, and a top-2-box share, median or quartile that splits them"
            f" (and a top-2-box share resting on fewer than {threshold} answers)."
        )
    return note
