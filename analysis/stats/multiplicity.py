"""Adjusting p-values for a family of tests: Holm (FWER) and Benjamini-Hochberg (FDR).

Holm controls the chance of any false positive within a small family (the options
of one select-multiple question, the pairs of a post-hoc test). BH q-values serve
the report's large family of tables, where controlling the false discovery rate
keeps power. Both take p-values in the family's order and give adjusted values in
the same order; a None or NaN (a table that had no test) passes through unchanged
and does not count towards the family size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray


def _family(
    pvalues: Iterable[float | None],
) -> tuple[list[float | None], NDArray[np.intp], NDArray[np.float64]]:
    given = list(pvalues)
    tested = np.array(
        [index for index, p in enumerate(given) if p is not None and not math.isnan(p)],
        dtype=np.intp,
    )
    family = np.array([given[index] for index in tested], dtype=np.float64)
    if np.any((family < 0.0) | (family > 1.0)):
        raise ValueError("p-values must lie between 0 and 1")
    return given, tested, family


def _placed(
    given: list[float | None], tested: NDArray[np.intp], adjusted: NDArray[np.float64]
) -> tuple[float | None, ...]:
    result = list(given)
    for index, value in zip(tested, adjusted, strict=True):
        result[index] = float(value)
    return tuple(result)


def holm(pvalues: Iterable[float | None]) -> tuple[float | None, ...]:
    """Holm step-down adjusted p-values: max over smaller p of (m − rank + 1)·p, capped at 1."""
    given, tested, family = _family(pvalues)
    m = family.size
    order = np.argsort(family, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * family[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return _placed(given, tested, adjusted)


def benjamini_hochberg(pvalues: Iterable[float | None]) -> tuple[float | None, ...]:
    """BH q-values: min over larger p of m·p / rank, capped at 1 (monotone in p)."""
    given, tested, family = _family(pvalues)
    m = family.size
    order = np.argsort(family, kind="stable")
    # p · (m / rank) rather than m · p / rank: the factor rounds to at least 1 and at most
    # Holm's, so q ≥ p and q ≤ Holm hold exactly in floating point, not just on paper.
    scaled = family[order] * (m / np.arange(1, m + 1))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return _placed(given, tested, adjusted)
