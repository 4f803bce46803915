"""A comparative table's rows, summaries and tests, by kind of question.

Choice and Likert questions (select_one), numeric questions and select-multiple
questions each get their own builder; :func:`analysis.tables.build_table` picks one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.stats import (
    KRUSKAL_WALLIS,
    Interval,
    TestResult,
    categorical_test,
    compact_letters,
    dunn_holm,
    holm,
    kruskal_wallis,
    likert_summary,
    mann_whitney,
    numeric_summary,
)
from analysis.table_cells import (
    TableBase,
    TableParts,
    counts_by_group,
    cross_counts,
    effective_n,
    residual_flags,
    shares,
    weighted_flags,
    weighted_shares,
    weighted_table,
)
from analysis.table_model import (
    TOTAL,
    OptionRow,
    Row,
    Summary,
    frozen_map,
)
from analysis.variables import Kind, Variable, VariableChoice, scores
from analysis.weights import (
    kish_design_effect,
    rao_scott,
)

ALPHA = 0.05  # letters are shown after a Kruskal-Wallis p below this


def single_parts(base: TableBase, variable: Variable, language: str, seed: int) -> TableParts:
    """A select_one question: categorical (chi-square family) or Likert (rank tests)."""
    answers = base.data[variable.name]
    counts = cross_counts(base.group, answers)
    choices = list(variable.choices)
    kept = np.array([not choice.missing for choice in choices])
    groups = (*base.groups, TOTAL)
    every = np.vstack([counts, counts.sum(axis=0)])
    n_valid = counts_by_group(groups, every[:, kept].sum(axis=1))
    n_base = counts_by_group(groups, every.sum(axis=1))
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
        weighted = weighted_table(codes, answer_codes, w, counts.shape)[:, kept]
        n, design_effect = int(valid_table.sum()), kish_design_effect(w[valid])
        test = rao_scott(weighted, n, design_effect)
        if test.p is not None:
            flags = weighted_flags(weighted, n, design_effect, base.groups, variable.valid_choices)
    elif variable.kind is Kind.CATEGORICAL:
        test = categorical_test(
            valid_table,
            seed,
            row_labels=list(base.groups),
            column_labels=list(variable.valid_choices),
        )
        if test.p is not None:
            flags = residual_flags(valid_table, base.groups, variable.valid_choices)
    else:
        points = scores(answers, variable)
        by_group = {g: points[(base.group == g).to_numpy()].to_numpy() for g in base.groups}
        test, letters = _rank_test(by_group, two_groups=True)
        summary = _likert_summaries(answers, variable, by_group)
        if w is not None:
            top = next(iter(summary.values())).top
            in_top = np.isin(points.to_numpy(dtype="float64", na_value=np.nan), top)
            percent, ci = weighted_shares(in_top, valid, w, codes, groups)
            summary = {
                g: replace(s, top_box=percent[g], top_box_ci=ci[g]) if s.n else s
                for g, s in summary.items()
            }

    def row(at: int, choice: VariableChoice) -> Row:
        counts, percent, ci = shares(counts_by_group(groups, every[:, at]), n_valid, choice.missing)
        if w is not None and not choice.missing:
            percent, ci = weighted_shares(answer_codes == at, valid, w, codes, groups)
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
    effective = None if w is None else effective_n(valid, w, codes, groups)
    return TableParts(n_valid, n_base, rows, summary, test, letters, effective_n=effective)


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


def numeric_parts(base: TableBase, variable: Variable) -> TableParts:
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
        effective = effective_n(~np.isnan(values), base.weights, codes, (*base.groups, TOTAL))
    return TableParts(n, dict(n), (), summary, test, letters, effective_n=effective)


def multiple_parts(base: TableBase, variable: Variable, language: str, seed: int) -> TableParts:
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

    n_base = counts_by_group(groups, per_group(answered))
    valid_n = per_group(valid_answer)
    n_valid = counts_by_group(groups, valid_n)
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
        counts, percent, ci = shares(counts_by_group(groups, picked), n_valid, choice.missing)
        if w is not None and kept[at]:
            percent, ci = weighted_shares(chosen, valid_answer, w, codes, groups)
        rows.append(OptionRow(choice.name, label, choice.missing, counts, percent, ci, test=test))
    adjusted = holm(row.test.p if row.test is not None else None for row in rows)
    options = tuple(replace(row, p_holm=p) for row, p in zip(rows, adjusted, strict=True))
    effective = None if w is None else effective_n(valid_answer, w, codes, groups)
    return TableParts(n_valid, n_base, options, None, None, None, options, effective)
