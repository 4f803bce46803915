"""Published reference values, reproduced to the digits their sources print."""

from __future__ import annotations

import numpy as np

from analysis.stats import (
    PEARSON_CHI_SQUARE,
    Interval,
    adjusted_residuals,
    categorical_test,
    clopper_pearson,
    compact_letters,
    cronbach_alpha,
    dunn_holm,
    jeffreys,
    kruskal_wallis,
    wilson,
)

# Agresti (2007, p. 39), R's ?chisq.test: gender × party identification.
PARTY = [[762, 327, 468], [484, 239, 477]]
# Hollander & Wolfe (1973, p. 116), R's ?kruskal.test: mucociliary efficiency.
LUNGS = {
    "normal": [2.9, 3.0, 2.5, 2.6, 3.2],
    "airway": [3.8, 2.7, 4.0, 2.4],
    "asbestosis": [2.8, 3.4, 3.7, 2.2, 2.0],
}


def test_chi_square_agresti() -> None:
    result = categorical_test(PARTY, seed=1)
    assert result.name == PEARSON_CHI_SQUARE
    assert result.statistic is not None and round(result.statistic, 2) == 30.07
    assert result.df == 2
    assert result.p is not None and f"{result.p:.3e}" == "2.954e-07"
    assert result.n == 2757
    assert result.warnings == ()


def test_adjusted_residuals_agresti() -> None:
    residuals = adjusted_residuals(PARTY)
    assert [round(float(z), 7) for z in residuals[0]] == [4.5020535, 0.6994517, -5.3159455]
    # With two rows, the second row's residuals are the first's with the sign flipped.
    np.testing.assert_allclose(residuals[1], -residuals[0])


def test_kruskal_wallis_hollander_wolfe() -> None:
    result = kruskal_wallis(LUNGS)
    assert result.statistic is not None and round(result.statistic, 5) == 0.77143
    assert result.df == 2
    assert result.p is not None and round(result.p, 2) == 0.68


def test_dunn_holm_hollander_wolfe() -> None:
    dunn = dunn_holm(LUNGS)
    assert [pair.p_adjusted for pair in dunn.comparisons] == [1.0, 1.0, 1.0]
    assert compact_letters(list(LUNGS), dunn.adjusted_p()) == {
        "normal": "a",
        "airway": "a",
        "asbestosis": "a",
    }


def _rounded(interval: Interval | None) -> tuple[float, float]:
    assert interval is not None
    return round(interval.low, 4), round(interval.high, 4)


def test_proportion_intervals_fagerland() -> None:
    assert _rounded(wilson(13, 16)) == (0.5699, 0.9341)
    assert _rounded(clopper_pearson(13, 16)) == (0.5435, 0.9595)
    assert _rounded(jeffreys(13, 16)) == (0.5792, 0.9442)


def test_cronbach_alpha_with_feldt_interval() -> None:
    items = np.array(
        [
            [1, 2, 2, 3, 2, 2, 3, 3, 2, 3],
            [1, 1, 1, 2, 3, 3, 2, 3, 3, 3],
            [1, 1, 2, 1, 2, 3, 3, 3, 2, 3],
        ]
    ).T
    result = cronbach_alpha(items)
    assert result.alpha is not None and round(result.alpha, 7) == 0.7734375
    assert result.ci is not None
    assert (round(result.ci.low, 3), round(result.ci.high, 3)) == (0.336, 0.939)
    assert (result.n_cases, result.n_items, result.n_dropped) == (10, 3, 0)
