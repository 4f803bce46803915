"""Holm and Benjamini-Hochberg against their definitions, and their properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.stats import benjamini_hochberg, holm

pvalues = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40)


def _brute_force_bh(p: list[float]) -> list[float]:
    m = len(p)
    rank = [sum(other <= value for other in p) for value in p]  # ties take the highest rank
    return [min(1.0, min(m * p[j] / rank[j] for j in range(m) if p[j] >= p[i])) for i in range(m)]


def _brute_force_holm(p: list[float]) -> list[float]:
    m = len(p)
    rank = [sum(other < value for other in p) + 1 for value in p]  # ties take the lowest rank
    return [
        max(min(1.0, (m - rank[j] + 1) * p[j]) for j in range(m) if p[j] <= p[i]) for i in range(m)
    ]


def _bh_rejects(p: list[float], alpha: float) -> set[int]:
    """The step-up procedure: reject the k smallest, k the largest with p_(k) ≤ k·alpha/m."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    passing = [k for k in range(1, m + 1) if p[order[k - 1]] <= k * alpha / m]
    return set(order[: max(passing)]) if passing else set()


def _holm_rejects(p: list[float], alpha: float) -> set[int]:
    """The step-down procedure: reject in order while p_(k) ≤ alpha/(m − k + 1)."""
    m = len(p)
    rejected: set[int] = set()
    for k, index in enumerate(sorted(range(m), key=lambda i: p[i]), start=1):
        if p[index] > alpha / (m - k + 1):
            break
        rejected.add(index)
    return rejected


@pytest.mark.parametrize("seed", range(6))
def test_adjustments_match_brute_force_definitions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(0.4, 2.0, size=25), 3).tolist()  # rounding makes ties
    assert benjamini_hochberg(p) == pytest.approx(_brute_force_bh(p), rel=1e-12)
    assert holm(p) == pytest.approx(_brute_force_holm(p), rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_adjusted_values_reproduce_the_procedures(seed: int) -> None:
    rng = np.random.default_rng(50 + seed)
    p = rng.beta(0.3, 3.0, size=30).tolist()
    q, h = benjamini_hochberg(p), holm(p)
    for alpha in (0.001, 0.01, 0.05, 0.1, 0.2):
        assert {i for i, value in enumerate(q) if value is not None and value <= alpha} == (
            _bh_rejects(p, alpha)
        )
        assert {i for i, value in enumerate(h) if value is not None and value <= alpha} == (
            _holm_rejects(p, alpha)
        )


def test_known_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # R: p.adjust(c(.01,.04,.03,.005), "BH") and "holm"
    assert benjamini_hochberg(p) == pytest.approx((0.02, 0.04, 0.04, 0.02))
    assert holm(p) == pytest.approx((0.03, 0.06, 0.06, 0.02))


def test_untested_entries_pass_through_and_do_not_count() -> None:
    q = benjamini_hochberg([0.01, None, 0.04, float("nan"), 0.03])
    assert q[1] is None and q[3] is not None and math.isnan(q[3])
    assert (q[0], q[2], q[4]) == pytest.approx(benjamini_hochberg([0.01, 0.04, 0.03]))
    h = holm([None, 0.02, 0.5])
    assert h[0] is None
    assert h[1:] == pytest.approx((0.04, 0.5))
    assert holm([]) == () and benjamini_hochberg([None]) == (None,)


@pytest.mark.parametrize("bad", [[-0.1, 0.5], [0.2, 1.5]])
def test_p_values_outside_the_unit_interval_are_refused(bad: list[float]) -> None:
    for adjust in (holm, benjamini_hochberg):
        with pytest.raises(ValueError, match="between 0 and 1"):
            adjust(bad)


def _floats(values: tuple[float | None, ...]) -> list[float]:
    assert all(value is not None for value in values)
    return [float(value) for value in values if value is not None]


@given(pvalues)
def test_bh_q_is_at_least_p_capped_and_monotone(p: list[float]) -> None:
    q = _floats(benjamini_hochberg(p))
    assert all(pi <= qi <= 1.0 for pi, qi in zip(p, q, strict=True))
    for i in range(len(p)):
        for j in range(len(p)):
            if p[i] <= p[j]:
                assert q[i] <= q[j]


@given(pvalues)
def test_holm_is_at_least_p_capped_monotone_and_above_bh(p: list[float]) -> None:
    h = _floats(holm(p))
    q = _floats(benjamini_hochberg(p))
    assert all(pi <= hi <= 1.0 for pi, hi in zip(p, h, strict=True))
    assert all(qi <= hi for qi, hi in zip(q, h, strict=True))
    for i in range(len(p)):
        for j in range(len(p)):
            if p[i] <= p[j]:
                assert h[i] <= h[j]
