"""Descriptive summaries for a numeric answer and for a Likert item.

Quantiles default to numpy's "linear" method (R's type 7, the default of R and
of pandas); "averaged_inverted_cdf" gives R's type 2 (gtsummary's default) and
"weibull" gives R's type 6 (SPSS's default), for a reader who checks against them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import t as student_t

from analysis.stats.proportions import wilson
from analysis.stats.results import Interval
from analysis.stats.samples import values

QuantileMethod = Literal["linear", "averaged_inverted_cdf", "weibull"]


@dataclass(frozen=True, slots=True)
class NumericSummary:
    """n, mean, SD, median and quartiles, and a t-based CI for the mean.

    Statistics that need more data than there is are None: everything at n = 0,
    the SD and the mean's CI at n = 1.
    """

    n: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    mean_ci: Interval | None

    @property
    def iqr(self) -> float | None:
        """Interquartile range q3 − q1."""
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1


@dataclass(frozen=True, slots=True)
class LikertSummary:
    """Distribution, median and IQR, mean with CI, and the top-box share with its Wilson CI.

    ``counts`` pairs each scale point with its count, in scale order, including
    points nobody chose. ``top_box`` is a proportion (0–1) of the valid answers.
    """

    counts: tuple[tuple[int, int], ...]
    summary: NumericSummary
    top: tuple[int, ...]
    top_box_n: int
    top_box: float | None
    top_box_ci: Interval | None

    @property
    def n(self) -> int:
        """Valid answers: the base of every percentage here."""
        return self.summary.n


def _summary(observed: NDArray[np.float64], level: float, method: QuantileMethod) -> NumericSummary:
    n = int(observed.size)
    if n == 0:
        return NumericSummary(0, None, None, None, None, None, None)
    mean = float(observed.mean())
    q1, median, q3 = (float(q) for q in np.quantile(observed, [0.25, 0.5, 0.75], method=method))
    if n == 1:
        return NumericSummary(1, mean, None, median, q1, q3, None)
    sd = float(observed.std(ddof=1))
    half = float(student_t.ppf(0.5 + level / 2.0, n - 1)) * sd / math.sqrt(n)
    return NumericSummary(n, mean, sd, median, q1, q3, Interval(mean - half, mean + half))


def numeric_summary(
    observations: ArrayLike, level: float = 0.95, quantile_method: QuantileMethod = "linear"
) -> NumericSummary:
    """Summarise numeric answers; NaN (system-missing) values are left out of n."""
    return _summary(values(observations), level, quantile_method)


def likert_summary(
    codes: ArrayLike,
    top: Sequence[int] = (4, 5),
    points: Sequence[int] = (1, 2, 3, 4, 5),
    level: float = 0.95,
    quantile_method: QuantileMethod = "linear",
) -> LikertSummary:
    """Summarise the valid answers to one Likert item.

    The caller filters user-missing codes ("don't know", "refused", "not
    applicable") before calling: they are outside the valid base and are never
    averaged as if they were a scale point. A code that is not one of ``points``
    raises ValueError, so a forgotten filter fails loudly instead of moving the mean.
    """
    observed = values(codes)
    scale = np.asarray(points, dtype=np.float64)
    stray = np.setdiff1d(observed, scale)
    if stray.size:
        raise ValueError(
            f"codes {stray.tolist()} are not scale points {list(points)}; "
            "filter user-missing codes before summarising"
        )
    if not set(top) <= set(points):
        raise ValueError(f"top-box codes {list(top)} must be scale points {list(points)}")
    counts = tuple((int(point), int(np.count_nonzero(observed == point))) for point in points)
    top_box_n = int(np.count_nonzero(np.isin(observed, np.asarray(top, dtype=np.float64))))
    n = int(observed.size)
    return LikertSummary(
        counts=counts,
        summary=_summary(observed, level, quantile_method),
        top=tuple(top),
        top_box_n=top_box_n,
        top_box=top_box_n / n if n else None,
        top_box_ci=wilson(top_box_n, n, level),
    )


def likert_summary_counts(
    counts: ArrayLike,
    top: Sequence[int] = (4, 5),
    points: Sequence[int] = (1, 2, 3, 4, 5),
    level: float = 0.95,
) -> LikertSummary:
    """``likert_summary`` of the answers counted at each scale point (``counts[i]`` at
    ``points[i]``): the same numbers, quartiles by the "linear" method, no answer read."""
    return likert_summaries_counts(np.asarray(counts)[None, :], top, points, level)[0]


def likert_summaries_counts(
    counts: ArrayLike,
    top: Sequence[int] = (4, 5),
    points: Sequence[int] = (1, 2, 3, 4, 5),
    level: float = 0.95,
) -> list[LikertSummary]:
    """``likert_summary_counts`` of each row of a groups × scale points count table.

    The mean, median and quartiles are exact; the SD sums the squared deviations
    per point rather than per answer, so it may differ in the last digit or so.
    """
    table = np.asarray(counts)
    scale = np.asarray(points, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != scale.size:
        raise ValueError(f"need a table of counts with one column per point, {scale.size}")
    whole = table.astype(np.int64)
    if not np.array_equal(whole, table) or np.any(whole < 0):
        raise ValueError("counts must be non-negative whole numbers")
    if not set(top) <= set(points):
        raise ValueError(f"top-box codes {list(top)} must be scale points {list(points)}")
    # A point listed twice holds the same answers in both columns (as likert_summary
    # counts them): they are counted once in n, the quartiles and the top box.
    in_top = np.isin(scale, np.asarray(top, dtype=np.float64))
    distinct, first = np.unique(scale, return_index=True)
    sizes = whole[:, first].sum(axis=1)
    tops = whole[:, in_top & _first_of(scale)].sum(axis=1)
    summaries = _summaries_of_counts(whole[:, first], distinct, sizes, _t_quantiles(sizes, level))
    result: list[LikertSummary] = []
    for row, n, top_box_n, summary in zip(
        whole.tolist(), sizes.tolist(), tops.tolist(), summaries, strict=True
    ):
        result.append(
            LikertSummary(
                counts=tuple((int(p), c) for p, c in zip(points, row, strict=True)),
                summary=summary,
                top=tuple(top),
                top_box_n=top_box_n,
                top_box=top_box_n / n if n else None,
                top_box_ci=wilson(top_box_n, n, level),
            )
        )
    return result


def _first_of(scale: NDArray[np.float64]) -> NDArray[np.bool_]:
    _, first = np.unique(scale, return_index=True)
    mask = np.zeros(scale.size, dtype=bool)
    mask[first] = True
    return mask


def _t_quantiles(sizes: NDArray[np.int64], level: float) -> NDArray[np.float64]:
    """Student's t quantile of each n − 1 (NaN where n < 2), in one vectorised call."""
    quantiles = np.full(sizes.size, np.nan)
    usable = sizes >= 2
    if usable.any():
        quantiles[usable] = student_t.ppf(0.5 + level / 2.0, sizes[usable] - 1)
    return quantiles


def _summaries_of_counts(
    counts: NDArray[np.int64],
    scale: NDArray[np.float64],
    sizes: NDArray[np.int64],
    t_quantiles: NDArray[np.float64],
) -> list[NumericSummary]:
    """``_summary`` of each row's ``counts[:, i]`` answers at ``scale[i]`` (ascending, distinct),
    quartiles by the "linear" method; the arithmetic of each row is that of one row alone."""
    rows = counts.shape[0]
    if rows == 0 or scale.size == 0:
        return [NumericSummary(0, None, None, None, None, None, None)] * rows
    counted = np.maximum(sizes, 1)
    means = np.sum(counts * scale, axis=1) / counted
    # numpy's "linear" quantiles: the order statistics around (n − 1)·q, interpolated
    # as numpy's _lerp does, so that the result is the same to the last bit.
    last = (counted - 1)[:, None]
    at = last * np.array([0.25, 0.5, 0.75])
    beyond = at >= last
    below = np.where(beyond, last, np.floor(at))
    above = np.where(beyond, last, np.floor(at) + 1)
    gamma = at - np.where(beyond, -1.0, np.floor(at))
    ends = np.cumsum(counts, axis=1)[:, None, :]
    # The value of order statistic j: the first point whose cumulative count exceeds j.
    top = scale.size - 1
    a = scale[np.minimum((ends <= below[:, :, None]).sum(axis=2), top)]
    b = scale[np.minimum((ends <= above[:, :, None]).sum(axis=2), top)]
    difference = b - a
    quartiles = a + difference * gamma
    np.subtract(b, difference * (1 - gamma), out=quartiles, where=gamma >= 0.5)
    deviations = scale[None, :] - means[:, None]
    squares = np.sum(counts * (deviations * deviations), axis=1)
    result: list[NumericSummary] = []
    for n, mean, (q1, median, q3), square, t_quantile in zip(
        sizes.tolist(),
        means.tolist(),
        quartiles.tolist(),
        squares.tolist(),
        t_quantiles.tolist(),
        strict=True,
    ):
        if n == 0:
            result.append(NumericSummary(0, None, None, None, None, None, None))
        elif n == 1:
            result.append(NumericSummary(1, mean, None, median, q1, q3, None))
        else:
            sd = math.sqrt(square / (n - 1))
            half = t_quantile * sd / math.sqrt(n)
            interval = Interval(mean - half, mean + half)
            result.append(NumericSummary(n, mean, sd, median, q1, q3, interval))
    return result
