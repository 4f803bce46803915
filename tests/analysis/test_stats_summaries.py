"""Numeric and Likert summaries against the standard library and R's quantile types."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from analysis.stats import likert_summary, numeric_summary, wilson
from analysis.stats.summaries import likert_summaries_counts, likert_summary_counts


def test_numeric_summary_matches_the_standard_library() -> None:
    rng = np.random.default_rng(3)
    observations = rng.gamma(2.0, 3.0, size=57).tolist()
    summary = numeric_summary(observations)
    assert summary.n == 57
    assert summary.mean == pytest.approx(statistics.fmean(observations), rel=1e-12)
    assert summary.sd == pytest.approx(statistics.stdev(observations), rel=1e-12)
    assert summary.median == pytest.approx(statistics.median(observations), rel=1e-12)
    q1, _, q3 = statistics.quantiles(observations, n=4, method="inclusive")  # R type 7
    assert (summary.q1, summary.q3) == pytest.approx((q1, q3), rel=1e-12)
    assert summary.iqr == pytest.approx(q3 - q1, rel=1e-12)


def test_mean_interval_is_t_based() -> None:
    summary = numeric_summary([2.0, 4.0, 4.0, 5.0, 10.0])
    # t(0.975, 4) = 2.776445105; mean 5, sd √9 = 3.
    half = 2.776445105197793 * 3.0 / math.sqrt(5)
    assert summary.mean_ci is not None
    assert (summary.mean_ci.low, summary.mean_ci.high) == pytest.approx((5 - half, 5 + half))


@pytest.mark.parametrize(
    ("method", "quartiles"),
    [
        ("linear", (3.25, 7.75)),  # R type 7
        ("averaged_inverted_cdf", (3.0, 8.0)),  # R type 2, gtsummary
        ("weibull", (2.75, 8.25)),  # R type 6, SPSS
    ],
)
def test_quantile_methods_match_r_types(method: str, quartiles: tuple[float, float]) -> None:
    summary = numeric_summary(range(1, 11), quantile_method=method)  # type: ignore[arg-type]
    assert (summary.q1, summary.q3) == pytest.approx(quartiles)
    assert summary.median == 5.5


def test_numeric_summary_of_too_little_data() -> None:
    empty = numeric_summary([np.nan])
    assert empty.n == 0 and empty.mean is None and empty.iqr is None and empty.mean_ci is None
    one = numeric_summary([7.0, np.nan])
    assert (one.n, one.mean, one.median, one.sd, one.mean_ci) == (1, 7.0, 7.0, None, None)


def test_likert_summary_counts_every_scale_point() -> None:
    codes = [1, 2, 4, 5, 5, 4, 4, 5, 2, 4]
    summary = likert_summary(codes)
    assert summary.counts == ((1, 1), (2, 2), (3, 0), (4, 4), (5, 3))
    assert summary.n == 10
    assert summary.summary.mean == pytest.approx(3.6)
    assert summary.summary.median == 4.0
    assert summary.top_box_n == 7
    assert summary.top_box == pytest.approx(0.7)
    assert summary.top_box_ci == wilson(7, 10)
    assert summary.summary.mean_ci is not None and 3.6 in summary.summary.mean_ci


def test_likert_summary_on_another_scale_and_top_box() -> None:
    summary = likert_summary([1, 7, 6, 6, 3], top=(7,), points=range(1, 8))
    assert [count for _, count in summary.counts] == [1, 0, 1, 0, 0, 2, 1]
    assert summary.top == (7,) and summary.top_box_n == 1


def test_user_missing_codes_must_be_filtered_first() -> None:
    # 9 = "don't know": averaging it would move the mean; the summary refuses instead.
    with pytest.raises(ValueError, match=r"codes \[9\.0\] are not scale points"):
        likert_summary([1, 2, 9, 4])
    with pytest.raises(ValueError, match="top-box codes"):
        likert_summary([1, 2], top=(6, 7))


def test_likert_summary_without_answers() -> None:
    summary = likert_summary([])
    assert summary.n == 0
    assert summary.counts == ((1, 0), (2, 0), (3, 0), (4, 0), (5, 0))
    assert summary.top_box is None and summary.top_box_ci is None


@pytest.mark.parametrize("seed", range(30))
def test_likert_summaries_from_counts_equal_those_of_the_answers(seed: int) -> None:
    """Counts per scale point give the same summary; the SD (and so the CI) to 1e-13."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(2, 11))
    points = sorted(rng.choice(np.arange(-3, 12), size, replace=False).tolist())
    top = points[-2:]
    counts = rng.integers(0, int(rng.choice([2, 3, 12, 500, 30000])), (4, size))
    counts[0] = 0  # nobody: every statistic None
    counts[1] = 0
    counts[1][int(rng.integers(0, size))] = 1  # one answer: no SD
    for row, got in zip(counts, likert_summaries_counts(counts, top, points), strict=True):
        answers = np.repeat(np.array(points, dtype=np.float64), row)
        rng.shuffle(answers)
        want = likert_summary(answers, top=top, points=points)
        assert (got.counts, got.top, got.top_box_n) == (want.counts, want.top, want.top_box_n)
        assert (got.top_box, got.top_box_ci) == (want.top_box, want.top_box_ci)
        mine, theirs = got.summary, want.summary
        exact = (mine.n, mine.mean, mine.median, mine.q1, mine.q3)
        assert exact == (theirs.n, theirs.mean, theirs.median, theirs.q1, theirs.q3)
        if theirs.sd is None:
            assert mine.sd is None and mine.mean_ci is None and theirs.mean_ci is None
        else:
            assert mine.sd == pytest.approx(theirs.sd, rel=1e-13)
            assert mine.mean_ci is not None and theirs.mean_ci is not None
            assert mine.mean_ci.low == pytest.approx(theirs.mean_ci.low, rel=1e-12, abs=1e-13)
            assert mine.mean_ci.high == pytest.approx(theirs.mean_ci.high, rel=1e-12, abs=1e-13)


def test_likert_summary_counts_of_one_row_and_bad_input() -> None:
    summary = likert_summary_counts([0, 1, 2, 0, 1])
    assert summary == likert_summaries_counts([[0, 1, 2, 0, 1]])[0]
    assert summary.n == 4 and summary.summary.median == 3.0 and summary.top_box_n == 1
    with pytest.raises(ValueError, match="whole numbers"):
        likert_summary_counts([0, 1.5, 2, 0, 1])
    with pytest.raises(ValueError, match="one column per point"):
        likert_summary_counts([0, 1, 2])
    with pytest.raises(ValueError, match="top-box"):
        likert_summary_counts([0, 1, 2, 0, 1], top=(6,))
