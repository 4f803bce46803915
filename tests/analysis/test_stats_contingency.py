"""Single choice × group: each test checked against an independent computation, and the choice."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import contingency, fisher_exact

from analysis.stats import (
    CRAMERS_V,
    FISHER_EXACT,
    MONTE_CARLO_CHI_SQUARE,
    NO_TEST,
    PEARSON_CHI_SQUARE,
    adjusted_residuals,
    categorical_test,
    flag_residuals,
)
from analysis.stats.contingency import chi_square_is_reliable, expected_counts, monte_carlo_p

# R's vcd::Arthritis, Treatment × Improved: fisher.test gives p = 0.001393, where an unseeded
# scipy.stats.fisher_exact gave 0.0014, 0.0007 and 0.0016 on three calls.
ARTHRITIS = np.array([[29, 7, 7], [13, 7, 21]])
ARTHRITIS_FISHER_P = 0.001393


def _hand_chi_square(table: np.ndarray) -> float:
    n = table.sum()
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    total = 0.0
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            expected = rows[i] * columns[j] / n
            total += (table[i, j] - expected) ** 2 / expected
    return total


def _fills(total: int, capacity: list[int]) -> Iterator[list[int]]:
    if len(capacity) == 1:
        if total <= capacity[0]:
            yield [total]
        return
    for first in range(min(total, capacity[0]) + 1):
        for rest in _fills(total - first, capacity[1:]):
            yield [first, *rest]


def _tables(rows: list[int], columns: list[int]) -> Iterator[np.ndarray]:
    """Every table with these margins (small tables only)."""
    if len(rows) == 1:
        yield np.array([columns])
        return
    for first in _fills(rows[0], columns):
        remaining = [c - f for c, f in zip(columns, first, strict=True)]
        for rest in _tables(rows[1:], remaining):
            yield np.vstack([first, rest])


def _exact_p(table: np.ndarray, by: str) -> float:
    """Exact conditional p over all tables with the observed margins.

    by="chi-square": tables with X² at least the observed one (what Monte Carlo estimates);
    by="probability": tables no more probable than the observed one (Fisher-Freeman-Halton).
    """
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    n = table.sum()
    constant = gammaln(rows + 1).sum() + gammaln(columns + 1).sum() - gammaln(n + 1)

    def log_probability(candidate: np.ndarray) -> float:
        return float(constant - gammaln(candidate + 1).sum())

    observed_chi, observed_log = _hand_chi_square(table), log_probability(table)
    p = 0.0
    for candidate in _tables(rows.tolist(), columns.tolist()):
        more_extreme = (
            _hand_chi_square(candidate) >= observed_chi * (1 - 1e-7)
            if by == "chi-square"
            else log_probability(candidate) <= observed_log + 1e-7
        )
        if more_extreme:
            p += math.exp(log_probability(candidate))
    return p


def _tolerance(p: float, resamples: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / resamples)


# -- Pearson chi-square -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_pearson_matches_the_hand_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.integers(20, 200, size=(3, 2))
    result = categorical_test(table, seed=0)
    assert result.name == PEARSON_CHI_SQUARE
    statistic = _hand_chi_square(table)
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.df == 2
    # With 2 degrees of freedom the chi-square tail is exactly exp(−x/2).
    assert result.p == pytest.approx(math.exp(-statistic / 2), rel=1e-9)
    assert result.seed is None and result.resamples is None


def test_pearson_has_no_continuity_correction() -> None:
    table = np.array([[30, 10], [15, 25]])
    result = categorical_test(table, seed=0)
    # Yates would shrink every |O − E| by ½; the uncorrected statistic is the hand formula.
    assert result.statistic == pytest.approx(_hand_chi_square(table), rel=1e-12)
    assert result.p == pytest.approx(math.erfc(math.sqrt(_hand_chi_square(table) / 2)), rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_cramers_v_matches_scipy_and_the_formula(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    shape = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    table = rng.integers(10, 100, size=shape)
    result = categorical_test(table, seed=0)
    assert result.effect is not None and result.effect.name == CRAMERS_V
    expected = math.sqrt(_hand_chi_square(table) / (table.sum() * (min(shape) - 1)))
    assert result.effect.value == pytest.approx(expected, rel=1e-12)
    assert result.effect.value == pytest.approx(
        contingency.association(table, method="cramer"), rel=1e-12
    )


# -- Fisher exact -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_fisher_on_sparse_two_by_two_matches_scipy_and_the_hypergeometric_sum(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    table = rng.integers(0, 5, size=(2, 2))
    table[0, 0] += 1
    table[1, 1] += 1  # no all-zero margin; n ≤ 18 keeps every expected count below 5
    result = categorical_test(table, seed=0)
    assert result.name == FISHER_EXACT
    assert result.statistic is None and result.df is None
    assert result.p == pytest.approx(fisher_exact(table).pvalue, rel=1e-12)
    assert result.p == pytest.approx(min(1.0, _exact_p(table, by="probability")), rel=1e-9)
    assert result.effect is not None
    assert result.effect.value == pytest.approx(
        contingency.association(table, method="cramer"), rel=1e-12
    )


# -- Monte Carlo --------------------------------------------------------------------------


def test_monte_carlo_p_approaches_the_exact_p() -> None:
    resamples = 200_000
    statistic, p = monte_carlo_p(ARTHRITIS, seed=2024, resamples=resamples)
    assert statistic == pytest.approx(13.055, abs=5e-4)  # R: X-squared = 13.055
    # The simulation estimates the exact p ordered by chi-square ...
    exact = _exact_p(ARTHRITIS, by="chi-square")
    assert abs(p - exact) < _tolerance(exact, resamples)
    # ... which is close to Fisher's exact p for this table.
    assert round(_exact_p(ARTHRITIS, by="probability"), 6) == ARTHRITIS_FISHER_P
    assert abs(p - ARTHRITIS_FISHER_P) < _tolerance(ARTHRITIS_FISHER_P, resamples)


def test_monte_carlo_p_is_reproducible_by_seed() -> None:
    first = monte_carlo_p(ARTHRITIS, seed=7, resamples=10_000)
    assert monte_carlo_p(ARTHRITIS, seed=7, resamples=10_000) == first
    assert monte_carlo_p(ARTHRITIS, seed=8, resamples=10_000) != first


def test_monte_carlo_p_counts_the_observed_table_and_is_never_zero() -> None:
    # A table at the extreme of its margins: no simulated table can exceed it.
    statistic, p = monte_carlo_p(np.array([[20, 0, 0], [0, 20, 0], [0, 0, 20]]), 1, 999)
    assert statistic == pytest.approx(120.0)
    assert 0 < p < 0.01
    assert p * 1000 == pytest.approx(round(p * 1000))  # (hits + 1) / (resamples + 1)


def test_simulated_tables_as_extreme_as_the_observed_one_count() -> None:
    # Margins (1, 2) × (1, 1, 1) allow three tables, all with X² = 3: the exact p is 1,
    # and rounding in the sums must not make equal statistics look smaller.
    table = np.array([[1, 0, 0], [0, 1, 1]])
    assert _exact_p(table, by="chi-square") == pytest.approx(1.0)
    statistic, p = monte_carlo_p(table, seed=5, resamples=500)
    assert statistic == pytest.approx(3.0)
    assert p == 1.0


SPARSE = np.array([[3, 1, 0], [0, 2, 5], [1, 0, 1]])


def test_sparse_larger_table_gets_a_seeded_monte_carlo_p() -> None:
    result = categorical_test(SPARSE, seed=11, resamples=50_000)
    assert result.name == MONTE_CARLO_CHI_SQUARE
    assert (result.seed, result.resamples) == (11, 50_000)
    assert result.df is None
    assert result.statistic == pytest.approx(_hand_chi_square(SPARSE), rel=1e-12)
    exact = _exact_p(SPARSE, by="chi-square")
    assert result.p is not None and abs(result.p - exact) < _tolerance(exact, 50_000)
    assert categorical_test(SPARSE, seed=11, resamples=50_000) == result
    assert categorical_test(SPARSE, seed=12, resamples=50_000).p != result.p


def test_resamples_must_be_positive() -> None:
    with pytest.raises(ValueError, match="resamples"):
        categorical_test(SPARSE, seed=1, resamples=0)


# -- the automatic choice, at the edges of each rule -------------------------------------

# Columns 189/21 of n = 210: expected counts are 0.9 and 0.1 of each row total, so only the
# second column can fall below 5, and each row moves one cell of the ten.
EXACTLY_20_PERCENT_MIN_1 = [[9, 1], [36, 4], [45, 5], [45, 5], [54, 6]]  # E col 2: 1, 4, 5, 5, 6
THIRTY_PERCENT = [[18, 2], [36, 4], [36, 4], [45, 5], [54, 6]]  # E col 2: 2, 4, 4, 5, 6
BELOW_ONE = [[8, 1], [37, 4], [45, 5], [45, 5], [54, 6]]  # E col 2: 0.9, 4.1, 5, 5, 6


@pytest.mark.parametrize(
    ("table", "name", "below_five", "minimum"),
    [
        pytest.param(EXACTLY_20_PERCENT_MIN_1, PEARSON_CHI_SQUARE, 2, 1.0, id="20%-and-min-1"),
        pytest.param(THIRTY_PERCENT, MONTE_CARLO_CHI_SQUARE, 3, 2.0, id="30%"),
        pytest.param(BELOW_ONE, MONTE_CARLO_CHI_SQUARE, 2, 0.9, id="below-1"),
        pytest.param([[5, 5], [5, 5]], PEARSON_CHI_SQUARE, 0, 5.0, id="2x2-all-exactly-5"),
        pytest.param([[6, 4], [3, 7]], FISHER_EXACT, 2, 4.5, id="2x2-below-5"),
        pytest.param([[50, 1], [40, 0]], FISHER_EXACT, 2, 0.44, id="2x2-below-1"),
    ],
)
def test_the_test_follows_the_expected_counts(
    table: list[list[int]], name: str, below_five: int, minimum: float
) -> None:
    expected = expected_counts(np.array(table))
    assert int((expected < 5).sum()) == below_five
    assert expected.min() == pytest.approx(minimum, abs=0.005)
    assert chi_square_is_reliable(expected) == (name == PEARSON_CHI_SQUARE)
    assert categorical_test(table, seed=3, resamples=2_000).name == name


def test_the_edge_tables_sit_exactly_on_the_thresholds() -> None:
    at_edge = expected_counts(np.array(EXACTLY_20_PERCENT_MIN_1))
    assert at_edge.min() == 1.0
    assert 5 * int((at_edge < 5).sum()) == at_edge.size
    assert expected_counts(np.array(BELOW_ONE)).min() < 1.0
    assert 10 * int((expected_counts(np.array(THIRTY_PERCENT)) < 5).sum()) == 3 * 10


def test_shaky_cells_are_described_in_words() -> None:
    table = [[10, 6, 1], [10, 2, 5]]  # expected: 10, 4, 3 per row
    result = categorical_test(table, seed=3, resamples=2_000)
    assert result.warnings == (
        "4 cells (67%) have expected count below 5; minimum expected count 3.00",
    )
    one_cell = categorical_test(EXACTLY_20_PERCENT_MIN_1, seed=3)
    assert one_cell.warnings == (
        "2 cells (20%) have expected count below 5; minimum expected count 1.00",
    )
    below_one = categorical_test(BELOW_ONE, seed=3, resamples=2_000)
    assert below_one.warnings == (
        "2 cells (20%) have expected count below 5, 1 of them below 1; minimum expected count 0.90",
    )


def test_the_warning_example_of_analysis_md() -> None:
    # 2 of 6 cells below 5 with a minimum of 4.17 (25 · 10 / 60).
    table = [[5, 5, 15], [5, 5, 25]]
    expected = expected_counts(np.array(table))
    assert expected.min() == pytest.approx(25 * 10 / 60)
    result = categorical_test(table, seed=1, resamples=2_000)
    assert "2 cells (33%) have expected count below 5; minimum expected count 4.17" in (
        result.warnings
    )
    assert result.name == MONTE_CARLO_CHI_SQUARE


# -- empty rows and columns, degenerate tables, bad counts --------------------------------


def test_empty_rows_and_columns_are_dropped_and_named() -> None:
    table = [[30, 0, 20], [0, 0, 0], [25, 0, 25], [10, 0, 40]]
    result = categorical_test(
        table, seed=1, row_labels=["A", "B", "C", "D"], column_labels=["yes", "maybe", "no"]
    )
    trimmed = np.array([[30, 20], [25, 25], [10, 40]])
    assert result.name == PEARSON_CHI_SQUARE
    assert result.df == 2
    assert result.statistic == pytest.approx(_hand_chi_square(trimmed), rel=1e-12)
    assert result.warnings == (
        "dropped 1 empty row before testing (row B)",
        "dropped 1 empty column before testing (column maybe)",
    )


def test_empty_margins_are_named_by_position_without_labels() -> None:
    result = categorical_test([[0, 3, 0, 4], [0, 5, 0, 6], [0, 0, 0, 0]], seed=1)
    assert result.warnings[:2] == (
        "dropped 1 empty row before testing (row 3)",
        "dropped 2 empty columns before testing (columns 1, 3)",
    )


def test_labels_must_match_the_table() -> None:
    with pytest.raises(ValueError, match="2 row labels for 3 rows"):
        categorical_test([[1, 2], [3, 4], [5, 6]], seed=1, row_labels=["A", "B"])
    with pytest.raises(ValueError, match="3 column labels for 2 columns"):
        categorical_test([[1, 2], [3, 4]], seed=1, column_labels=["x", "y", "z"])


def test_dropping_can_turn_a_table_into_a_two_by_two() -> None:
    result = categorical_test([[3, 0, 1], [0, 0, 0], [1, 0, 4]], seed=1)
    assert result.name == FISHER_EXACT
    assert result.p == pytest.approx(fisher_exact([[3, 1], [1, 4]]).pvalue)


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ([[0, 0], [0, 0]], "no test: the table has no responses"),
        (
            [[5, 7, 0], [0, 0, 0]],
            "no test: only 1 row and 2 columns have responses; a test needs at least two of each",
        ),
        (
            [[5], [9]],
            "no test: only 2 rows and 1 column have responses; a test needs at least two of each",
        ),
    ],
)
def test_untestable_tables_say_why_instead_of_raising(table: list[list[int]], reason: str) -> None:
    result = categorical_test(table, seed=1)
    assert result.name == NO_TEST
    assert result.p is None and result.statistic is None and result.effect is None
    assert result.warnings[-1] == reason
    assert result.n == int(np.sum(table))


def test_whole_number_floats_are_counts() -> None:
    assert categorical_test(np.array([[30.0, 20.0], [25.0, 25.0]]), seed=1) == categorical_test(
        [[30, 20], [25, 25]], seed=1
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([[1.5, 2.0], [3.0, 4.0]], "whole numbers"),
        ([[1, -2], [3, 4]], "negative"),
        ([1, 2, 3], "two dimensions"),
        ([[1.0, float("nan")], [3.0, 4.0]], "finite"),
    ],
)
def test_counts_that_are_not_counts_are_refused(table: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        categorical_test(table, seed=1)  # type: ignore[arg-type]


# -- adjusted residuals -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_adjusted_residuals_match_the_hand_formula(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    table = rng.integers(0, 60, size=(3, 4)) + 1
    n = table.sum()
    residuals = adjusted_residuals(table)
    for i in range(3):
        for j in range(4):
            row, column = table[i].sum(), table[:, j].sum()
            expected = row * column / n
            z = (table[i, j] - expected) / math.sqrt(expected * (1 - row / n) * (1 - column / n))
            assert residuals[i, j] == pytest.approx(z, rel=1e-12)


def test_cells_of_empty_margins_have_no_residual() -> None:
    residuals = adjusted_residuals([[10, 0, 20], [30, 0, 5]])
    assert np.isnan(residuals[:, 1]).all()
    assert np.isfinite(residuals[:, [0, 2]]).all()
    assert np.isnan(adjusted_residuals([[0, 0], [0, 0]])).all()


def test_flagged_cells_exceed_1_96() -> None:
    residuals = np.array([[1.95, -1.97, np.nan], [2.5, 0.0, -1.96]])
    assert flag_residuals(residuals).tolist() == [[False, True, False], [True, False, False]]
    assert flag_residuals(residuals, critical=2.58).tolist() == [[False] * 3, [False] * 3]
