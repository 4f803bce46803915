"""Likert grids as scales: Cronbach's alpha with Feldt's CI, pooled and per group.

A **grid** is a run of consecutive Likert questions (in frame order, which is
the form's order) in the same questionnaire group (the innermost one, such as
a ``table-list`` group) that share the same choice list (the same choices, in
the same order, with the same labels and user-missing marks). Questions
outside any group never form a grid; any other question between two items
ends the run. A grid becomes a :class:`Scale` when it has at least
:data:`MIN_ITEMS` items: with two items alpha is a rescaled correlation and
"alpha if item deleted" does not exist.

Alpha is computed on **complete cases** only: respondents of the report's base
(the filter, and a valid value of the grouping) with a valid answer to every
item; "don't know", "not applicable" and blanks leave a respondent out
(listwise deletion), never become a scale point. Items are scored as in the
tables (:func:`analysis.variables.scores`). "Alpha if item deleted" uses the
same complete cases. Per group (country), alpha is shown only where the group
has at least :data:`MIN_GROUP_N` complete cases. Alpha is unweighted, also in
weighted reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.frame import Frame
from analysis.stats import Interval, cronbach_alpha
from analysis.table_model import LOW_BASE
from analysis.variables import Kind, Variable, scores

MIN_ITEMS = 3  # a grid with fewer items is not reported as a scale
MIN_GROUP_N = LOW_BASE  # complete cases a group needs for its own alpha


@dataclass(frozen=True)
class GroupAlpha:
    """Alpha of one group's complete cases; None (with its CI) below the minimum n."""

    group: str
    label: str
    n: int  # complete cases in the group
    alpha: float | None
    ci: Interval | None


@dataclass(frozen=True)
class ItemDeleted:
    """Alpha of the other items on the same complete cases ("alpha if item deleted")."""

    item: str
    label: str
    alpha: float | None


@dataclass(frozen=True)
class Scale:
    """One Likert grid as a scale: pooled alpha with Feldt's 95% CI, per group, per item.

    ``n`` counts complete cases (every item answered with a valid code), ``n_incomplete``
    the respondents with some valid answers but not all (left out). ``warnings`` say in
    words why a number is missing.
    """

    name: str  # the questionnaire group
    label: str
    items: tuple[str, ...]
    item_labels: tuple[str, ...]
    n: int
    n_incomplete: int
    alpha: float | None
    ci: Interval | None
    groups: tuple[GroupAlpha, ...]
    if_deleted: tuple[ItemDeleted, ...]
    warnings: tuple[str, ...] = ()
    min_group_n: int = MIN_GROUP_N  # complete cases a group needed for its own alpha


def _same_list(first: Variable, second: Variable) -> bool:
    return first.choices == second.choices


def grids(frame: Frame, min_items: int = MIN_ITEMS) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The frame's grids with at least ``min_items`` items: (group, item names), in order."""
    runs: list[list[Variable]] = []
    for variable in frame.variables:
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and variable.kind is Kind.LIKERT
            and previous.kind is Kind.LIKERT
            and variable.group is not None
            and variable.group == previous.group
            and _same_list(variable, previous)
        ):
            runs[-1].append(variable)
        else:
            runs.append([variable])
    return tuple(
        (str(run[0].group), tuple(v.name for v in run))
        for run in runs
        if len(run) >= min_items and run[0].kind is Kind.LIKERT and run[0].group is not None
    )


def _grouping(frame: Frame, by: str, language: str) -> tuple[pd.Series, dict[str, str]]:
    """Each response's group (NaN when it has no valid one) and the groups' labels."""
    if by in {variable.name for variable in frame.variables}:
        variable = frame.variable(by)
        labels = {c.name: variable.choice_label(c.name, language) for c in variable.choices}
        return frame.valid(by), labels
    if by in frame.meta:
        return frame.data[frame.meta[by]], {}
    raise KeyError(f"{by} is neither a question nor a column about the response")


def build_scales(
    frame: Frame,
    *,
    by: str = "country",
    language: str = "en",
    filter: pd.Series | None = None,
    labels: Mapping[str, str] | None = None,
    min_n: int = MIN_GROUP_N,
) -> tuple[Scale, ...]:
    """Every grid of ``frame`` as a scale, over the rows ``filter`` keeps (a boolean Series
    aligned with ``frame.data``) that have a valid value of ``by``. ``labels`` names the
    grids (questionnaire group → label); without it a scale's label is its group's name."""
    group, group_labels = _grouping(frame, by, language)
    keep = group.notna()
    if filter is not None:
        keep &= filter.reindex(frame.data.index).fillna(False).astype(bool)
    kept = group[keep]
    order = (
        [str(c) for c in kept.cat.remove_unused_categories().cat.categories]
        if isinstance(kept.dtype, pd.CategoricalDtype)
        else sorted({str(v) for v in kept})
    )
    codes = kept.astype("object").map(str).to_numpy()
    result = []
    for name, items in grids(frame):
        variables = [frame.variable(item) for item in items]
        matrix = np.column_stack(
            [
                scores(frame.data[item], variable)[keep].to_numpy(dtype="float64")
                for item, variable in zip(items, variables, strict=True)
            ]
        )
        result.append(
            _scale(
                name,
                (labels or {}).get(name) or name,
                items,
                tuple(v.label(language) for v in variables),
                matrix,
                codes,
                [(g, group_labels.get(g, g)) for g in order],
                min_n,
            )
        )
    return tuple(result)


def _scale(
    name: str,
    label: str,
    items: tuple[str, ...],
    item_labels: tuple[str, ...],
    matrix: NDArray[np.float64],
    codes: NDArray[np.object_],
    groups: Sequence[tuple[str, str]],
    min_n: int,
) -> Scale:
    answered = ~np.isnan(matrix)
    complete = answered.all(axis=1)
    incomplete = int((answered.any(axis=1) & ~complete).sum())
    pooled = cronbach_alpha(matrix[complete])
    warnings = list(pooled.warnings)
    if pooled.alpha is not None and pooled.n_cases < min_n:
        warnings.append(f"alpha rests on {pooled.n_cases} complete cases (fewer than {min_n})")
    per_group = []
    small = []
    for group, group_label in groups:
        rows = complete & (codes == group)
        n = int(rows.sum())
        if n < min_n:
            per_group.append(GroupAlpha(group, group_label, n, None, None))
            small.append(f"{group_label} ({n})")
            continue
        result = cronbach_alpha(matrix[rows])
        per_group.append(GroupAlpha(group, group_label, n, result.alpha, result.ci))
        warnings.extend(f"{group_label}: {w}" for w in result.warnings)
    if small:
        warnings.append(
            f"no alpha for groups with fewer than {min_n} complete cases: {', '.join(small)}"
        )
    if_deleted = tuple(
        ItemDeleted(
            item,
            item_label,
            cronbach_alpha(np.delete(matrix[complete], at, axis=1)).alpha,
        )
        for at, (item, item_label) in enumerate(zip(items, item_labels, strict=True))
    )
    return Scale(
        name=name,
        label=label,
        items=items,
        item_labels=item_labels,
        n=int(complete.sum()),
        n_incomplete=incomplete,
        alpha=pooled.alpha,
        ci=pooled.ci,
        groups=tuple(per_group),
        if_deleted=if_deleted,
        warnings=tuple(_sentence(w) for w in warnings),
        min_group_n=min_n,
    )


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


__all__ = [
    "MIN_GROUP_N",
    "MIN_ITEMS",
    "GroupAlpha",
    "ItemDeleted",
    "Scale",
    "build_scales",
    "grids",
]
