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
