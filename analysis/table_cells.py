"""The cells of a comparative table: the rows it counts, counts, shares, n_eff and flags.

Shared by the builders of :mod:`analysis.table_kinds`; weighted shares and flags
follow the rules in :mod:`analysis.tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.stats import (
    Interval,
    TestResult,
    adjusted_residuals,
    flag_residuals,
    wilson,
)
from analysis.table_model import (
    ABOVE,
    BELOW,
    TOTAL,
    OptionRow,
    Row,
    Summary,
    frozen_map,
)
from analysis.weights import (
    kish_effective_n,
    weighted_percent,
)

Counts = NDArray[np.int64]


@dataclass(frozen=True)
class TableBase:
    """The rows a table counts, their group, and what was left out (in words)."""

    data: pd.DataFrame
    group: pd.Series  # categorical: the groups present, in order
    groups: tuple[str, ...]
    labels: Mapping[str, str]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    weights: NDArray[np.float64] | None = None  # aligned with data; all finite and positive

    @cached_property
    def codes(self) -> NDArray[np.integer]:
        """Each row's group as its position in ``groups`` (every row has one)."""
        codes: NDArray[np.integer] = self.group.cat.codes.to_numpy()
        return codes


@dataclass(frozen=True)
class TableParts:
    n_valid: dict[str, int]
    n_base: dict[str, int]
    rows: tuple[Row, ...] = ()
    summary: Mapping[str, Summary] | None = None
    test: TestResult | None = None
    letters: Mapping[str, str] | None = None
    options: tuple[OptionRow, ...] = ()
    effective_n: dict[str, float] | None = None


def counts_by_group(
    groups: Sequence[str], values: Sequence[int] | NDArray[np.int64]
) -> dict[str, int]:
    return {group: int(value) for group, value in zip(groups, values, strict=True)}


def cross_counts(group: pd.Series, answers: pd.Series) -> Counts:
    """Groups × answer categories; every category appears, empty answers are not counted."""
    return code_counts(
        group.cat.codes.to_numpy(),
        len(group.cat.categories),
        answers.cat.codes.to_numpy(),
        len(answers.cat.categories),
    )


def code_counts(
    rows: NDArray[np.integer], size: int, columns: NDArray[np.integer], width: int
) -> Counts:
    """Counts of each (row code, column code) pair, size × width; a code −1 is not counted.

    One ``bincount`` of row · width + column: no grouping, no sort.
    """
    counted = (rows >= 0) & (columns >= 0)
    cells = rows[counted].astype(np.int64) * width + columns[counted]
    counts: Counts = np.bincount(cells, minlength=size * width).reshape(size, width)
    return counts


def shares(
    counts: Mapping[str, int], n_valid: Mapping[str, int], missing: bool
) -> tuple[Mapping[str, int | None], Mapping[str, float | None], Mapping[str, Interval | None]]:
    """Counts, column % of the valid N and Wilson CIs in percent (None for user-missing rows)."""
    percent: dict[str, float | None] = {}
    intervals: dict[str, Interval | None] = {}
    for group, count in counts.items():
        n = n_valid[group]
        interval = None if missing else wilson(count, n)
        percent[group] = None if missing or n == 0 else 100.0 * count / n
        intervals[group] = (
            None if interval is None else Interval(100.0 * interval.low, 100.0 * interval.high)
        )
    return frozen_map(dict(counts)), frozen_map(percent), frozen_map(intervals)


def weighted_shares(
    chosen: NDArray[np.bool_],
    valid: NDArray[np.bool_],
    weights: NDArray[np.float64],
    codes: NDArray[np.integer],
    groups: Sequence[str],
) -> tuple[Mapping[str, float | None], Mapping[str, Interval | None]]:
    """Weighted % of ``chosen`` among ``valid`` per group and Total, with Wilson CIs on n_eff."""
    answers = pd.Series(np.where(valid, np.where(chosen, "chosen", "other"), ""), dtype=object)
    percent: dict[str, float | None] = {}
    intervals: dict[str, Interval | None] = {}
    selections = [codes == at for at in range(len(groups) - 1)] + [np.ones(len(codes), bool)]
    for group, rows in zip(groups, selections, strict=True):
        share = weighted_percent(
            answers[rows].reset_index(drop=True), weights[rows], ["chosen", "other"]
        )["chosen"]
        percent[group] = share.percent
        intervals[group] = share.ci
    return frozen_map(percent), frozen_map(intervals)


def effective_n(
    valid: NDArray[np.bool_],
    weights: NDArray[np.float64],
    codes: NDArray[np.integer],
    groups: Sequence[str],
) -> dict[str, float]:
    """Kish's n_eff of the valid base per group and Total."""
    result = {
        g: kish_effective_n(weights[valid & (codes == at)]) for at, g in enumerate(groups[:-1])
    }
    return result | {TOTAL: kish_effective_n(weights[valid])}


def weighted_table(
    codes: NDArray[np.integer],
    columns: NDArray[np.integer],
    weights: NDArray[np.float64],
    shape: tuple[int, int],
) -> NDArray[np.float64]:
    """Sums of weights per (group, column); a negative column code is not counted."""
    table = np.zeros(shape, dtype=np.float64)
    counted = (codes >= 0) & (columns >= 0)
    np.add.at(table, (codes[counted], columns[counted]), weights[counted])
    return table


def weighted_flags(
    weighted: NDArray[np.float64],
    n: int,
    design_effect: float,
    groups: Sequence[str],
    answers: Sequence[str],
) -> dict[str, dict[str, str]]:
    """Flags from adjusted residuals of the weighted table rescaled to n, over √(design effect)."""
    total = float(weighted.sum())
    if total <= 0:
        return {}
    scaled = weighted / total * n
    row_share = scaled.sum(axis=1) / n
    column_share = scaled.sum(axis=0) / n
    expected = np.outer(row_share, column_share) * n
    variance = expected * np.outer(1.0 - row_share, 1.0 - column_share) * design_effect
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = np.where(variance > 0, (scaled - expected) / np.sqrt(variance), np.nan)
    beyond = flag_residuals(residuals)
    flags: dict[str, dict[str, str]] = {}
    for i, group in enumerate(groups):
        for j, answer in enumerate(answers):
            if beyond[i, j]:
                flags.setdefault(answer, {})[group] = ABOVE if residuals[i, j] > 0 else BELOW
    return flags


def residual_flags(
    table: Counts, groups: Sequence[str], answers: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Per answer, the groups whose adjusted residual is beyond ±1.96: "+" or "−"."""
    residuals = adjusted_residuals(table)
    beyond = flag_residuals(residuals)
    flags: dict[str, dict[str, str]] = {}
    for i, group in enumerate(groups):
        for j, answer in enumerate(answers):
            if beyond[i, j]:
                flags.setdefault(answer, {})[group] = ABOVE if residuals[i, j] > 0 else BELOW
    return flags
