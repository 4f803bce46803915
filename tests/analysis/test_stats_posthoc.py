"""Dunn's test against a hand computation, and the compact letter display's promise."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.stats import DUNN_HOLM, compact_letters, dunn_holm, holm
from analysis.stats.posthoc import dunn_holm_counts


def _likert(rng: np.random.Generator, size: int, shift: float) -> list[float]:
    return [float(v) for v in np.clip(np.round(rng.normal(3 + shift, 1.0, size)), 1, 5)]


@pytest.mark.parametrize("seed", range(4))
def test_dunn_matches_the_hand_computation_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = {
        "AT": _likert(rng, 40, 0.0),
        "BE": _likert(rng, 30, 0.8),
        "CY": _likert(rng, 25, -0.5),
        "DE": _likert(rng, 35, 0.1),
    }
    pooled = np.concatenate([np.array(v) for v in groups.values()])
    n = pooled.size
    mean_rank = {
        name: np.mean([(pooled < v).sum() + ((pooled == v).sum() + 1) / 2 for v in values])
        for name, values in groups.items()
    }
    _, ties = np.unique(pooled, return_counts=True)
    variance = n * (n + 1) / 12 - (ties**3 - ties).sum() / (12 * (n - 1))
    expected_z, expected_p = [], []
    for first, second in combinations(groups, 2):
        se = math.sqrt(variance * (1 / len(groups[first]) + 1 / len(groups[second])))
        z = (mean_rank[first] - mean_rank[second]) / se
        expected_z.append(z)
        expected_p.append(math.erfc(abs(z) / math.sqrt(2)))

    dunn = dunn_holm(groups)
    assert dunn.name == DUNN_HOLM
    assert [(c.first, c.second) for c in dunn.comparisons] == list(combinations(groups, 2))
    assert [c.z for c in dunn.comparisons] == pytest.approx(expected_z, rel=1e-10)
    assert [c.p for c in dunn.comparisons] == pytest.approx(expected_p, rel=1e-8)
    assert [c.p_adjusted for c in dunn.comparisons] == pytest.approx(holm(expected_p), rel=1e-8)


def test_dunn_finds_the_group_that_differs() -> None:
    rng = np.random.default_rng(42)
    groups = {"AT": _likert(rng, 60, 0), "BE": _likert(rng, 60, 0), "CY": _likert(rng, 60, 1.5)}
    adjusted = dunn_holm(groups).adjusted_p()
    assert adjusted[("AT", "BE")] is not None and adjusted[("AT", "BE")] > 0.05
    assert adjusted[("AT", "CY")] is not None and adjusted[("AT", "CY")] < 1e-6
    assert compact_letters(["AT", "BE", "CY"], adjusted) == {"AT": "a", "BE": "a", "CY": "b"}


def test_dunn_drops_empty_groups_and_handles_degenerate_data() -> None:
    dunn = dunn_holm({"AT": [1, 2, 3], "BE": [], "CY": [3, 4, 5]})
    assert dunn.warnings == ("dropped 1 empty group before testing (BE)",)
    assert [(c.first, c.second) for c in dunn.comparisons] == [("AT", "CY")]

    equal = dunn_holm([[2, 2], [2, 2, 2]])
    assert equal.comparisons[0].p is None
    assert equal.warnings == ("no comparisons: all values equal",)

    single = dunn_holm({"AT": [1, 2], "BE": []})
    assert single.comparisons == ()
    assert single.warnings[-1] == "no comparisons: fewer than two groups"


@pytest.mark.parametrize("seed", range(30))
def test_dunn_from_counts_equals_dunn_on_the_values(seed: int) -> None:
    """Ties, empty groups, repeated and unsorted values: the same z, p and warnings."""
    rng = np.random.default_rng(seed)
    groups, width = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    values = rng.integers(0, 5, width).astype(np.float64)
    counts = rng.integers(0, int(rng.choice([2, 5, 60, 3000])), (groups, width))
    if rng.random() < 0.4:
        counts[int(rng.integers(0, groups))] = 0
    named = {f"G{at}": row for at, row in enumerate(counts)}
    spelled = {}
    for name, row in named.items():
        observed = np.repeat(values, row)
        rng.shuffle(observed)
        spelled[name] = observed
    assert dunn_holm_counts(named, values) == dunn_holm(spelled)
    assert dunn_holm_counts(list(counts), values) == dunn_holm(list(spelled.values()))


def _significance(
    names: list[str], different: set[tuple[str, str]]
) -> dict[tuple[str, str], float | None]:
    return {pair: (0.001 if pair in different else 0.5) for pair in combinations(names, 2)}


@pytest.mark.parametrize(
    ("different", "letters"),
    [
        (set(), {"A": "a", "B": "a", "C": "a"}),
        ({("A", "C")}, {"A": "a", "B": "ab", "C": "b"}),
        ({("A", "B"), ("A", "C"), ("B", "C")}, {"A": "a", "B": "b", "C": "c"}),
        ({("A", "B"), ("A", "C")}, {"A": "a", "B": "b", "C": "b"}),
    ],
)
def test_letter_displays_for_small_patterns(
    different: set[tuple[str, str]], letters: dict[str, str]
) -> None:
    assert compact_letters(["A", "B", "C"], _significance(["A", "B", "C"], different)) == letters


def test_letters_respect_alpha_and_none_and_either_key_order() -> None:
    adjusted: dict[tuple[str, str], float | None] = {("B", "A"): 0.04, ("A", "C"): None}
    adjusted[("B", "C")] = 0.2
    assert compact_letters(["A", "B", "C"], adjusted) == {"A": "a", "B": "b", "C": "ab"}
    assert compact_letters(["A", "B", "C"], adjusted, alpha=0.01) == {"A": "a", "B": "a", "C": "a"}
    # A p exactly at alpha is not below it.
    assert compact_letters(["A", "B"], {("A", "B"): 0.05}) == {"A": "a", "B": "a"}


def test_letters_refuse_missing_pairs_and_duplicate_names() -> None:
    with pytest.raises(ValueError, match="no adjusted p-value for the pair 'A', 'C'"):
        compact_letters(["A", "B", "C"], {("A", "B"): 0.5, ("B", "C"): 0.5})
    with pytest.raises(ValueError, match="unique"):
        compact_letters(["A", "A"], {("A", "A"): 0.5})


@st.composite
def patterns(draw: st.DrawFn) -> tuple[list[str], set[tuple[str, str]]]:
    k = draw(st.integers(min_value=1, max_value=8))
    names = [f"G{i}" for i in range(k)]
    pairs = list(combinations(names, 2))
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    return names, set(chosen)


@given(patterns())
def test_groups_share_a_letter_exactly_when_they_do_not_differ(
    pattern: tuple[list[str], set[tuple[str, str]]],
) -> None:
    names, different = pattern
    letters = compact_letters(names, _significance(names, different))
    assert set(letters) == set(names)
    assert all(letters[name] for name in names)
    for first, second in combinations(names, 2):
        share = bool(set(letters[first]) & set(letters[second]))
        assert share == ((first, second) not in different)
