"""Ordinal or numeric answers × group: Kruskal-Wallis, and Mann-Whitney for two groups.

Rank tests because Likert codes are ordered categories, not measurements: they
use the order and nothing else. Missing values (NaN) are dropped; user-missing
codes ("don't know", "refused") must be filtered by the caller, since only the
caller knows which codes they are.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
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
    small = [name for name, group in kept if group.size < _SMALL_GROUP]
    if small:
        verb = "has" if len(small) == 1 else "have"
        notes = (
            *notes,
            f"{len(small)} of {len(kept)} groups {verb} fewer than {_SMALL_GROUP} values "
            f"({', '.join(small)}); the chi-square approximation of the p-value is rough",
        )
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
