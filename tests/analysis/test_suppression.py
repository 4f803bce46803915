"""Complementary suppression: no hidden count can be worked out from a published total.

Random tables (seeded numpy) are checked by brute force: every row (its Total
is the sum of its groups) and every column (valid rows add up to the valid N,
user-missing rows to base N − valid N) is tried as a subtraction, and no hidden
count may come out of one. Hand-made tables show the rules in a readable way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from analysis.stats import Interval, likert_summary
from analysis.table_cells import shares
from analysis.table_model import TOTAL, OptionRow, Row, Summary, Table, frozen_map, suppress

Cell = tuple[int, str]


def _table(
    counts: Sequence[Sequence[int]] | NDArray[np.int64],
    missing: int = 0,
    kind: str = "categorical",
    n: Sequence[int] | None = None,
) -> Table:
    """A table from a rows × groups matrix (the last ``missing`` rows user-missing); the
    Total column is added. Likert rows are scale points 1, 2, …; ``n`` is the valid N of a
    select-multiple table (its options are independent rows)."""
    matrix = np.asarray(counts, dtype=np.int64)
    size = matrix.shape[1]
    groups = (*(f"G{at}" for at in range(size)), TOTAL)
    every = np.column_stack([matrix, matrix.sum(axis=1)])
    valid_rows = matrix.shape[0] - missing
    if kind == "multiple":
        assert n is not None
        valid_n = np.append(np.asarray(n), sum(n))
        base_n = valid_n
    else:
        valid_n = every[:valid_rows].sum(axis=0)
        base_n = every.sum(axis=0)
    n_valid = {g: int(v) for g, v in zip(groups, valid_n, strict=True)}
    n_base = {g: int(v) for g, v in zip(groups, base_n, strict=True)}
    rows: list[Row] = []
    for at in range(matrix.shape[0]):
        is_missing = at >= valid_rows
        cells, percent, ci = shares(
            {g: int(c) for g, c in zip(groups, every[at], strict=True)}, n_valid, is_missing
        )
        value = f"m{at}" if is_missing else str(at + 1)
        flags = frozen_map(dict.fromkeys(groups[:-1], "+"))
        if kind == "multiple":
            rows.append(OptionRow(value, value, is_missing, cells, percent, ci, flags))
        else:
            rows.append(Row(value, value, is_missing, cells, percent, ci, flags))
    summary: dict[str, Summary] = {}
    if kind == "likert":
        points = list(range(1, valid_rows + 1))
        for column, g in enumerate(groups):
            codes = np.repeat(np.asarray(points, dtype=np.float64), every[:valid_rows, column])
            s = likert_summary(codes, top=points[-2:], points=points)
            box = s.top_box_ci
            summary[g] = Summary(
                s.n,
                s.summary.mean,
                s.summary.sd,
                s.summary.median,
                s.summary.q1,
                s.summary.q3,
                s.summary.mean_ci,
                tuple(float(p) for p in points[-2:]),
                s.top_box_n,
                None if s.top_box is None else 100.0 * s.top_box,
                None if box is None else Interval(100 * box.low, 100 * box.high),
            )
    options = tuple(row for row in rows if isinstance(row, OptionRow))
    return Table(
        question="q",
        label="Q",
        kind=kind,
        by="country",
        groups=groups,
        group_labels=frozen_map({g: g for g in groups}),
        n_valid=frozen_map(n_valid),
        n_base=frozen_map(n_base),
        rows=tuple(rows),
        summary=frozen_map(summary),
        options=options,
    )


def _lines(table: Table) -> list[list[Cell]]:
    """Every published total of the table, written out again here (not taken from the code)."""
    lines = [[(at, g) for g in table.groups] for at in range(len(table.rows))]
    if table.kind != "multiple":
        for missing in (False, True):
            at_rows = [at for at, row in enumerate(table.rows) if row.missing is missing]
            lines += [[(at, g) for at in at_rows] for g in table.groups if at_rows]
    return lines


def _hidden(table: Table) -> set[Cell]:
    return {
        (at, g) for at, row in enumerate(table.rows) for g in table.groups if row.counts[g] is None
    }


def _count(table: Table, cell: Cell) -> int:
    value = table.rows[cell[0]].counts[cell[1]]
    assert value is not None
    return value


def _derivable(hidden: set[Cell], lines: list[list[Cell]]) -> set[Cell]:
    """Hidden cells that one subtraction gives: the only hidden cell of a published total."""
    found: set[Cell] = set()
    for line in lines:
        inside = [cell for cell in line if cell in hidden]
        if len(inside) == 1:
            found.add(inside[0])
    return found


def _check(original: Table, threshold: int) -> Table:
    """Suppress and check every promise by brute force; returns the suppressed table."""
    public = suppress(original, threshold)
    hidden = _hidden(public)
    lines = _lines(original)
    assert _derivable(hidden, lines) == set()
    small = {
        (at, g)
        for at, row in enumerate(original.rows)
        for g in original.groups
        if 0 < _count(original, (at, g)) < threshold
    }
    for cell in small - hidden:
        # Shown although small: only when the published numbers give it anyway.
        assert cell in _pinned(original, hidden | {cell}), cell
    for at, row in enumerate(public.rows):
        for g in public.groups:
            if (at, g) in hidden:
                assert _count(original, (at, g)) > 0  # zeros stay
                assert row.percent[g] is None and row.ci[g] is None and g not in row.flags
            else:
                assert row.counts[g] == original.rows[at].counts[g]
                assert row.percent[g] == original.rows[at].percent[g]
    assert public.n_valid == original.n_valid and public.n_base == original.n_base
    primary = len(small & hidden)
    assert (public.suppressed_primary, public.suppressed_complementary) == (
        primary,
        len(hidden) - primary,
    )
    if threshold > 1:
        words = re.search(
            r": (\d+) cells? below \d+ \(primary suppression\) and (\d+) more", public.notes[-1]
        )
        assert words is not None
        assert (int(words[1]), int(words[2])) == (primary, len(hidden) - primary)
    if original.kind == "likert":
        _check_summaries(original, public, hidden)
    return public


def _check_summaries(original: Table, public: Table, hidden: set[Cell]) -> None:
    """A shown mean needs no hidden count in its column; a shown top-box share or a quantile
    that marks a cumulative count must not leave a single hidden cell on either side."""
    valid = [at for at, row in enumerate(original.rows) if not row.missing]
    for g in original.groups:
        behind = [at for at in valid if (at, g) in hidden]
        s, before = public.summary[g], original.summary[g]
        if behind:
            assert s.mean is None and s.sd is None and s.mean_ci is None
        else:
            assert s.mean == before.mean
        if s.top_box is not None:
            top = [at for at in valid if at + 1 >= min(s.top)]
            sides = [[(at, g) for at in top], [(at, g) for at in valid if at not in top]]
            assert _derivable(hidden, sides) == set()
        for value in (s.median, s.q1, s.q3):
            if value is None:
                continue
            point = int(value) - 1 if value == int(value) else None
            if point is not None and _count(original, (point, g)) > 0:
                continue  # an order statistic inside one scale point: bounds only
            below = [(at, g) for at in valid if at + 1 < value]
            above = [(at, g) for at in valid if at + 1 > value]
            assert _derivable(hidden, [below, above]) == set()


def _pinned(table: Table, hidden: set[Cell]) -> set[Cell]:
    """Hidden cells that the published totals fix when combined (several rows and columns at
    once): e_cell lies in the row space of the equations iff adding it keeps the rank."""
    cells = sorted(hidden)
    at = {cell: i for i, cell in enumerate(cells)}
    equations = []
    for line in _lines(table):
        row = [0.0] * len(cells)
        for cell in line:
            if cell in at:
                is_row_total = cell[1] == TOTAL and any(g != TOTAL for _r, g in line)
                row[at[cell]] = -1.0 if is_row_total else 1.0
        equations.append(row)
    matrix = np.asarray(equations)
    rank = np.linalg.matrix_rank(matrix)
    return {
        cell
        for cell, i in at.items()
        if np.linalg.matrix_rank(np.vstack([matrix, np.eye(len(cells))[i]])) == rank
    }


def _random_counts(rng: np.random.Generator, rows: int, groups: int) -> NDArray[np.int64]:
    scale = rng.choice([0.7, 2.0, 5.0, 20.0], size=(rows, groups))
    counts: NDArray[np.int64] = rng.poisson(scale).astype(np.int64)
    return counts


@pytest.mark.parametrize("seed", range(300))
def test_no_hidden_count_comes_out_of_one_subtraction(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, groups, missing = (
        int(rng.integers(2, 7)),
        int(rng.integers(1, 7)),
        int(rng.integers(0, 3)),
    )
    counts = _random_counts(rng, rows + missing, groups)
    threshold = int(rng.choice([1, 2, 3, 5, 5, 5, 10]))
    kind = "likert" if seed % 2 else "categorical"
    public = _check(_table(counts, missing, kind), threshold)
    # Beyond one subtraction: no system of the published totals pins a hidden count either.
    assert _pinned(public, _hidden(public)) == set()


@pytest.mark.parametrize("seed", range(150))
def test_select_multiple_options_are_protected_across_groups(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    options, groups = int(rng.integers(1, 6)), int(rng.integers(1, 7))
    n = rng.integers(0, 40, size=groups)
    counts = np.column_stack([rng.binomial(size, rng.uniform(0, 1), options) for size in n])
    public = _check(_table(counts, kind="multiple", n=[int(v) for v in n]), 5)
    assert public.rows == public.options
    assert _pinned(public, _hidden(public)) == set()


def test_one_small_cell_takes_the_next_smallest_of_its_row_and_column() -> None:
    # rows: answers; columns: three countries (the Total is added).
    public = _check(_table([[3, 20, 30], [10, 6, 40], [12, 50, 8]]), 5)
    assert [dict(row.counts) for row in public.rows] == [
        {"G0": None, "G1": None, "G2": 30, TOTAL: 53},  # 3, and 20 for its row
        {"G0": None, "G1": None, "G2": 40, TOTAL: 56},  # 10 and 6 for G0's and G1's column
        {"G0": 12, "G1": 50, "G2": 8, TOTAL: 70},
    ]
    assert public.notes[-1].startswith(
        "Counts from 1 to 4 are suppressed (shown empty), with their percentages and "
        "intervals: 1 cell below 5 (primary suppression) and 3 more so that no hidden count"
    )


def test_a_lone_dont_know_row_is_shown_as_base_n_minus_valid_n() -> None:
    public = _check(_table([[20, 30], [25, 35], [2, 0]], missing=1), 5)
    assert dict(public.rows[2].counts) == {"G0": 2, "G1": 0, TOTAL: 2}
    assert "base N − valid N for a lone “don't know” row" in public.notes[-1]
    # Two user-missing rows protect each other: base N − valid N is their sum.
    two = _check(_table([[20, 30], [25, 35], [2, 7], [6, 1]], missing=2), 5)
    assert [dict(row.counts) for row in two.rows[2:]] == [
        {"G0": None, "G1": None, TOTAL: 9},
        {"G0": None, "G1": None, TOTAL: 7},
    ]


def test_a_rows_total_is_hidden_only_when_no_group_cell_can_be() -> None:
    # G0's 9 would need its row's Total (its row has no other count): 20 is taken instead.
    public = _check(_table([[3, 10], [9, 0], [20, 30]]), 5)
    assert [dict(row.counts) for row in public.rows] == [
        {"G0": None, "G1": None, TOTAL: 13},
        {"G0": 9, "G1": 0, TOTAL: 9},
        {"G0": None, "G1": None, TOTAL: 50},
    ]
    # G1's 20 is its whole valid N and cannot be hidden: G0's 3 (and its row's Total 3)
    # are protected by G0's 10 and the Total of its row.
    public = _check(_table([[3, 0], [10, 20]]), 5)
    assert [dict(row.counts) for row in public.rows] == [
        {"G0": None, "G1": 0, TOTAL: None},
        {"G0": None, "G1": 20, TOTAL: None},
    ]
    assert (public.suppressed_primary, public.suppressed_complementary) == (2, 2)


def test_threshold_one_hides_nothing() -> None:
    original = _table([[1, 2], [3, 4]])
    public = suppress(original, 1)
    assert public.rows == original.rows
    assert public.notes[-1] == "No counts are suppressed."
    with pytest.raises(ValueError, match="at least 1"):
        suppress(original, 0)


def test_likert_summaries_that_would_reveal_a_hidden_count_are_hidden() -> None:
    # Points 1..5 by two countries; G0 has 2 and 3 at points 1 and 2.
    public = _check(_table([[2, 10], [3, 12], [10, 11], [15, 14], [20, 13]], kind="likert"), 5)
    g0 = public.summary["G0"]
    assert public.rows[0].counts["G0"] is None and public.rows[1].counts["G0"] is None
    assert g0.mean is None and g0.sd is None and g0.mean_ci is None
    # Both hidden counts are below the top two points: the top-2-box share reveals nothing.
    assert g0.top_box == pytest.approx(100 * 35 / 50)
    assert g0.median == 4.0  # inside the block of 4s
    # G1's 10 and 12 protect G0's counts in their rows: G1's mean goes too, not the Total's.
    assert public.summary["G1"].mean is None
    assert public.summary[TOTAL].mean == pytest.approx(386 / 110)
    # A hidden count on each side of the top-2 boundary: the share would give one of them.
    split = _check(_table([[2, 10], [30, 12], [10, 11], [3, 14], [20, 13]], kind="likert"), 5)
    assert split.summary["G0"].top_box is None and split.summary["G0"].top_box_n is None
