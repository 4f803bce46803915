"""Groups of observations as the rank tests take them: named, cleaned, non-empty."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

Groups = Mapping[str, ArrayLike] | Sequence[ArrayLike]


def values(observations: ArrayLike) -> NDArray[np.float64]:
    """A flat float array without NaN: system-missing values are not observations."""
    array = np.asarray(observations, dtype=np.float64).ravel()
    return array[~np.isnan(array)]


def named_groups(groups: Groups) -> list[tuple[str, NDArray[np.float64]]]:
    """Each group with its name: the mapping's key, or its 1-based position in a sequence."""
    if isinstance(groups, Mapping):
        return [(str(name), values(group)) for name, group in groups.items()]
    return [(str(position), values(group)) for position, group in enumerate(groups, start=1)]


def split_empty(
    named: list[tuple[str, NDArray[np.float64]]],
) -> tuple[list[tuple[str, NDArray[np.float64]]], tuple[str, ...]]:
    """The non-empty groups, and a warning naming the empty ones if there are any."""
    kept = [(name, group) for name, group in named if group.size > 0]
    empty = [name for name, group in named if group.size == 0]
    if not empty:
        return kept, ()
    word = "group" if len(empty) == 1 else "groups"
    return kept, (f"dropped {len(empty)} empty {word} before testing ({', '.join(empty)})",)
