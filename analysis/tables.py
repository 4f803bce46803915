"""Comparative tables: one question by countries (or any single-choice grouping), plus a Total.

Counts come from ``groupby(...).size()`` on categorical columns, so every answer
and every group appears even where nobody chose it. User-missing answers ("don't
know", "not applicable") are rows of their own but outside the valid base: never
in a percentage, a median, a mean or a test. The test is chosen by the
question's kind (see docs/analysis.md, "Comparative tables"); the Total column
pools all groups unweighted.

With ``weights`` (:func:`analysis.weights.post_stratify`), percentages are
weighted (Total under the weights' pooling rule), CIs are Wilson's on Kish's
effective n, counts and N stay unweighted, and a categorical or select-multiple
test is the first-order Rao-Scott chi-square. Likert medians, means and rank
tests and numeric summaries stay unweighted, and a table warning says so.
Respondents without a weight are left out of weighted tables.
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
    UNWEIGHTED,
    OptionRow,
    Row,
    Summary,
    Table,
    frozen_map,
    suppress,
)
from analysis.variables import Kind, Variable, VariableChoice, scores
from analysis.weights import (
    Weights,
    kish_design_effect,
    kish_effective_n,
    rao_scott,
    weighted_percent,
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
    weights: NDArray[np.float64] | None = None  # aligned with data; all finite and positive


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
    variable = frame.variable(name)
    if variable.kind not in ANALYSABLE:
        raise ValueError(f"{name} is a {variable.kind} question; it has no comparative table")
    if by == name:
        raise ValueError(f"{name} cannot be tabulated by itself")
    base = _base(frame, by, filter, language, weights)
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
    tables = [
        build_table(
            frame, name, by=by, language=language, seed=seed, filter=filter, weights=weights
        )
        for name in names
    ]
    family = sum(1 for table in tables if table.p is not None)
    qs = benjamini_hochberg(table.p for table in tables)
    return tuple(replace(table, q=q, q_family=family) for table, q in zip(tables, qs, strict=True))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _base(
    frame: Frame, by: str, filter: pd.Series | None, language: str, weights: Weights | None
) -> _Base:
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
    return _Base(
        data[keep], kept, groups, frozen_map(labels), tuple(warnings), tuple(notes), values
    )


@dataclass(frozen=True)
class _Parts:
    n_valid: dict[str, int]
    n_base: dict[str, int]
    rows: tuple[Row, ...] = ()
    summary: Mapping[str, Summary] | None = None
    test: TestResult | None = None
    letters: Mapping[str, str] | None = None
    options: tuple[OptionRow, ...] = ()
    effective_n: dict[str, float] | None = None


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


def _weighted_shares(
    chosen: NDArray[np.bool_],
    valid: NDArray[np.bool_],
    weights: NDArray[np.float64],
    codes: NDArray[np.integer],
    groups: Sequence[str],
) -> tuple[Mapping[str, float | None], Mapping[str, Interval | None]]:
    """Weighted % of ``chosen`` among ``valid`` per group and Total, with Wilson CIs on n_eff."""
    answers = pd.Series(np.where(valid, np.where(chosen, "chosen", "other"), ""), dtype=object)
    percent: dict[str, float | None] = {}
    intervals: dict[str, Interval | None] = {}
    selections = [codes == at for at in range(len(groups) - 1)] + [np.ones(len(codes), bool)]
    for group, rows in zip(groups, selections, strict=True):
        share = weighted_percent(
            answers[rows].reset_index(drop=True), weights[rows], ["chosen", "other"]
        )["chosen"]
        percent[group] = share.percent
        intervals[group] = share.ci
    return frozen_map(percent), frozen_map(intervals)


def _effective_n(
    valid: NDArray[np.bool_],
    weights: NDArray[np.float64],
    codes: NDArray[np.integer],
    groups: Sequence[str],
) -> dict[str, float]:
    """Kish's n_eff of the valid base per group and Total."""
    result = {
        g: kish_effective_n(weights[valid & (codes == at)]) for at, g in enumerate(groups[:-1])
    }
    return result | {TOTAL: kish_effective_n(weights[valid])}


def _weighted_table(
    codes: NDArray[np.integer],
    columns: NDArray[np.integer],
    weights: NDArray[np.float64],
    shape: tuple[int, int],
) -> NDArray[np.float64]:
    """Sums of weights per (group, column); a negative column code is not counted."""
    table = np.zeros(shape, dtype=np.float64)
    counted = (codes >= 0) & (columns >= 0)
    np.add.at(table, (codes[counted], columns[counted]), weights[counted])
    return table


def _weighted_flags(
    weighted: NDArray[np.float64],
    n: int,
    design_effect: float,
    groups: Sequence[str],
    answers: Sequence[str],
) -> dict[str, dict[str, str]]:
    """Flags from adjusted residuals of the weighted table rescaled to n, over √(design effect)."""
    total = float(weighted.sum())
    if total <= 0:
        return {}
    scaled = weighted / total * n
    row_share = scaled.sum(axis=1) / n
    column_share = scaled.sum(axis=0) / n
    expected = np.outer(row_share, column_share) * n
    variance = expected * np.outer(1.0 - row_share, 1.0 - column_share) * design_effect
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = np.where(variance > 0, (scaled - expected) / np.sqrt(variance), np.nan)
    beyond = flag_residuals(residuals)
    flags: dict[str, dict[str, str]] = {}
    for i, group in enumerate(groups):
        for j, answer in enumerate(answers):
            if beyond[i, j]:
                flags.setdefault(answer, {})[group] = ABOVE if residuals[i, j] > 0 else BELOW
    return flags


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
    w = base.weights
    codes = base.group.cat.codes.to_numpy()
    answer_codes = answers.cat.codes.to_numpy()
    valid = (answer_codes >= 0) & kept[np.maximum(answer_codes, 0)]
    if variable.kind is Kind.CATEGORICAL and w is not None:
        weighted = _weighted_table(codes, answer_codes, w, counts.shape)[:, kept]
        n, design_effect = int(valid_table.sum()), kish_design_effect(w[valid])
        test = rao_scott(weighted, n, design_effect)
        if test.p is not None:
            flags = _weighted_flags(weighted, n, design_effect, base.groups, variable.valid_choices)
    elif variable.kind is Kind.CATEGORICAL:
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
        if w is not None:
            top = next(iter(summary.values())).top
            in_top = np.isin(points.to_numpy(dtype="float64", na_value=np.nan), top)
            percent, ci = _weighted_shares(in_top, valid, w, codes, groups)
            summary = {
                g: replace(s, top_box=percent[g], top_box_ci=ci[g]) if s.n else s
                for g, s in summary.items()
            }

    def row(at: int, choice: VariableChoice) -> Row:
        counts, percent, ci = _shares(_per_group(groups, every[:, at]), n_valid, choice.missing)
        if w is not None and not choice.missing:
            percent, ci = _weighted_shares(answer_codes == at, valid, w, codes, groups)
        label = variable.choice_label(choice.name, language)
        return Row(
            choice.name,
            label,
            choice.missing,
            counts,
            percent,
            ci,
            frozen_map(flags.get(choice.name)),
        )

    rows = tuple(row(at, choice) for at, choice in enumerate(choices))
    effective = None if w is None else _effective_n(valid, w, codes, groups)
    return _Parts(n_valid, n_base, rows, summary, test, letters, effective_n=effective)


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
    effective = None
    if base.weights is not None:
        codes = base.group.cat.codes.to_numpy()
        effective = _effective_n(~np.isnan(values), base.weights, codes, (*base.groups, TOTAL))
    return _Parts(n, dict(n), (), summary, test, letters, effective_n=effective)


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
    w = base.weights
    design_effect = 1.0 if w is None else kish_design_effect(w[valid_answer])
    rows: list[OptionRow] = []
    for at, choice in enumerate(variable.choices):
        picked = per_group(picks[:, at])
        chosen = valid_answer & (picks[:, at] > 0)
        test = None
        if kept[at] and w is not None:
            # Sums of weights among the valid base: picked, and answered without picking it.
            table_w = np.column_stack(
                [
                    np.bincount(codes[chosen], weights=w[chosen], minlength=size),
                    np.bincount(
                        codes[valid_answer & ~chosen],
                        weights=w[valid_answer & ~chosen],
                        minlength=size,
                    ),
                ]
            )
            test = rao_scott(table_w, int(valid_n[:size].sum()), design_effect)
        elif kept[at]:
            # Among the valid base: picked, and answered without picking it.
            table = np.column_stack([picked[:size], valid_n[:size] - picked[:size]])
            test = categorical_test(
                table, seed, row_labels=list(base.groups), column_labels=["picked", "not picked"]
            )
        label = variable.choice_label(choice.name, language)
        counts, percent, ci = _shares(_per_group(groups, picked), n_valid, choice.missing)
        if w is not None and kept[at]:
            percent, ci = _weighted_shares(chosen, valid_answer, w, codes, groups)
        rows.append(OptionRow(choice.name, label, choice.missing, counts, percent, ci, test=test))
    adjusted = holm(row.test.p if row.test is not None else None for row in rows)
    options = tuple(replace(row, p_holm=p) for row, p in zip(rows, adjusted, strict=True))
    effective = None if w is None else _effective_n(valid_answer, w, codes, groups)
    return _Parts(n_valid, n_base, options, None, None, None, options, effective)
