"""Every number of the comparative tables against an independent computation.

Frames are generated with seeded RNGs, written to CSV and loaded with the real
``load_external``; tables come from the real ``build_table`` / ``build_tables``.
Each reference is computed from the raw generated answers (user-missing "dk"
dropped by the test itself) with scipy, statsmodels or a formula written out in
:mod:`tests.analysis.crosscheck_support` — never from the platform's statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, fisher_exact, kruskal, mannwhitneyu
from scipy.stats import t as student_t
from scipy.stats.contingency import association
from statsmodels.stats.contingency_tables import Table as SmTable  # type: ignore[import-untyped]
from statsmodels.stats.multitest import multipletests  # type: ignore[import-untyped]
from statsmodels.stats.weightstats import DescrStatsW  # type: ignore[import-untyped]

from analysis.stats import (
    FISHER_EXACT,
    KRUSKAL_WALLIS,
    MANN_WHITNEY,
    MONTE_CARLO_CHI_SQUARE,
    PEARSON_CHI_SQUARE,
    Interval,
    TestResult,
    cronbach_alpha,
    dunn_holm,
)
from analysis.tables import TOTAL, Table, build_table, build_tables
from analysis.weights import RAO_SCOTT_CHI_SQUARE, Weights
from tests.analysis import crosscheck_support as ref
from tests.analysis.crosscheck_support import Floats, Generated

SEEDS = (7, 1128, 4242)
EXACT = 1e-9  # relative tolerance where the mathematics is exact


@dataclass(frozen=True)
class Data:
    main: Generated  # four countries of 60-110 rows
    small: Generated  # three countries of 7-11 rows


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def data(request: pytest.FixtureRequest) -> Data:
    seed: int = request.param
    return Data(ref.main_data(seed), ref.small_data(seed))


def close(got: float | None, expected: float, rel: float = EXACT, absolute: float = 0.0) -> None:
    assert got is not None
    assert got == pytest.approx(expected, rel=rel, abs=absolute)


def close_interval(got: Interval | None, expected: tuple[float, float]) -> None:
    assert got is not None
    close(got.low, expected[0], absolute=1e-9)
    close(got.high, expected[1], absolute=1e-9)


def check_categorical(test: TestResult | None, observed: pd.DataFrame) -> None:
    """The test the docs' expected-count rule calls for, against scipy (or a permutation p)."""
    counts = observed.to_numpy(dtype=np.int64)
    assert test is not None and test.n == int(counts.sum())
    pearson = chi2_contingency(counts, correction=False)
    assert test.effect is not None and test.effect.name == "Cramér's V"
    # scipy's association() has no bias correction, and neither has the platform (docs).
    close(test.effect.value, float(association(counts, method="cramer")))
    if ref.cochran_reliable(counts):
        assert test.name == PEARSON_CHI_SQUARE
        close(test.statistic, float(pearson.statistic))
        assert test.df == int(pearson.dof)
        close(test.p, float(pearson.pvalue))
    elif counts.shape == (2, 2):
        assert test.name == FISHER_EXACT and test.statistic is None and test.df is None
        close(test.p, float(fisher_exact(counts).pvalue))
        close(test.p, ref.fisher_by_hand(counts))
    else:
        assert test.name == MONTE_CARLO_CHI_SQUARE and test.df is None
        assert (test.seed, test.resamples) == (ref.PLATFORM_SEED, ref.PLATFORM_RESAMPLES)
        close(test.statistic, float(pearson.statistic))
        assert test.p is not None
        if counts.shape[1] == 2:
            # The exact conditional p it estimates, by enumerating the tables; the
            # platform's p rests on 10,000 draws: allow five standard errors.
            exact = min(1.0, ref.exact_chi_square_p(counts))  # the sum may round past 1
            se = math.sqrt(exact * (1 - exact) / ref.PLATFORM_RESAMPLES)
            assert abs(test.p - exact) <= 5 * se + 2e-4
            return
        groups = np.repeat(np.arange(counts.shape[0]), counts.sum(axis=1))
        answers = np.concatenate([np.repeat(np.arange(counts.shape[1]), r) for r in counts])
        mine = ref.permutation_p(groups, answers, 20_000)
        # Both p-values are Monte Carlo estimates of the same exact conditional p, from
        # 10,000 and 20,000 draws: allow five standard errors of their difference.
        se = math.sqrt(mine * (1 - mine) * (1 / ref.PLATFORM_RESAMPLES + 1 / 20_000))
        assert abs(test.p - mine) <= 5 * se + 2e-4


def check_flags(table: Table, observed: pd.DataFrame, design_effect: float = 1.0) -> None:
    """Flags where statsmodels' adjusted residual (over the root of the deff) passes 1.96."""
    resids = SmTable(observed.to_numpy(dtype=float), shift_zeros=False).standardized_resids
    resids = np.asarray(resids) / math.sqrt(design_effect)
    for row in table.rows:
        expected: dict[str, str] = {}
        if row.value in observed.columns:
            column = resids[:, list(observed.columns).index(row.value)]
            for group, value in zip(observed.index, column, strict=True):
                if abs(value) > 1.96:
                    expected[str(group)] = "+" if value > 0 else "−"
        assert dict(row.flags) == expected


def tables_to_check(data: Data) -> Iterator[tuple[Generated, Table, str, str]]:
    for generated in (data.main, data.small):
        for question in ("ready", "policy"):
            yield generated, build_table(generated.frame, question), question, "country"
    yield data.small, build_table(data.small.frame, "policy", by="sector"), "policy", "sector"
    for question in ("ready", "policy"):  # 2 x 3 and 2 x 2 (no Yates correction)
        yield data.main, build_table(data.main.frame, question, by="sector"), question, "sector"
    # By a question with a "dk" answer: those respondents are in no column, not in Total.
    yield data.main, build_table(data.main.frame, "ready", by="policy"), "ready", "policy"


def test_column_percentages_wilson_intervals_and_bases(data: Data) -> None:
    for generated, table, question, by in tables_to_check(data):
        assert table.groups[-1] == TOTAL
        assert set(table.groups[:-1]) == set(generated.raw[by]) - {ref.MISSING}
        for group in table.groups:
            answers = generated.raw.loc[ref.members(generated, by, group), question]
            answers = answers[answers != ""]
            valid = answers[answers != ref.MISSING]
            assert (table.n_base[group], table.n_valid[group]) == (len(answers), len(valid))
            for row in table.rows:
                count = int((answers == row.value).sum())
                assert row.counts[group] == count
                if row.value == ref.MISSING:  # outside the valid base
                    assert row.missing and row.percent[group] is None and row.ci[group] is None
                    continue
                close(row.percent[group], 100.0 * count / len(valid))
                close_interval(row.ci[group], ref.wilson_percent(count, len(valid)))


def test_categorical_tests_effect_sizes_and_residual_flags(data: Data) -> None:
    names = set()
    for generated, table, question, by in tables_to_check(data):
        observed = ref.reference_crosstab(generated, question, by)
        check_categorical(table.test, observed)
        check_flags(table, observed)
        assert table.test is not None
        names.add(table.test.name)
    # The generated data exercise all three paths of the expected-count rule.
    assert names == {PEARSON_CHI_SQUARE, FISHER_EXACT, MONTE_CARLO_CHI_SQUARE}


@pytest.mark.parametrize("question", [*ref.LIKERT_ITEMS, "staff"])
def test_kruskal_wallis_epsilon_squared_dunn_holm_and_letters(data: Data, question: str) -> None:
    for generated in (data.main, data.small):
        table = build_table(generated.frame, question)
        groups = {
            g: ref.scores(generated, question, ref.members(generated, "country", g))
            for g in table.groups[:-1]
        }
        pooled_n = sum(v.size for v in groups.values())
        expected = kruskal(*groups.values())
        test = table.test
        assert test is not None and test.name == KRUSKAL_WALLIS
        assert (test.n, test.df) == (pooled_n, len(groups) - 1)
        close(test.statistic, float(expected.statistic))
        close(test.statistic, ref.kruskal_by_hand(list(groups.values())))
        close(test.p, float(expected.pvalue))
        assert test.effect is not None and test.effect.name == "epsilon squared"
        h = float(expected.statistic)
        close(test.effect.value, h / ((pooled_n**2 - 1) / (pooled_n + 1)))
        assert test.p is not None
        if test.p >= 0.05:
            assert dict(table.letters) == {}
            continue
        adjusted = ref.dunn_holm_by_hand(groups)
        low_level = dunn_holm(groups).adjusted_p()
        for pair, q in adjusted.items():
            close(low_level[pair], q)
        assert set(table.letters) == set(groups)
        if generated is data.main and question == "trust":  # both kinds of pair occur:
            assert set(table.letters["DE"]) & set(table.letters["IT"])  # generated alike
            assert not set(table.letters["DE"]) & set(table.letters["PH"])  # PH higher
        for a, b in combinations(groups, 2):
            share = bool(set(table.letters[a]) & set(table.letters[b]))
            assert share == (adjusted[(a, b)] >= 0.05), (a, b, dict(table.letters))


def test_mann_whitney_and_rank_biserial_for_two_groups(data: Data) -> None:
    for question in ref.LIKERT_ITEMS:
        table = build_table(data.main.frame, question, by="sector")
        first, second = table.groups[:2]
        a = ref.scores(data.main, question, ref.members(data.main, "sector", first))
        b = ref.scores(data.main, question, ref.members(data.main, "sector", second))
        test = table.test
        assert test is not None and test.name == MANN_WHITNEY and test.n == a.size + b.size
        # Likert scores are tied, so the normal approximation with tie and continuity
        # correction is the documented (R wilcox.test) choice.
        reference = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
        u, p = ref.mann_whitney_by_hand(a, b)
        close(test.statistic, float(reference.statistic))
        close(test.statistic, u)
        close(test.p, float(reference.pvalue))
        close(test.p, p)
        # Documented sign: positive when the first group tends to be larger, i.e.
        # r = 1 - 2 U_b / (n_a n_b) with U_b = n_a n_b - U_a the second group's U.
        assert test.effect is not None and test.effect.name == "rank-biserial r"
        close(test.effect.value, 1.0 - 2.0 * (a.size * b.size - u) / (a.size * b.size))
        direct = np.mean(np.sign(a[:, None] - b[None, :]))
        close(test.effect.value, float(direct), absolute=1e-12)


def test_mann_whitney_exact_p_without_ties(data: Data) -> None:
    """A filter leaves 2-3 respondents per sector with distinct scores: R's exact p is due."""
    keep = ref.distinct_scores(data.small, "trust")
    table = build_table(data.small.frame, "trust", by="sector", filter=keep)
    a, b = (
        ref.scores(data.small, "trust", keep & ref.members(data.small, "sector", g))
        for g in table.groups[:2]
    )
    assert a.size >= 2 and b.size >= 2 and np.unique(np.concatenate([a, b])).size == a.size + b.size
    assert table.test is not None and table.test.name == MANN_WHITNEY
    close(table.test.statistic, ref.mann_whitney_by_hand(a, b)[0])
    close(table.test.p, float(mannwhitneyu(a, b, method="exact").pvalue))
    close(table.test.p, ref.mann_whitney_exact_p(a, b))


def test_select_multiple_options_and_holm(data: Data) -> None:
    for generated in (data.main, data.small):
        table = build_table(generated.frame, "offer")
        picks = generated.raw["offer"].str.split()
        for group in table.groups:
            mine = picks[ref.members(generated, "country", group)]
            answered = mine[mine.map(len) > 0]
            valid = answered[answered.map(lambda chosen: any(o in ref.OPTIONS for o in chosen))]
            assert (table.n_base[group], table.n_valid[group]) == (len(answered), len(valid))
            for option in table.options:
                count = int(answered.map(lambda chosen, o=option.value: o in chosen).sum())
                assert option.counts[group] == count
                if option.missing:
                    assert option.percent[group] is None
                    continue
                close(option.percent[group], 100.0 * count / len(valid))
                close_interval(option.ci[group], ref.wilson_percent(count, len(valid)))
        tested = [option for option in table.options if not option.missing]
        assert [option.value for option in tested] == list(ref.OPTIONS)
        for option in tested:
            check_categorical(option.test, ref.option_crosstab(generated, option.value, "country"))
        holm = ref.holm([option.test.p if option.test else None for option in tested])
        for option, q in zip(tested, holm, strict=True):
            close(option.p_holm, float(q))
        dk = next(option for option in table.options if option.missing)
        assert dk.test is None and dk.p_holm is None
        close(table.p, float(min(holm)))


def test_bh_q_values_across_the_report_family(data: Data) -> None:
    for generated in (data.main, data.small):
        tables = build_tables(generated.frame)
        ps = [table.p for table in tables]
        tested = [p for p in ps if p is not None]
        q = iter(multipletests(tested, method="fdr_bh")[1])
        assert {table.q_family for table in tables} == {len(tested)}
        for table, p in zip(tables, ps, strict=True):
            if p is None:
                assert table.q is None
            else:
                close(table.q, float(next(q)))


def check_summary(table: Table, group: str, values: Floats) -> None:
    summary = table.summary[group]
    series = pd.Series(values)
    assert summary.n == values.size
    close(summary.mean, float(series.mean()))
    close(summary.sd, float(series.std(ddof=1)))
    # Documented quantiles: numpy "linear" = R type 7 = pandas' default interpolation.
    for got, q in ((summary.q1, 0.25), (summary.median, 0.5), (summary.q3, 0.75)):
        close(got, float(series.quantile(q)))
    sem = float(series.std(ddof=1)) / math.sqrt(values.size)
    low, high = student_t.interval(0.95, values.size - 1, loc=float(series.mean()), scale=sem)
    close_interval(summary.mean_ci, (float(low), float(high)))
    close_interval(summary.mean_ci, tuple(DescrStatsW(values).tconfint_mean(alpha=0.05)))


def test_numeric_summaries(data: Data) -> None:
    for generated in (data.main, data.small):
        table = build_table(generated.frame, "staff")
        for group in table.groups:
            values = ref.scores(generated, "staff", ref.members(generated, "country", group))
            assert table.n_valid[group] == values.size
            check_summary(table, group, values)


@pytest.mark.parametrize("question", ref.LIKERT_ITEMS)
def test_likert_summaries_and_top_two_box(data: Data, question: str) -> None:
    table = build_table(data.main.frame, question)
    for group in table.groups:
        values = ref.scores(data.main, question, ref.members(data.main, "country", group))
        check_summary(table, group, values)
        summary = table.summary[group]
        top = int(np.isin(values, [4.0, 5.0]).sum())
        assert summary.top == (4, 5) and summary.top_box_n == top
        close(summary.top_box, 100.0 * top / values.size)
        close_interval(summary.top_box_ci, ref.wilson_percent(top, values.size))


def test_cronbach_alpha_and_feldt_interval(data: Data) -> None:
    raw = data.main.raw
    for group in (*sorted(set(raw["country"])), TOTAL):
        rows = ref.members(data.main, "country", group)
        items = raw.loc[rows, list(ref.LIKERT_ITEMS)].replace(ref.MISSING, np.nan).astype(float)
        complete = items.dropna().to_numpy()
        result = cronbach_alpha(items.to_numpy())
        assert (result.n_cases, result.n_items) == complete.shape
        assert result.n_dropped == len(items) - len(complete)
        k = complete.shape[1]
        total = complete.sum(axis=1).var(ddof=1)
        close(result.alpha, k / (k - 1) * (1 - complete.var(axis=0, ddof=1).sum() / total))
        alpha, low, high = ref.alpha_by_anova(complete)
        close(result.alpha, alpha)
        close_interval(result.ci, (low, high))


@pytest.mark.parametrize("question", ["ready", "policy"])
def test_weighted_percentages_effective_n_and_rao_scott(data: Data, question: str) -> None:
    generated = data.main
    table = build_table(
        generated.frame, question, weights=Weights(generated.weights, "population", (), ())
    )
    w_all = generated.weights
    assert table.effective_n is not None
    for group in table.groups:
        valid = ref.valid_answers(
            generated, question, ref.members(generated, "country", group, True)
        )
        w = w_all[valid.index].to_numpy()
        assert table.n_valid[group] == valid.size  # unweighted N, weighted respondents only
        n_eff = float(w.sum() ** 2 / np.sum(w**2))
        close(table.effective_n[group], n_eff)
        for row in table.rows:
            if row.missing:
                continue
            share = float(DescrStatsW((valid == row.value).to_numpy(float), weights=w).mean)
            close(row.percent[group], 100.0 * share)
            close_interval(row.ci[group], ref.wilson_percent(share * n_eff, n_eff))
    everyone = ref.members(generated, "country", TOTAL, True)
    valid = ref.valid_answers(generated, question, everyone)
    w = w_all[valid.index]
    weighted = pd.crosstab(generated.raw.loc[valid.index, "country"], valid, w, aggfunc="sum")
    n = valid.size
    design_effect = n / ref.kish(w.to_numpy())
    scaled = weighted / weighted.to_numpy().sum() * n
    pearson = chi2_contingency(scaled.to_numpy(), correction=False)
    test = table.test
    assert test is not None and test.name == RAO_SCOTT_CHI_SQUARE and test.n == n
    close(test.statistic, float(pearson.statistic) / design_effect)
    assert test.df == int(pearson.dof)
    close(test.p, ref.chi2_p(float(pearson.statistic) / design_effect, int(pearson.dof)))
    assert test.effect is not None
    close(test.effect.value, math.sqrt(pearson.statistic / (n * (min(scaled.shape) - 1))))
    check_flags(table, scaled, design_effect)
    # The published first-order correction (Rao & Scott 1984, eq. 4.4) takes the mean
    # design effect from those of the weighted cell and margin proportions; the platform
    # documents Kish's 1 + CV^2 instead. With Kish's deff for every proportion, eq. 4.4
    # gives exactly the platform's value. With linearized (design-based) deffs it is an
    # approximation: the weights here are drawn independently of the answers, so those
    # deffs scatter around Kish's (0.84-1.19 times it in 30 generated tables).
    groups = pd.factorize(generated.raw.loc[valid.index, "country"])[0]
    answers = pd.factorize(valid)[0]
    kish_model = ref.rao_scott_mean_deff(groups, answers, w.to_numpy(), ref.kish_deff)
    close(test.statistic, float(pearson.statistic) / kish_model)
    published = ref.rao_scott_mean_deff(groups, answers, w.to_numpy())
    assert test.statistic == pytest.approx(float(pearson.statistic) / published, rel=0.25)


def test_weighted_top_box_and_select_multiple(data: Data) -> None:
    generated = data.main
    weights = Weights(generated.weights, "population", (), ())
    likert = build_table(generated.frame, "trust", weights=weights)
    for group in likert.groups:
        valid_trust = ref.valid_answers(
            generated, "trust", ref.members(generated, "country", group, True)
        )
        values = valid_trust.to_numpy(dtype=np.float64)
        w = generated.weights[valid_trust.index].to_numpy()
        share = float(DescrStatsW(np.isin(values, [4.0, 5.0]).astype(float), weights=w).mean)
        close(likert.summary[group].top_box, 100.0 * share)
        close_interval(
            likert.summary[group].top_box_ci, ref.wilson_percent(share * ref.kish(w), ref.kish(w))
        )
        check_summary(likert, group, values)  # median, mean and CI stay unweighted
    offer = build_table(generated.frame, "offer", weights=weights)
    picks = generated.raw["offer"].str.split()
    valid = picks.map(lambda chosen: any(o in ref.OPTIONS for o in chosen))
    valid &= generated.weights.notna()
    w_valid = generated.weights[valid]
    design_effect = int(valid.sum()) / ref.kish(w_valid.to_numpy())
    for option in (o for o in offer.options if not o.missing):
        picked = picks[valid].map(lambda chosen, o=option.value: o in chosen).astype(float)
        for group in offer.groups:
            rows = ref.members(generated, "country", group)[valid]
            w = w_valid[rows].to_numpy()
            share = float(DescrStatsW(picked[rows].to_numpy(), weights=w).mean)
            close(option.percent[group], 100.0 * share)
            close_interval(option.ci[group], ref.wilson_percent(share * ref.kish(w), ref.kish(w)))
        table = pd.crosstab(generated.raw.loc[valid, "country"], picked, w_valid, aggfunc="sum")
        scaled = table.to_numpy() / table.to_numpy().sum() * int(valid.sum())
        statistic = float(chi2_contingency(scaled, correction=False).statistic) / design_effect
        assert option.test is not None and option.test.name == RAO_SCOTT_CHI_SQUARE
        close(option.test.statistic, statistic)
        close(option.test.p, ref.chi2_p(statistic, len(offer.groups) - 2))
    tested = [o for o in offer.options if o.test is not None]
    holm = ref.holm([o.test.p if o.test else None for o in tested])
    for option, q in zip(tested, holm, strict=True):
        close(option.p_holm, float(q))
    close(offer.p, float(min(holm)))


def test_holm_reference() -> None:
    """The written-out Holm adjustment the checks above use agrees with statsmodels."""
    rng = np.random.default_rng(3)
    pvalues = [float(p) for p in rng.uniform(0, 0.2, size=9)] + [0.04, 0.04]
    np.testing.assert_allclose(
        ref.holm(pvalues), multipletests(pvalues, method="holm")[1], rtol=1e-12
    )
