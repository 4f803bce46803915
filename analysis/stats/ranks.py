"""Ordinal or numeric answers × group: Kruskal-Wallis, and Mann-Whitney for two groups.

Rank tests because Likert codes are ordered categories, not measurements: they
use the order and nothing else. Missing values (NaN) are dropped; user-missing
codes ("don't know", "refused") must be filtered by the caller, since only the
caller knows which codes they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy.stats import kruskal, mannwhitneyu

from analysis.stats.results import KRUSKAL_WALLIS, MANN_WHITNEY, Effect, TestResult, no_test
from analysis.stats.samples import Groups, named_groups, split_empty, values

EPSILON_SQUARED = "epsilon squared"
RANK_BISERIAL = "rank-biserial r"
# The chi-square approximation of H is rough below this many observations per group.
_SMALL_GROUP = 5
# R's wilcox.test computes an exact p below this size when there are no ties.
_EXACT_BELOW = 50


def kruskal_wallis(groups: Groups) -> TestResult:
    """Kruskal-Wallis H (tie-corrected) with ε² = H / (n − 1) as the effect size.

    ``groups`` is a mapping of group name to values, or a sequence of value arrays
    (then named "1", "2", … in warnings). Empty groups are dropped; fewer than two
    non-empty groups, or all values equal, give a "no test" result.
    """
    kept, notes = split_empty(named_groups(groups))
    n = sum(group.size for _, group in kept)
    if len(kept) < 2:
        return no_test("no test: fewer than two groups have values", n, notes)
    pooled = np.concatenate([group for _, group in kept])
    if np.all(pooled == pooled[0]):
        return no_test("no test: all values are equal", n, notes)
    notes = (*notes, *_small_groups([name for name, _ in kept], [g.size for _, g in kept]))
    result = kruskal(*(group for _, group in kept))
    statistic = float(result.statistic)
    return TestResult(
        name=KRUSKAL_WALLIS,
        statistic=statistic,
        df=len(kept) - 1,
        p=float(result.pvalue),
        effect=Effect(EPSILON_SQUARED, statistic / (n - 1)),
        n=n,
        warnings=notes,
    )


def _small_groups(names: Sequence[str], sizes: Sequence[int]) -> tuple[str, ...]:
    small = [name for name, size in zip(names, sizes, strict=True) if size < _SMALL_GROUP]
    if not small:
        return ()
    verb = "has" if len(small) == 1 else "have"
    return (
        f"{len(small)} of {len(names)} groups {verb} fewer than {_SMALL_GROUP} values "
        f"({', '.join(small)}); the chi-square approximation of the p-value is rough",
    )


def mann_whitney(a: ArrayLike, b: ArrayLike) -> TestResult:
    """Two-sided Mann-Whitney U test, with the rank-biserial correlation as effect size.

    The statistic is U of ``a``: the number of pairs (x from a, y from b) with x > y,
    ties counting ½. The effect is r = 2U / (n_a·n_b) − 1 = P(a > b) − P(a < b),
    positive when ``a`` tends to be larger; equivalently r = 1 − 2U_b / (n_a·n_b)
    with U_b the statistic of ``b``.

    The p-value follows R's ``wilcox.test`` defaults: exact when both groups have
    fewer than 50 values and there are no ties, else the normal approximation with
    tie and continuity correction.
    """
    first, second = values(a), values(b)
    n = first.size + second.size
    if first.size == 0 or second.size == 0:
        return no_test("no test: one of the two groups has no values", n)
    pooled = np.concatenate([first, second])
    if np.all(pooled == pooled[0]):
        return no_test("no test: all values are equal", n)
    tied = np.unique(pooled).size < n
    exact = not tied and first.size < _EXACT_BELOW and second.size < _EXACT_BELOW
    result = mannwhitneyu(
        first, second, alternative="two-sided", method="exact" if exact else "asymptotic"
    )
    statistic = float(result.statistic)
    return TestResult(
        name=MANN_WHITNEY,
        statistic=statistic,
        df=None,
        p=float(result.pvalue),
        effect=Effect(RANK_BISERIAL, 2.0 * statistic / (first.size * second.size) - 1.0),
        n=n,
    )


# --- the same tests from a count table: groups × distinct values -------------------------

CountGroups = Mapping[str, ArrayLike] | Sequence[ArrayLike]


@dataclass(frozen=True)
class RankCounts:
    """Non-empty groups' counts of each distinct value, with what the joint ranking gives.

    Ranking n observations that take only k distinct values needs no sort: the
    observations tied at a value share the mid-rank of its run, which follows from
    the cumulative counts, so every rank sum is exact (a sum of halves).
    """

    names: tuple[str, ...]  # the non-empty groups, in the order given
    counts: NDArray[np.int64]  # groups × distinct values (ascending)
    values: NDArray[np.float64]  # the distinct values, ascending
    notes: tuple[str, ...]  # a warning naming the empty groups, if any

    @property
    def sizes(self) -> NDArray[np.int64]:
        sizes: NDArray[np.int64] = self.counts.sum(axis=1)
        return sizes

    @property
    def totals(self) -> NDArray[np.int64]:
        """How many observations take each value, all groups pooled."""
        totals: NDArray[np.int64] = self.counts.sum(axis=0)
        return totals

    def rank_sums(self) -> NDArray[np.float64]:
        totals = self.totals
        midranks = (np.cumsum(totals) - totals).astype(np.float64) + (totals + 1) / 2.0
        sums: NDArray[np.float64] = (self.counts * midranks).sum(axis=1)
        return sums

    def tie_term(self) -> np.float64:
        """Σ (t³ − t) over the runs of tied values, as scipy computes it (in float64)."""
        tied = self.totals.astype(np.float64)
        term: np.float64 = np.sum(tied**3 - tied)
        return term

    def distinct(self) -> int:
        """How many distinct values were observed."""
        return int(np.count_nonzero(self.totals))


def _merged(
    groups: CountGroups, values: ArrayLike
) -> tuple[list[str], NDArray[np.int64], NDArray[np.float64]]:
    """Names, counts (groups × distinct values, empty groups kept) and the distinct values."""
    if isinstance(groups, Mapping):
        named = [(str(name), np.asarray(row)) for name, row in groups.items()]
    else:
        named = [(str(at), np.asarray(row)) for at, row in enumerate(groups, start=1)]
    points = np.asarray(values, dtype=np.float64).ravel()
    if np.isnan(points).any():
        raise ValueError("values must not be NaN: missing answers are not counted")
    for _name, row in named:
        if row.shape != points.shape:
            raise ValueError(f"{row.size} counts for {points.size} values")
    given = np.array([row for _name, row in named]).reshape(len(named), points.size)
    table = given.astype(np.int64)
    if not np.array_equal(table, given) or np.any(table < 0):
        raise ValueError("counts must be non-negative whole numbers")
    distinct, inverse = np.unique(points, return_inverse=True)
    if distinct.size == points.size and np.array_equal(distinct, points):
        return [name for name, _row in named], table, distinct  # already ascending, distinct
    merged = np.zeros((len(named), distinct.size), dtype=np.int64)
    np.add.at(merged.T, inverse.ravel(), table.T)
    return [name for name, _row in named], merged, distinct


def rank_counts(groups: CountGroups, values: ArrayLike) -> RankCounts:
    """Counts per group of each of ``values`` (any order, repeats merged), empty groups out.

    ``groups`` maps a group name to its counts, aligned with ``values``, or is a
    sequence of such counts (groups then named "1", "2", …, as by ``kruskal_wallis``).
    """
    names, counts, distinct = _merged(groups, values)
    sizes = counts.sum(axis=1)
    empty = [name for name, size in zip(names, sizes, strict=True) if size == 0]
    notes: tuple[str, ...] = ()
    if empty:
        word = "group" if len(empty) == 1 else "groups"
        notes = (f"dropped {len(empty)} empty {word} before testing ({', '.join(empty)})",)
    kept = tuple(name for name, size in zip(names, sizes, strict=True) if size > 0)
    return RankCounts(kept, counts[sizes > 0], distinct, notes)


def kruskal_wallis_counts(groups: CountGroups, values: ArrayLike) -> TestResult:
    """``kruskal_wallis`` of the observations that ``groups`` counts at each of ``values``.

    The same H, p, ε² and warnings as ranking the observations themselves, from a
    count table (e.g. countries × Likert points) in time that does not grow with n.
    """
    table = rank_counts(groups, values)
    sizes = [int(size) for size in table.sizes]
    n = sum(sizes)
    notes = table.notes
    if len(sizes) < 2:
        return no_test("no test: fewer than two groups have values", n, notes)
    if table.distinct() == 1:
        return no_test("no test: all values are equal", n, notes)
    notes = (*notes, *_small_groups(table.names, sizes))
    # scipy.stats.kruskal's arithmetic, step by step, on the exact rank sums.
    rank_sums = table.rank_sums()
    ties = 1 - table.tie_term() / (n**3 - n)
    ssbn = sum(rank_sums[at] ** 2 / sizes[at] for at in range(len(sizes)))
    h = 12.0 / (n * (n + 1)) * ssbn - 3 * (n + 1)
    h /= ties
    statistic = float(h)
    return TestResult(
        name=KRUSKAL_WALLIS,
        statistic=statistic,
        df=len(sizes) - 1,
        p=float(special.chdtrc(np.float64(len(sizes) - 1), h)),
        effect=Effect(EPSILON_SQUARED, statistic / (n - 1)),
        n=n,
        warnings=notes,
    )


def mann_whitney_counts(a: ArrayLike, b: ArrayLike, values: ArrayLike) -> TestResult:
    """``mann_whitney`` of two groups given as counts of each of ``values``.

    With ties, or 50 values or more in a group, the normal approximation follows
    scipy's arithmetic on the exact rank sum; otherwise (an exact p) the few values
    are spelled out and passed to ``mann_whitney``.
    """
    names, counts, distinct = _merged([a, b], values)
    first, second = (int(size) for size in counts.sum(axis=1))
    n = first + second
    if first == 0 or second == 0:
        return no_test("no test: one of the two groups has no values", n)
    table = RankCounts(tuple(names), counts, distinct, ())
    if table.distinct() == 1:
        return no_test("no test: all values are equal", n)
    tied = bool(table.totals.max() > 1)
    if not tied and first < _EXACT_BELOW and second < _EXACT_BELOW:
        spelled = [np.repeat(table.values, row) for row in table.counts]
        return mann_whitney(spelled[0], spelled[1])
    # scipy.stats.mannwhitneyu's asymptotic arithmetic (two-sided, continuity-corrected).
    u1 = table.rank_sums()[0] - first * (first + 1) / 2
    u2 = first * second - u1
    u = np.maximum(u1, u2)
    s = np.sqrt(first * second / 12 * ((n + 1) - table.tie_term() / (n * (n - 1))))
    z = (u - first * second / 2 - 0.5) / s
    p = np.clip(special.ndtr(-z) * 2, 0.0, 1.0)
    statistic = float(u1)
    return TestResult(
        name=MANN_WHITNEY,
        statistic=statistic,
        df=None,
        p=float(p),
        effect=Effect(RANK_BISERIAL, 2.0 * statistic / (first * second) - 1.0),
        n=n,
    )
