"""A comparative table's rows, summaries and tests, by kind of question.

Choice and Likert questions (select_one), numeric questions and select-multiple
questions each get their own builder; :func:`analysis.tables.build_table` picks one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
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
    numeric_summary,
)
from analysis.stats.posthoc import dunn_holm_counts
from analysis.stats.ranks import kruskal_wallis_counts, mann_whitney_counts
from analysis.stats.summaries import likert_summaries_counts
from analysis.table_cells import (
    TableBase,
    TableParts,
    code_counts,
    counts_by_group,
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
from analysis.variables import Kind, Variable, VariableChoice, category_scores
from analysis.weights import (
    kish_design_effect,
    rao_scott,
)

ALPHA = 0.05  # letters are shown after a Kruskal-Wallis p below this
# Rank tests of a numeric question work on its groups × distinct values counts while
# the table stays below this many cells, else on the values.
_MAX_COUNT_CELLS = 4_000_000


def single_parts(base: TableBase, variable: Variable, language: str, seed: int) -> TableParts:
    """A select_one question: categorical (chi-square family) or Likert (rank tests)."""
    answers = base.data[variable.name]
    codes = base.codes
    answer_codes = answers.cat.codes.to_numpy()
    counts = code_counts(codes, len(base.groups), answer_codes, len(answers.cat.categories))
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
        # Ranks, medians and means from the groups × answers counts: the same numbers as
        # from the answers one by one (see analysis.stats.ranks.rank_counts).
        score = np.array(category_scores(variable, list(answers.cat.categories)))
        scored = ~np.isnan(score)
        by_group = {g: counts[at, scored] for at, g in enumerate(base.groups)}
        test, letters = _rank_test(by_group, score[scored], two_groups=True)
        summary = _likert_summaries(counts[:, scored], score[scored], base.groups)
        if w is not None:
            top = next(iter(summary.values())).top
            in_top = np.isin(np.append(score, np.nan)[answer_codes], top)
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
    counts: Mapping[str, NDArray[np.int64]], values: NDArray[np.float64], *, two_groups: bool
) -> tuple[TestResult, dict[str, str]]:
    """Kruskal-Wallis (Mann-Whitney for two groups when asked), and letters if significant.

    ``counts`` holds each group's counts of ``values``.
    """
    if two_groups and len(counts) == 2:
        first, second = counts.values()
        return mann_whitney_counts(first, second, values), {}
    test = kruskal_wallis_counts(counts, values)
    if test.name != KRUSKAL_WALLIS or test.p is None or test.p >= ALPHA:
        return test, {}
    # Letters for the groups that were tested; a group without values gets none.
    present = [g for g, row in counts.items() if row.sum()]
    pairs = dunn_holm_counts({g: counts[g] for g in present}, values)
    return test, compact_letters(present, pairs.adjusted_p())


def _likert_summaries(
    counts: NDArray[np.int64], score: NDArray[np.float64], groups: tuple[str, ...]
) -> dict[str, Summary]:
    """Each group's and the Total's summary from groups × valid answers counts."""
    points = sorted(int(point) for point in score)
    top = points[-2:]
    per_point = np.zeros((len(groups), len(points)), dtype=np.int64)
    for at, point in enumerate(points):
        per_point[:, at] = counts[:, score == point].sum(axis=1)
    table = np.vstack([per_point, per_point.sum(axis=0)])
    result: dict[str, Summary] = {}
    for group, likert in zip(
        (*groups, TOTAL), likert_summaries_counts(table, top=top, points=points), strict=True
    ):
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
    codes = base.codes
    by_group = {g: values[codes == at] for at, g in enumerate(base.groups)}
    summary: dict[str, Summary] = {}
    for group, observed in (*by_group.items(), (TOTAL, values)):
        s = numeric_summary(observed)
        summary[group] = Summary(s.n, s.mean, s.sd, s.median, s.q1, s.q3, s.mean_ci)
    n = {group: s.n for group, s in summary.items()}
    answered = ~np.isnan(values)
    distinct, position = np.unique(values[answered], return_inverse=True)
    size = len(base.groups)
    if size * distinct.size <= _MAX_COUNT_CELLS:
        counts = code_counts(codes[answered], size, position.ravel(), distinct.size)
        test, letters = _rank_test(
            {g: counts[at] for at, g in enumerate(base.groups)}, distinct, two_groups=False
        )
    else:
        test, letters = _rank_test_values(by_group)
    effective = None
    if base.weights is not None:
        effective = effective_n(answered, base.weights, codes, (*base.groups, TOTAL))
    return TableParts(n, dict(n), (), summary, test, letters, effective_n=effective)


def _rank_test_values(
    by_group: Mapping[str, NDArray[np.float64]],
) -> tuple[TestResult, dict[str, str]]:
    """``_rank_test`` (no Mann-Whitney) from each group's values, for many distinct values."""
    test = kruskal_wallis(by_group)
    if test.name != KRUSKAL_WALLIS or test.p is None or test.p >= ALPHA:
        return test, {}
    present = [g for g, values in by_group.items() if np.count_nonzero(~np.isnan(values))]
    pairs = dunn_holm({g: by_group[g] for g in present})
    return test, compact_letters(present, pairs.adjusted_p())


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
    codes = base.codes
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
