"""Intervals for one proportion: edges, bad input, and properties over many (k, n)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.stats import Interval, clopper_pearson, jeffreys, wilson

IntervalMethod = Callable[..., Interval | None]
INTERVALS: list[IntervalMethod] = [wilson, clopper_pearson, jeffreys]


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=100_000))
    return draw(st.integers(min_value=0, max_value=n)), n


@given(counts(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_contains_the_estimate_and_stays_in_the_unit_interval(
    case: tuple[int, int], level: float
) -> None:
    k, n = case
    interval = wilson(k, n, level)
    assert interval is not None
    assert 0.0 <= interval.low <= k / n <= interval.high <= 1.0


@given(counts())
def test_wilson_bounds_solve_the_score_equation(case: tuple[int, int]) -> None:
    # Independent of the closed form: each interior bound p satisfies |p̂ − p| = z·√(p(1−p)/n).
    k, n = case
    interval = wilson(k, n)
    assert interval is not None
    z = 1.959963984540054
    for bound in (interval.low, interval.high):
        if 0.0 < bound < 1.0:
            assert abs(k / n - bound) == pytest.approx(
                z * math.sqrt(bound * (1 - bound) / n), rel=1e-6, abs=1e-12
            )


@given(counts())
def test_every_interval_contains_the_estimate(case: tuple[int, int]) -> None:
    k, n = case
    for method in INTERVALS:
        interval = method(k, n)
        assert interval is not None
        assert 0.0 <= interval.low <= k / n <= interval.high <= 1.0


@pytest.mark.parametrize("method", INTERVALS)
def test_no_successes_and_all_successes_reach_the_bound_exactly(method: IntervalMethod) -> None:
    none, every = method(0, 12), method(12, 12)
    assert none is not None and every is not None
    assert none.low == 0.0 and 0.0 < none.high < 1.0
    assert every.high == 1.0 and 0.0 < every.low < 1.0


@pytest.mark.parametrize("method", INTERVALS)
def test_no_trials_has_no_interval(method: IntervalMethod) -> None:
    assert method(0, 0) is None


def test_wilson_at_no_successes_has_its_closed_form() -> None:
    # At k = 0 the upper bound is z² / (n + z²).
    z2 = 1.959963984540054**2
    interval = wilson(0, 20)
    assert interval is not None
    assert interval.low == 0.0
    assert interval.high == pytest.approx(z2 / (20 + z2), rel=1e-12)


def test_wider_for_higher_confidence() -> None:
    narrow, wide = wilson(30, 80, 0.90), wilson(30, 80, 0.99)
    assert narrow is not None and wide is not None
    assert wide.low < narrow.low and narrow.high < wide.high


def test_numpy_integers_are_accepted() -> None:
    assert wilson(np.int64(13), np.int64(16)) == wilson(13, 16)


@pytest.mark.parametrize(
    ("k", "n", "level"), [(-1, 5, 0.95), (6, 5, 0.95), (1, -1, 0.95), (1, 5, 1.0), (1, 5, 0.0)]
)
def test_impossible_input_is_refused(k: int, n: int, level: float) -> None:
    for method in INTERVALS:
        with pytest.raises(ValueError, match=r"between 0 and 1|0 <= k <= n"):
            method(k, n, level)


def test_interval_membership() -> None:
    assert 0.5 in Interval(0.4, 0.6)
    assert 0.7 not in Interval(0.4, 0.6)
