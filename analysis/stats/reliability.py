"""Internal consistency of a Likert grid used as a scale: Cronbach's alpha with Feldt's CI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import f as f_distribution

from analysis.stats.results import Interval


@dataclass(frozen=True, slots=True)
class Reliability:
    """Cronbach's alpha over the complete cases, and Feldt's (1965) confidence interval.

    ``alpha`` and ``ci`` are None when they cannot be computed; ``warnings`` says why.
    ``n_dropped`` cases had at least one missing item (listwise deletion).
    """

    alpha: float | None
    ci: Interval | None
    n_cases: int
    n_items: int
    n_dropped: int
    warnings: tuple[str, ...] = ()


def cronbach_alpha(items: ArrayLike, level: float = 0.95) -> Reliability:
    """Alpha for a cases × items matrix (NaN marks a missing answer; such cases are dropped).

    alpha = k/(k−1)·(1 − Σ item variances / variance of the sum). Feldt's interval
    treats (1 − alpha)/(1 − true alpha) as F with n−1 and (n−1)(k−1) degrees of freedom.
    """
    matrix = np.asarray(items, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"items must be a cases × items matrix, got {matrix.ndim} dimensions")
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    n, k = complete.shape
    dropped = matrix.shape[0] - n

    def without(reason: str) -> Reliability:
        return Reliability(None, None, n, k, dropped, (reason,))

    if k < 2:
        return without("no alpha: a scale needs at least two items")
    if n < 2:
        return without("no alpha: fewer than two complete cases")
    total_variance = float(complete.sum(axis=1).var(ddof=1))
    if total_variance == 0.0:
        return without("no alpha: every complete case has the same total score")
    item_variance = float(complete.var(axis=0, ddof=1).sum())
    alpha = k / (k - 1) * (1.0 - item_variance / total_variance)
    tail = (1.0 - level) / 2.0
    df_cases, df_error = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * float(f_distribution.ppf(1.0 - tail, df_cases, df_error))
    high = 1.0 - (1.0 - alpha) * float(f_distribution.ppf(tail, df_cases, df_error))
    return Reliability(alpha, Interval(low, high), n, k, dropped)
