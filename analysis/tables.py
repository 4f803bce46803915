"""Comparative tables: one question by countries (or any single-choice grouping), plus a Total.

Counts come from ``groupby(...).size()`` on categorical columns, so every answer
and every group appears even where nobody chose it. User-missing answers ("don't
know", "not applicable") are rows of their own but outside the valid base: never
in a percentage, a median, a mean or a test. The test is chosen by the
question's kind (see docs/analysis.md, "Comparative tables"); the Total column
pools all groups unweighted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.frame import Frame
from analysis.stats import (
    KRUSKAL_WALLIS,
    Interval,
    TestResult,
    adjusted_residuals,
    benjamini_hochberg,
    categorical_test,
    compact_letters,
    dunn_holm,
    flag_residuals,
    holm,
    kruskal_wallis,
    likert_summary,
    mann_whitney,
    numeric_summary,
    wilson,
)
from analysis.table_model import (
    ABOVE,
    BELOW,
    LOW_BASE,
    TOTAL,
    OptionRow,
    Row,
    Summary,
    Table,
    frozen_map,
    suppress,
)
from analysis.variables import Kind, Variable, scores

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
ALPHA = 0.05  # letters are shown after a Kruskal-Wallis p below this
ANALYSABLE = (Kind.CATEGORICAL, Kind.LIKERT, Kind.MULTIPLE, Kind.NUMERIC)
Counts = NDArray[np.int64]


@dataclass(frozen=True)
class _Base:
    """The rows a table counts, their group, and what was left out (in words)."""

    data: pd.DataFrame
    group: pd.Series  # categorical: the groups present, in order
    groups: tuple[str, ...]
    labels: Mapping[str, str]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def build_table(
    frame: Frame,
    name: str,
    *,
    by: str = "country",
    language: str = "en",
    seed: int = SEED,
    filter: pd.Series | None = None,
) -> Table:
    """The table of one question by ``by`` (a meta column or a single-choice question).

    ``filter`` is a boolean Series aligned with ``frame.data``: only its True rows
    are counted. Rows without a (valid) group value are left out and counted in a
    warning. ``seed`` drives the Monte Carlo p when a chi-square is unreliable.
    """
    variable = frame.variable(name)
    if variable.kind not in ANALYSABLE:
        raise ValueError(f"{name} is a {variable.kind} question; it has no comparative table")
    if by == name:
        raise ValueError(f"{name} cannot be tabulated by itself")
    base = _base(frame, by, filter, language)
    groups = (*base.groups, TOTAL)
    parts: _Parts
    if variable.kind is Kind.MULTIPLE:
        parts = _multiple(base, variable, language, seed)
    elif variable.kind is Kind.NUMERIC:
        parts = _numeric(base, variable)
    else:
        parts = _single(base, variable, language, seed)
    low = tuple(group for group in groups if parts.n_valid[group] < LOW_BASE)
    warnings = list(base.warnings)
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
    )


def build_tables(
    frame: Frame,
    names: Sequence[str] | None = None,
    *,
    by: str = "country",
    language: str = "en",
    seed: int = SEED,
    filter: pd.Series | None = None,
) -> tuple[Table, ...]:
    """Tables of the given questions (default: every analysable one but ``by``), in frame
    order, with BH q-values across all their tests: one family, whose size each records."""
    if names is None:
        names = [v.name for v in frame.variables if v.kind in ANALYSABLE and v.name != by]
    tables = [
        build_table(frame, name, by=by, language=language, seed=seed, filter=filter)
        for name in names
    ]
    family = sum(1 for table in tables if table.p is not None)
    qs = benjamini_hochberg(table.p for table in tables)
    return tuple(replace(table, q=q, q_family=family) for table, q in zip(tables, qs, strict=True))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _base(frame: Frame, by: str, filter: pd.Series | None, language: str) -> _Base:
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
    kept = group[keep].cat.remove_unused_categories()
    groups = tuple(str(category) for category in kept.cat.categories)
    kept = kept.cat.rename_categories(list(groups))
    labels = {g: labels.get(g, g) for g in groups} | {TOTAL: TOTAL}
    return _Base(data[keep], kept, groups, frozen_map(labels), tuple(warnings), tuple(notes))


@dataclass(frozen=True)
class _Parts:
    n_valid: dict[str, int]
    n_base: dict[str, int]
    rows: tuple[Row, ...] = ()
    summary: Mapping[str, Summary] | None = None
    test: TestResult | None = None
    letters: Mapping[str, str] | None = None
    options: tuple[OptionRow, ...] = ()


def _per_group(groups: Sequence[str], values: Sequence[int] | NDArray[np.int64]) -> dict[str, int]:
    return {group: int(value) for group, value in zip(groups, values, strict=True)}


def _counts(group: pd.Series, answers: pd.Series) -> Counts:
    """Groups × answer categories; every category appears, empty answers are not counted."""
    sizes = (
        pd.DataFrame({"group": group, "answer": answers})
        .groupby(["group", "answer"], observed=False)
        .size()
    )
    shape = (len(group.cat.categories), len(answers.cat.categories))
    counts: Counts = sizes.to_numpy(dtype=np.int64).reshape(shape)
    return counts


def _shares(
    counts: Mapping[str, int], n_valid: Mapping[str, int], missing: bool
) -> tuple[Mapping[str, int | None], Mapping[str, float | None], Mapping[str, Interval | None]]:
    """Counts, column % of the valid N and Wilson CIs in percent (None for user-missing rows)."""
    percent: dict[str, float | None] = {}
    intervals: dict[str, Interval | None] = {}
    for group, count in counts.items():
        n = n_valid[group]
        interval = None if missing else wilson(count, n)
        percent[group] = None if missing or n == 0 else 100.0 * count / n
        intervals[group] = (
            None if interval is None else Interval(100.0 * interval.low, 100.0 * interval.high)
        )
    return frozen_map(dict(counts)), frozen_map(percent), frozen_map(intervals)


def _single(base: _Base, variable: Variable, language: str, seed: int) -> _Parts:
    """A select_one question: categorical (chi-square family) or Likert (rank tests)."""
    answers = base.data[variable.name]
    counts = _counts(base.group, answers)
    choices = list(variable.choices)
    kept = np.array([not choice.missing for choice in choices])
    groups = (*base.groups, TOTAL)
    every = np.vstack([counts, counts.sum(axis=0)])
    n_valid = _per_group(groups, every[:, kept].sum(axis=1))
    n_base = _per_group(groups, every.sum(axis=1))
    valid_table = counts[:, kept]
    test: TestResult | None
    flags: dict[str, dict[str, str]] = {}
    summary: dict[str, Summary] = {}
    letters: dict[str, str] = {}
    if variable.kind is Kind.CATEGORICAL:
        test = categorical_test(
            valid_table,
            seed,
            row_labels=list(base.groups),
            column_labels=list(variable.valid_choices),
        )
        if test.p is not None:
            flags = _flags(valid_table, base.groups, variable.valid_choices)
    else:
        points = scores(answers, variable)
        by_group = {g: points[(base.group == g).to_numpy()].to_numpy() for g in base.groups}
        test, letters = _rank_test(by_group, two_groups=True)
        summary = _likert_summaries(answers, variable, by_group)
    rows = tuple(
        Row(
            choice.name,
            variable.choice_label(choice.name, language),
            choice.missing,
            *_shares(_per_group(groups, every[:, at]), n_valid, choice.missing),
            frozen_map(flags.get(choice.name)),
        )
        for at, choice in enumerate(choices)
    )
    return _Parts(n_valid, n_base, rows, summary, test, letters)


def _flags(
    table: Counts, groups: Sequence[str], answers: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Per answer, the groups whose adjusted residual is beyond ±1.96: "+" or "−"."""
    residuals = adjusted_residuals(table)
    beyond = flag_residuals(residuals)
    flags: dict[str, dict[str, str]] = {}
    for i, group in enumerate(groups):
        for j, answer in enumerate(answers):
            if beyond[i, j]:
                flags.setdefault(answer, {})[group] = ABOVE if residuals[i, j] > 0 else BELOW
    return flags


def _rank_test(
    by_group: Mapping[str, NDArray[np.float64]], *, two_groups: bool
) -> tuple[TestResult, dict[str, str]]:
    """Kruskal-Wallis (Mann-Whitney for two groups when asked), and letters if significant."""
    if two_groups and len(by_group) == 2:
        first, second = by_group.values()
        return mann_whitney(first, second), {}
    test = kruskal_wallis(by_group)
    if test.name != KRUSKAL_WALLIS or test.p is None or test.p >= ALPHA:
        return test, {}
    # Letters for the groups that were tested; a group without values gets none.
    present = [g for g, values in by_group.items() if np.count_nonzero(~np.isnan(values))]
    pairs = dunn_holm({g: by_group[g] for g in present})
    return test, compact_letters(present, pairs.adjusted_p())


def _likert_summaries(
    answers: pd.Series, variable: Variable, by_group: Mapping[str, NDArray[np.float64]]
) -> dict[str, Summary]:
    every_point = pd.Series(pd.Categorical(list(answers.cat.categories), dtype=answers.dtype))
    points = sorted(int(point) for point in scores(every_point, variable).dropna())
    top = points[-2:]
    pooled = np.concatenate([*by_group.values(), np.array([], dtype=np.float64)])
    result: dict[str, Summary] = {}
    for group, values in (*by_group.items(), (TOTAL, pooled)):
        likert = likert_summary(values, top=top, points=points)
        s = likert.summary
        ci = likert.top_box_ci
        result[group] = Summary(
            s.n,
            s.mean,
            s.sd,
            s.median,
            s.q1,
            s.q3,
            s.mean_ci,
            tuple(top),
            likert.top_box_n,
            None if likert.top_box is None else 100.0 * likert.top_box,
            None if ci is None else Interval(100.0 * ci.low, 100.0 * ci.high),
        )
    return result


def _numeric(base: _Base, variable: Variable) -> _Parts:
    values = base.data[variable.name].to_numpy(dtype="float64", na_value=np.nan)
    by_group = {g: values[(base.group == g).to_numpy()] for g in base.groups}
    summary: dict[str, Summary] = {}
    for group, observed in (*by_group.items(), (TOTAL, values)):
        s = numeric_summary(observed)
        summary[group] = Summary(s.n, s.mean, s.sd, s.median, s.q1, s.q3, s.mean_ci)
    n = {group: s.n for group, s in summary.items()}
    test, letters = _rank_test(by_group, two_groups=False)
    return _Parts(n, dict(n), (), summary, test, letters)


def _multiple(base: _Base, variable: Variable, language: str, seed: int) -> _Parts:
    """A select_multiple question: one 2×k test per option, Holm within the question.

    The base is the respondents who answered the question; a respondent who picked
    only user-missing options is in the base N but not the valid N.
    """
    columns = base.data[list(variable.columns)]
    answered = columns.notna().any(axis=1).to_numpy()
    picks = columns.fillna(0).to_numpy(dtype=np.int64)
    kept = np.array([not choice.missing for choice in variable.choices])
    valid_answer = answered & (picks[:, kept].sum(axis=1) > 0)
    codes = base.group.cat.codes.to_numpy()
    groups = (*base.groups, TOTAL)
    size = len(base.groups)

    def per_group(weights: NDArray[np.int64] | NDArray[np.bool_]) -> NDArray[np.int64]:
        counts = np.bincount(codes, weights=weights, minlength=size).astype(np.int64)
        return np.append(counts, counts.sum())

    n_base = _per_group(groups, per_group(answered))
    valid_n = per_group(valid_answer)
    n_valid = _per_group(groups, valid_n)
    rows: list[OptionRow] = []
    for at, choice in enumerate(variable.choices):
        picked = per_group(picks[:, at])
        test = None
        if kept[at]:
            # Among the valid base: picked, and answered without picking it.
            table = np.column_stack([picked[:size], valid_n[:size] - picked[:size]])
            test = categorical_test(
                table, seed, row_labels=list(base.groups), column_labels=["picked", "not picked"]
            )
        label = variable.choice_label(choice.name, language)
        shares = _shares(_per_group(groups, picked), n_valid, choice.missing)
        rows.append(OptionRow(choice.name, label, choice.missing, *shares, test=test))
    adjusted = holm(row.test.p if row.test is not None else None for row in rows)
    options = tuple(replace(row, p_holm=p) for row, p in zip(rows, adjusted, strict=True))
    return _Parts(n_valid, n_base, options, None, None, None, options)
