"""Kruskal-Wallis and Mann-Whitney against hand computations on generated data."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from analysis.stats import (
    EPSILON_SQUARED,
    KRUSKAL_WALLIS,
    MANN_WHITNEY,
    NO_TEST,
    RANK_BISERIAL,
    kruskal_wallis,
    mann_whitney,
)
from analysis.stats.ranks import kruskal_wallis_counts, mann_whitney_counts, rank_counts


def _midranks(pooled: np.ndarray) -> np.ndarray:
    return np.array([(pooled < v).sum() + ((pooled == v).sum() + 1) / 2 for v in pooled])


def _tie_term(pooled: np.ndarray) -> float:
    _, sizes = np.unique(pooled, return_counts=True)
    return float((sizes**3 - sizes).sum())


def _hand_h(groups: list[np.ndarray]) -> float:
    pooled = np.concatenate(groups)
    n = pooled.size
    ranks = _midranks(pooled)
    bounds = np.cumsum([g.size for g in groups])[:-1]
    sum_term = sum(part.sum() ** 2 / part.size for part in np.split(ranks, bounds))
    h = 12 / (n * (n + 1)) * sum_term - 3 * (n + 1)
    return float(h / (1 - _tie_term(pooled) / (n**3 - n)))


def _likert(rng: np.random.Generator, size: int, shift: float = 0.0) -> np.ndarray:
    return np.clip(np.round(rng.normal(3 + shift, 1.1, size)), 1, 5)


@pytest.mark.parametrize("seed", range(5))
def test_kruskal_wallis_matches_the_tie_corrected_hand_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = [_likert(rng, 30), _likert(rng, 25, 0.4), _likert(rng, 40, -0.3)]
    result = kruskal_wallis(groups)
    h = _hand_h(groups)
    assert result.name == KRUSKAL_WALLIS
    assert result.statistic == pytest.approx(h, rel=1e-10)
    assert result.df == 2
    assert result.p == pytest.approx(math.exp(-h / 2), rel=1e-9)  # chi-square, 2 df
    assert result.n == 95
    assert result.effect is not None and result.effect.name == EPSILON_SQUARED
    assert result.effect.value == pytest.approx(h / 94, rel=1e-10)
    assert result.warnings == ()


def test_kruskal_wallis_takes_named_groups_and_drops_empty_ones() -> None:
    rng = np.random.default_rng(9)
    a, b = _likert(rng, 20), _likert(rng, 20, 1.0)
    named = kruskal_wallis({"AT": a, "BE": [], "CY": b})
    assert named.warnings == ("dropped 1 empty group before testing (BE)",)
    assert named.statistic == kruskal_wallis([a, b]).statistic
    assert named.df == 1


def test_kruskal_wallis_leaves_out_missing_values() -> None:
    with_nan = kruskal_wallis([[1, 2, 3, np.nan, 4, 5], [3, 4, 5, 5, 4, np.nan]])
    without = kruskal_wallis([[1, 2, 3, 4, 5], [3, 4, 5, 5, 4]])
    assert with_nan == without
    assert with_nan.n == 10


def test_kruskal_wallis_warns_about_small_groups() -> None:
    result = kruskal_wallis({"MT": [1, 2, 3], "LU": [2, 3, 4, 5], "DE": [1, 2, 3, 4, 5, 5]})
    assert result.warnings == (
        "2 of 3 groups have fewer than 5 values (MT, LU); "
        "the chi-square approximation of the p-value is rough",
    )


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ([[1, 2, 3], []], "no test: fewer than two groups have values"),
        ([], "no test: fewer than two groups have values"),
        ([[3, 3], [3, 3, 3]], "no test: all values are equal"),
    ],
)
def test_kruskal_wallis_without_a_test(groups: list[list[float]], reason: str) -> None:
    result = kruskal_wallis(groups)
    assert result.name == NO_TEST and result.p is None
    assert result.warnings[-1] == reason


def _pair_count_u(a: np.ndarray, b: np.ndarray) -> float:
    return float(sum((x > y) + 0.5 * (x == y) for x in a for y in b))


def test_mann_whitney_u_and_rank_biserial_by_counting_pairs() -> None:
    rng = np.random.default_rng(21)
    a, b = _likert(rng, 35, 0.6), _likert(rng, 28)
    result = mann_whitney(a, b)
    u = _pair_count_u(a, b)
    assert result.name == MANN_WHITNEY
    assert result.statistic == pytest.approx(u)
    assert result.effect is not None and result.effect.name == RANK_BISERIAL
    pairs = a.size * b.size
    assert result.effect.value == pytest.approx(2 * u / pairs - 1)
    # The same number as 1 − 2U/(n1·n2) with U taken from the second group.
    reverse = mann_whitney(b, a)
    assert reverse.statistic is not None
    assert reverse.statistic == pytest.approx(pairs - u)
    assert result.effect.value == pytest.approx(1 - 2 * reverse.statistic / pairs)
    assert reverse.effect is not None and reverse.effect.value == pytest.approx(
        -result.effect.value
    )
    assert reverse.p == pytest.approx(result.p)


def test_rank_biserial_is_positive_when_the_first_group_is_larger() -> None:
    result = mann_whitney([5, 6, 7, 8], [1, 2, 3])
    assert result.effect is not None and result.effect.value == 1.0
    assert result.statistic == 12.0


def test_mann_whitney_with_ties_uses_the_corrected_normal_approximation() -> None:
    rng = np.random.default_rng(5)
    a, b = _likert(rng, 30, 0.5), _likert(rng, 30)
    pooled = np.concatenate([a, b])
    n1, n2, n = a.size, b.size, pooled.size
    u = _pair_count_u(a, b)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - _tie_term(pooled) / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    assert mann_whitney(a, b).p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)


def test_mann_whitney_small_samples_without_ties_are_exact() -> None:
    a, b = [1.1, 2.3, 4.0, 6.5], [3.2, 5.1, 7.7, 8.0, 9.4]
    pooled = a + b
    observed = _pair_count_u(np.array(a), np.array(b))
    # Enumerate every split of the nine values into groups of four and five.
    us = []
    for chosen in combinations(range(9), 4):
        first = np.array([pooled[i] for i in chosen])
        second = np.array([pooled[i] for i in range(9) if i not in chosen])
        us.append(_pair_count_u(first, second))
    us_array = np.array(us)
    lower, upper = (us_array <= observed).mean(), (us_array >= observed).mean()
    assert mann_whitney(a, b).p == pytest.approx(min(1.0, 2 * min(lower, upper)), rel=1e-12)


def test_mann_whitney_follows_r_on_when_to_be_exact() -> None:
    rng = np.random.default_rng(8)
    small, large = rng.normal(size=49), rng.normal(0.3, 1, size=12)
    exact = mannwhitneyu(small, large, method="exact").pvalue
    assert mann_whitney(small, large).p == pytest.approx(exact, rel=1e-12)
    big = rng.normal(size=50)
    asymptotic = mannwhitneyu(big, large, method="asymptotic").pvalue
    assert mann_whitney(big, large).p == pytest.approx(asymptotic, rel=1e-12)
    assert asymptotic != pytest.approx(mannwhitneyu(big, large, method="exact").pvalue, rel=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ([], [1, 2], "no test: one of the two groups has no values"),
        ([np.nan], [1, 2], "no test: one of the two groups has no values"),
        ([2, 2], [2, 2, 2], "no test: all values are equal"),
    ],
)
def test_mann_whitney_without_a_test(a: list[float], b: list[float], reason: str) -> None:
    result = mann_whitney(a, b)
    assert result.name == NO_TEST
    assert result.warnings == (reason,)


# --- from a count table: the same results as from the values ------------------------------


def _random_counts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Groups × values counts with ties, empty groups and unsorted, repeated values."""
    groups, width = int(rng.integers(1, 7)), int(rng.integers(1, 8))
    values = rng.integers(-3, 6, width).astype(np.float64)  # may repeat: merged
    counts = rng.integers(0, int(rng.choice([2, 6, 80, 2000])), (groups, width))
    if rng.random() < 0.4:
        counts[int(rng.integers(0, groups))] = 0
    return counts, values


def _spelled(counts: np.ndarray, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    observed = np.repeat(values, counts)
    rng.shuffle(observed)
    return observed


@pytest.mark.parametrize("seed", range(40))
def test_kruskal_wallis_counts_equals_kruskal_wallis_on_the_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts, values = _random_counts(rng)
    named = {f"G{at}": row for at, row in enumerate(counts)}
    spelled = {name: _spelled(row, values, rng) for name, row in named.items()}
    # The same H, p and warnings to the last bit: rank sums from counts are exact.
    assert kruskal_wallis_counts(named, values) == kruskal_wallis(spelled)
    assert kruskal_wallis_counts(list(counts), values) == kruskal_wallis(list(spelled.values()))


@pytest.mark.parametrize("seed", range(40))
def test_mann_whitney_counts_equals_mann_whitney_on_the_values(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    counts, values = _random_counts(rng)
    if counts.shape[0] < 2:
        counts = np.vstack([counts, counts])
    first, second = (_spelled(row, values, rng) for row in counts[:2])
    assert mann_whitney_counts(counts[0], counts[1], values) == mann_whitney(first, second)


def test_mann_whitney_counts_without_ties_and_few_values_is_exact() -> None:
    values = np.arange(12, dtype=np.float64)
    a = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0])
    result = mann_whitney_counts(a, 1 - a, values)
    assert result == mann_whitney(values[a == 1], values[a == 0])
    exact = mannwhitneyu(values[a == 1], values[a == 0], method="exact")
    assert result.p == pytest.approx(float(exact.pvalue), rel=1e-12)


@pytest.mark.parametrize(
    ("counts", "reason"),
    [
        ([[1, 2], [0, 0]], "no test: fewer than two groups have values"),
        ([[0, 3], [0, 2]], "no test: all values are equal"),
    ],
)
def test_kruskal_wallis_counts_without_a_test(counts: list[list[int]], reason: str) -> None:
    result = kruskal_wallis_counts({"A": counts[0], "B": counts[1]}, [1.0, 2.0])
    assert result.name == NO_TEST and result.warnings[-1] == reason
    values = {g: np.repeat([1.0, 2.0], c) for g, c in zip("AB", counts, strict=True)}
    assert result == kruskal_wallis(values)


def test_rank_counts_merges_repeated_values_and_refuses_bad_counts() -> None:
    table = rank_counts({"A": [1, 2, 3], "B": [0, 0, 0], "C": [4, 0, 1]}, [5.0, 1.0, 5.0])
    assert table.names == ("A", "C")
    assert table.values.tolist() == [1.0, 5.0]
    assert table.counts.tolist() == [[2, 4], [0, 5]]
    assert table.notes == ("dropped 1 empty group before testing (B)",)
    assert table.rank_sums().tolist() == [2 * 1.5 + 4 * 7.0, 5 * 7.0]  # ranks 1-2, 3-11
    with pytest.raises(ValueError, match="whole numbers"):
        rank_counts([[1.5, 2]], [1.0, 2.0])
    with pytest.raises(ValueError, match="whole numbers"):
        rank_counts([[-1, 2]], [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        rank_counts([[1, 2]], [1.0, np.nan])
    with pytest.raises(ValueError, match="counts for"):
        rank_counts([[1, 2, 3]], [1.0, 2.0])
