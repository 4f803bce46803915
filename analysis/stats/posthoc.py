"""After a significant Kruskal-Wallis: which groups differ, and letters that show it.

Dunn's test compares mean ranks from the one joint ranking that Kruskal-Wallis
used (pairwise Mann-Whitney tests would rank each pair afresh and could contradict
the omnibus test). The variance is corrected for ties, and the p-values are
Holm-adjusted across all pairs, as R's ``dunn.test(method = "holm")`` does.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm, rankdata

from analysis.stats.multiplicity import holm
from analysis.stats.ranks import CountGroups, rank_counts
from analysis.stats.samples import Groups, named_groups, split_empty

DUNN_HOLM = "Dunn (Holm)"
_LETTERS = string.ascii_lowercase + string.ascii_uppercase


@dataclass(frozen=True, slots=True)
class PairwiseComparison:
    """One pair of groups: z = (mean rank of first − mean rank of second) / SE.

    ``z``, ``p`` and ``p_adjusted`` are None when all values are equal (no ranking).
    """

    first: str
    second: str
    z: float | None
    p: float | None
    p_adjusted: float | None


@dataclass(frozen=True, slots=True)
class PairwiseTest:
    """All pairwise comparisons of a post-hoc test, in the order of the groups given."""

    name: str
    comparisons: tuple[PairwiseComparison, ...]
    warnings: tuple[str, ...] = ()

    def adjusted_p(self) -> dict[tuple[str, str], float | None]:
        """Adjusted p by (first, second) pair, the form ``compact_letters`` takes."""
        return {(pair.first, pair.second): pair.p_adjusted for pair in self.comparisons}


def _tie_term(ranked: NDArray[np.float64]) -> float:
    _, sizes = np.unique(ranked, return_counts=True)
    return float(np.sum(sizes.astype(np.float64) ** 3 - sizes))


def dunn_holm(groups: Groups) -> PairwiseTest:
    """Dunn's pairwise test on joint ranks, tie-corrected, Holm-adjusted across pairs.

    ``groups`` as for ``kruskal_wallis``; empty groups are dropped with a warning.
    """
    kept, notes = split_empty(named_groups(groups))
    if len(kept) < 2:
        return PairwiseTest(DUNN_HOLM, (), (*notes, "no comparisons: fewer than two groups"))
    sizes = np.array([group.size for _, group in kept], dtype=np.float64)
    ranks = rankdata(np.concatenate([group for _, group in kept]))
    bounds = np.cumsum(sizes.astype(np.intp))[:-1]
    mean_ranks = [float(part.mean()) for part in np.split(ranks, bounds)]
    names = [name for name, _ in kept]
    return _dunn(names, sizes, mean_ranks, _tie_term(ranks), notes)


def dunn_holm_counts(groups: CountGroups, values: ArrayLike) -> PairwiseTest:
    """``dunn_holm`` of the observations that ``groups`` counts at each of ``values``.

    The same z, p and adjusted p from a count table (see ``rank_counts``): mean
    ranks from the exact rank sums, the tie correction from the pooled counts.
    """
    table = rank_counts(groups, values)
    if len(table.names) < 2:
        return PairwiseTest(DUNN_HOLM, (), (*table.notes, "no comparisons: fewer than two groups"))
    counts = [int(size) for size in table.sizes]
    rank_sums = table.rank_sums()
    mean_ranks = [float(rank_sums[at] / counts[at]) for at in range(len(counts))]
    totals = table.totals[table.totals > 0]
    tie = float(np.sum(totals.astype(np.float64) ** 3 - totals))
    sizes = np.array(counts, dtype=np.float64)
    return _dunn(list(table.names), sizes, mean_ranks, tie, table.notes)


def _dunn(
    names: list[str],
    sizes: NDArray[np.float64],
    mean_ranks: list[float],
    tie_term: float,
    notes: tuple[str, ...],
) -> PairwiseTest:
    total = float(sizes.sum())
    variance = total * (total + 1.0) / 12.0 - tie_term / (12.0 * (total - 1.0))
    pairs = list(combinations(range(len(names)), 2))
    if variance <= 0.0:
        comparisons = tuple(
            PairwiseComparison(names[i], names[j], None, None, None) for i, j in pairs
        )
        return PairwiseTest(DUNN_HOLM, comparisons, (*notes, "no comparisons: all values equal"))
    z = [
        (mean_ranks[i] - mean_ranks[j]) / math.sqrt(variance * (1.0 / sizes[i] + 1.0 / sizes[j]))
        for i, j in pairs
    ]
    # One vectorised call: the same elementwise values as a call per pair.
    p = [float(value) for value in 2.0 * norm.sf(np.abs(np.asarray(z, dtype=np.float64)))]
    adjusted = holm(p)
    comparisons = tuple(
        PairwiseComparison(names[i], names[j], z_ij, p_ij, adjusted_ij)
        for (i, j), z_ij, p_ij, adjusted_ij in zip(pairs, z, p, adjusted, strict=True)
    )
    return PairwiseTest(DUNN_HOLM, comparisons, notes)


def _absorbed(columns: list[frozenset[str]]) -> list[frozenset[str]]:
    unique = list(dict.fromkeys(columns))
    return [column for column in unique if not any(column < other for other in unique)]


def compact_letters(
    names: Sequence[str],
    adjusted_p: Mapping[tuple[str, str], float | None],
    alpha: float = 0.05,
) -> dict[str, str]:
    """Compact letter display: two groups share a letter unless they differ (p < alpha).

    Piepho's (2004) insert-and-absorb algorithm. ``adjusted_p`` holds every pair of
    ``names``, in either order; a None or NaN p (no comparison possible) counts as no
    difference. Letters are assigned in the order of ``names``, so pass the groups
    sorted as the table shows them (e.g. by mean rank) and "a" goes to the first.
    """
    position = {name: index for index, name in enumerate(names)}
    if len(position) != len(names):
        raise ValueError("group names must be unique")

    def differ(first: str, second: str) -> bool:
        for key in ((first, second), (second, first)):
            if key in adjusted_p:
                p = adjusted_p[key]
                return p is not None and not math.isnan(p) and p < alpha
        raise ValueError(f"no adjusted p-value for the pair {first!r}, {second!r}")

    columns = [frozenset(names)]
    for first, second in combinations(names, 2):
        if not differ(first, second):
            continue
        split: list[frozenset[str]] = []
        for column in columns:
            if first in column and second in column:
                split.extend((column - {first}, column - {second}))
            else:
                split.append(column)
        columns = _absorbed(split)
    columns.sort(key=lambda column: sorted(position[name] for name in column))
    if len(columns) > len(_LETTERS):
        raise ValueError(f"a letter display needs {len(columns)} letters; at most 52 exist")
    return {
        name: "".join(_LETTERS[index] for index, column in enumerate(columns) if name in column)
        for name in names
    }
