"""Comparative tables: one question by countries (or any single-choice grouping), plus a Total.

Counts come from one ``np.bincount`` of the categorical columns' group × answer
codes, so every answer and every group appears even where nobody chose it.
User-missing answers ("don't know", "not applicable") are rows of their own but
outside the valid base: never in a percentage, a median, a mean or a test. The
test is chosen by the question's kind (see docs/analysis.md, "Comparative tables");
the Total column pools all groups unweighted.

With ``weights`` (:func:`analysis.weights.post_stratify`), percentages are
weighted (Total under the weights' pooling rule), CIs are Wilson's on Kish's
effective n, counts and N stay unweighted, and a categorical or select-multiple
test is the first-order Rao-Scott chi-square. Likert medians, means and rank
tests and numeric summaries stay unweighted, and a table warning says so.
Respondents without a weight are left out of weighted tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.frame import Frame
from analysis.stats import (
    benjamini_hochberg,
)
from analysis.table_cells import TableBase, TableParts
from analysis.table_kinds import multiple_parts, numeric_parts, single_parts
from analysis.table_model import (
    LOW_BASE,
    TOTAL,
    UNWEIGHTED,
    OptionRow,
    Row,
    Summary,
    Table,
    frozen_map,
    suppress,
)
from analysis.variables import Kind, Variable
from analysis.weights import (
    Weights,
)

__all__ = [
    "TOTAL",
    "OptionRow",
    "Row",
    "Summary",
    "Table",
    "build_table",
    "build_tables",
    "suppress",
]

SEED = 20261128
ANALYSABLE = (Kind.CATEGORICAL, Kind.LIKERT, Kind.MULTIPLE, Kind.NUMERIC)


def build_table(
    frame: Frame,
    name: str,
    *,
    by: str = "country",
    language: str = "en",
    seed: int = SEED,
    filter: pd.Series | None = None,
    weights: Weights | None = None,
) -> Table:
    """The table of one question by ``by`` (a meta column or a single-choice question).

    ``filter`` is a boolean Series aligned with ``frame.data``: only its True rows
    are counted. Rows without a (valid) group value are left out and counted in a
    warning. ``seed`` drives the Monte Carlo p when a chi-square is unreliable.
    ``weights`` (aligned by index) makes the table weighted (see the module notes).
    """
    variable = _analysable(frame, name, by)
    base = _base(frame, by, filter, language, weights)
    return _table(base, variable, by, language, seed, weights)


def _analysable(frame: Frame, name: str, by: str) -> Variable:
    variable = frame.variable(name)
    if variable.kind not in ANALYSABLE:
        raise ValueError(f"{name} is a {variable.kind} question; it has no comparative table")
    if by == name:
        raise ValueError(f"{name} cannot be tabulated by itself")
    return variable


def _table(
    base: TableBase,
    variable: Variable,
    by: str,
    language: str,
    seed: int,
    weights: Weights | None,
) -> Table:
    """The table of one question on a base (the rows, groups and weights every table shares)."""
    name = variable.name
    groups = (*base.groups, TOTAL)
    parts: TableParts
    if variable.kind is Kind.MULTIPLE:
        parts = multiple_parts(base, variable, language, seed)
    elif variable.kind is Kind.NUMERIC:
        parts = numeric_parts(base, variable)
    else:
        parts = single_parts(base, variable, language, seed)
    low = tuple(group for group in groups if parts.n_valid[group] < LOW_BASE)
    warnings = list(base.warnings)
    if weights is not None and variable.kind is Kind.LIKERT:
        warnings.append(
            "Percentages and the top-2-box share are weighted; the median, mean and rank "
            "tests are unweighted."
        )
    elif weights is not None and variable.kind is Kind.NUMERIC:
        warnings.append("Weights are not applied: the summaries and rank tests are unweighted.")
    if low:
        listed = ", ".join(f"{base.labels[g]} ({parts.n_valid[g]})" for g in low)
        warnings.append(f"Valid N below {LOW_BASE} (low base): {listed}.")
    if parts.test is not None:
        warnings.extend(_sentence(w) for w in parts.test.warnings)
    for option in parts.options:
        if option.test is not None:
            warnings.extend(f"{option.label}: {_sentence(w)}" for w in option.test.warnings)
    return Table(
        question=name,
        label=variable.label(language),
        kind=str(variable.kind),
        by=by,
        groups=groups,
        group_labels=base.labels,
        n_valid=frozen_map(parts.n_valid),
        n_base=frozen_map(parts.n_base),
        rows=parts.rows,
        summary=frozen_map(parts.summary),
        test=parts.test,
        letters=frozen_map(parts.letters),
        low_base=low,
        options=parts.options,
        warnings=tuple(warnings),
        notes=base.notes,
        weighting=UNWEIGHTED if weights is None else weights.label,
        effective_n=None if parts.effective_n is None else frozen_map(parts.effective_n),
    )


def build_tables(
    frame: Frame,
    names: Sequence[str] | None = None,
    *,
    by: str = "country",
    language: str = "en",
    seed: int = SEED,
    filter: pd.Series | None = None,
    weights: Weights | None = None,
) -> tuple[Table, ...]:
    """Tables of the given questions (default: every analysable one but ``by``), in frame
    order, with BH q-values across all their tests: one family, whose size each records."""
    if names is None:
        names = [v.name for v in frame.variables if v.kind in ANALYSABLE and v.name != by]
    # The base (rows kept, their groups and weights) is the same for every table: made once,
    # after the first question is known to be analysable, as build_table would.
    tables: list[Table] = []
    base: TableBase | None = None
    for name in names:
        variable = _analysable(frame, name, by)
        if base is None:
            base = _base(frame, by, filter, language, weights)
        tables.append(_table(base, variable, by, language, seed, weights))
    family = sum(1 for table in tables if table.p is not None)
    qs = benjamini_hochberg(table.p for table in tables)
    return tuple(replace(table, q=q, q_family=family) for table, q in zip(tables, qs, strict=True))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _base(
    frame: Frame, by: str, filter: pd.Series | None, language: str, weights: Weights | None
) -> TableBase:
    data = frame.data
    names = {variable.name for variable in frame.variables}
    labels: dict[str, str] = {}
    if by in names:
        variable = frame.variable(by)
        if variable.kind not in (Kind.CATEGORICAL, Kind.LIKERT):
            raise ValueError(f"tables can be split by a single-choice question; {by} is not one")
        group = frame.valid(by)
        labels = {c.name: variable.choice_label(c.name, language) for c in variable.choices}
    elif by in frame.meta:
        group = data[frame.meta[by]]
        if not isinstance(group.dtype, pd.CategoricalDtype):
            group = group.astype("category")
    else:
        raise KeyError(f"{by} is neither a question nor a column about the response")
    keep = pd.Series(True, index=data.index)
    notes: list[str] = []
    if filter is not None:
        if not filter.index.equals(data.index):
            raise ValueError("the filter must be aligned with the frame's rows")
        keep = filter.fillna(False).astype(bool)
        notes.append(f"Only the {int(keep.sum())} of {len(data)} responses that meet the filter.")
    warnings: list[str] = []
    lost = int((keep & group.isna()).sum())
    if lost:
        responses = "response" if lost == 1 else "responses"
        warnings.append(f"{lost} {responses} without a valid value of {by} left out.")
    keep &= group.notna()
    if weights is not None:
        aligned = weights.values.reindex(data.index).astype("float64")
        usable = aligned.notna() & np.isfinite(aligned) & (aligned > 0)
        unweighted = int((keep & ~usable).sum())
        if unweighted:
            responses = "response" if unweighted == 1 else "responses"
            warnings.append(
                f"{unweighted} {responses} without a weight (a country the population file "
                "does not list, or no country) left out of this weighted table."
            )
        keep &= usable
    kept = group[keep].cat.remove_unused_categories()
    groups = tuple(str(category) for category in kept.cat.categories)
    kept = kept.cat.rename_categories(list(groups))
    labels = {g: labels.get(g, g) for g in groups} | {TOTAL: TOTAL}
    values = None if weights is None else aligned[keep].to_numpy(dtype="float64")
    rows = data if bool(keep.all()) else data[keep]  # read only: no copy when all are kept
    return TableBase(rows, kept, groups, frozen_map(labels), tuple(warnings), tuple(notes), values)
