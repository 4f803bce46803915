"""Cronbach's alpha against the covariance form, listwise deletion, and the untestable cases."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.stats import cronbach_alpha


def _scale(rng: np.random.Generator, cases: int, items: int) -> np.ndarray:
    trait = rng.normal(size=(cases, 1))
    return np.clip(np.round(3 + trait + rng.normal(scale=0.9, size=(cases, items))), 1, 5)


@pytest.mark.parametrize("seed", range(4))
def test_alpha_equals_the_mean_covariance_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    items = _scale(rng, 80, 5)
    covariance = np.cov(items, rowvar=False)
    k = items.shape[1]
    mean_variance = np.trace(covariance) / k
    mean_covariance = (covariance.sum() - np.trace(covariance)) / (k * (k - 1))
    expected = k * mean_covariance / (mean_variance + (k - 1) * mean_covariance)
    result = cronbach_alpha(items)
    assert result.alpha == pytest.approx(expected, rel=1e-10)
    assert result.alpha is not None and result.ci is not None
    assert result.ci.low < result.alpha < result.ci.high
    wider = cronbach_alpha(items, level=0.99).ci
    assert wider is not None and wider.low < result.ci.low and result.ci.high < wider.high


def test_cases_with_a_missing_item_are_dropped() -> None:
    rng = np.random.default_rng(11)
    complete = _scale(rng, 40, 4)
    holes = np.vstack([complete, [[1, np.nan, 3, 4], [np.nan, np.nan, 2, 2]]])
    result = cronbach_alpha(holes)
    assert (result.n_cases, result.n_items, result.n_dropped) == (40, 4, 2)
    assert result.alpha == cronbach_alpha(complete).alpha


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([[1], [2], [3]], "no alpha: a scale needs at least two items"),
        ([[1, 2, 3]], "no alpha: fewer than two complete cases"),
        ([[1, np.nan], [2, 3], [np.nan, 1]], "no alpha: fewer than two complete cases"),
        ([[1, 3], [2, 2], [3, 1]], "no alpha: every complete case has the same total score"),
    ],
)
def test_alpha_that_cannot_be_computed_says_why(items: list[list[float]], reason: str) -> None:
    result = cronbach_alpha(items)
    assert result.alpha is None and result.ci is None
    assert result.warnings == (reason,)


def test_items_must_be_a_matrix() -> None:
    with pytest.raises(ValueError, match="cases × items"):
        cronbach_alpha([1, 2, 3])
