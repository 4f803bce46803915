"""Confidence intervals for one proportion k/n.

Wilson is the interval the tables show (it keeps good coverage at small n and
near 0 or 1, where the Wald interval fails). Clopper-Pearson and Jeffreys are
here as cross-checks a reviewer may ask for.

Every function returns None when n == 0: there is no proportion to bound, and a
caller that renders "–" for None needs no special case. At k == 0 the lower bound
is exactly 0 and at k == n the upper bound is exactly 1.
"""

from __future__ import annotations

import math
import operator
from functools import lru_cache
from statistics import NormalDist
from typing import SupportsIndex

from scipy.stats import beta

from analysis.stats.results import Interval


def _checked(k: SupportsIndex, n: SupportsIndex, level: float) -> tuple[int, int]:
    successes, trials = operator.index(k), operator.index(n)
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= k <= n, got k={successes}, n={trials}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return successes, trials


@lru_cache(maxsize=16)
def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def wilson(k: SupportsIndex, n: SupportsIndex, level: float = 0.95) -> Interval | None:
    """Wilson score interval for k successes out of n (None when n == 0)."""
    successes, trials = _checked(k, n, level)
    if trials == 0:
        return None
    z = _z(level)
    z2 = z * z
    centre = (successes + z2 / 2.0) / (trials + z2)
    half = z / (trials + z2) * math.sqrt(successes * (trials - successes) / trials + z2 / 4.0)
    # At k = 0 or k = n the algebra gives exactly 0 or 1; rounding must not move it.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(low, high)


def clopper_pearson(k: SupportsIndex, n: SupportsIndex, level: float = 0.95) -> Interval | None:
    """Clopper-Pearson ("exact") interval from beta quantiles (None when n == 0)."""
    successes, trials = _checked(k, n, level)
    if trials == 0:
        return None
    tail = (1.0 - level) / 2.0
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, trials - successes + 1))
    high = (
        1.0
        if successes == trials
        else float(beta.ppf(1.0 - tail, successes + 1, trials - successes))
    )
    return Interval(low, high)


def jeffreys(k: SupportsIndex, n: SupportsIndex, level: float = 0.95) -> Interval | None:
    """Jeffreys interval: equal-tailed Beta(k+½, n−k+½) quantiles (None when n == 0).

    As recommended by Brown, Cai & DasGupta (2001), the lower bound is 0 at k = 0
    and the upper bound is 1 at k = n.
    """
    successes, trials = _checked(k, n, level)
    if trials == 0:
        return None
    tail = (1.0 - level) / 2.0
    a, b = successes + 0.5, trials - successes + 0.5
    low = 0.0 if successes == 0 else float(beta.ppf(tail, a, b))
    high = 1.0 if successes == trials else float(beta.ppf(1.0 - tail, a, b))
    return Interval(low, high)
