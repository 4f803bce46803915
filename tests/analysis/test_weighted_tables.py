"""Weighted comparative tables: weighted %, Wilson on n_eff, unweighted N, Rao-Scott tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from analysis.external import load_external
from analysis.frame import Frame
from analysis.population import read_population
from analysis.report import build_report
from analysis.report_json import report_to_json
from analysis.tables import TOTAL, build_table, build_tables
from analysis.weights import (
    RAO_SCOTT_CHI_SQUARE,
    Weights,
    kish_effective_n,
    post_stratify,
    weighted_percent,
)
from tests.analysis.test_report import FORM, HEADER, ROWS
from tests.survey.fieldwork_support import csv_file

# ROWS: MY are the first five (ready: yes, yes, yes, no, dk), IT the last four (yes, no, no, no).
UNEQUAL = [1.0, 2.0, 3.0, 4.0, 5.0, 1.5, 2.5, 0.5, 3.5]


@pytest.fixture(scope="module")
def frame() -> Frame:
    loaded = load_external(FORM.encode(), "form.md", csv_file([HEADER, *ROWS]), "data.csv")
    assert loaded.rejected == ()
    return loaded


def _weights(frame: Frame, values: list[float]) -> Weights:
    series = pd.Series(values, index=frame.data.index, dtype="float64", name="weight")
    return Weights(series, "population", (), ())


@pytest.mark.parametrize("question", ["ready", "trust", "offer"])
def test_equal_weights_give_the_unweighted_percentages_and_intervals(
    frame: Frame, question: str
) -> None:
    plain = build_table(frame, question)
    weighted = build_table(frame, question, weights=_weights(frame, [2.0] * len(ROWS)))
    assert weighted.n_valid == plain.n_valid and weighted.n_base == plain.n_base
    assert (
        weighted.weighting == "post-stratified to HEI population counts; Total pooled by population"
    )
    assert plain.weighting == "unweighted" and plain.effective_n is None
    assert weighted.effective_n is not None
    assert dict(weighted.effective_n) == pytest.approx(
        {g: float(plain.n_valid[g]) for g in plain.groups}
    )
    for mine, theirs in zip(weighted.rows, plain.rows, strict=True):
        assert mine.counts == theirs.counts
        for group in plain.groups:
            if theirs.percent[group] is None:
                assert mine.percent[group] is None
                continue
            assert mine.percent[group] == pytest.approx(theirs.percent[group])
            low, high = mine.ci[group], theirs.ci[group]
            assert low is not None and high is not None
            assert (low.low, low.high) == pytest.approx((high.low, high.high))
    for group, summary in plain.summary.items():
        assert weighted.summary[group].top_box == pytest.approx(summary.top_box)


def test_equal_weights_give_pearsons_chi_square_under_the_rao_scott_name(frame: Frame) -> None:
    table = build_table(frame, "ready", weights=_weights(frame, [1.0] * len(ROWS)))
    assert table.test is not None and table.test.name == RAO_SCOTT_CHI_SQUARE
    # IT yes 1, no 3; MY yes 3, no 1 (dk is outside the valid base)
    expected = chi2_contingency([[1, 3], [3, 1]], correction=False)
    assert table.test.statistic == pytest.approx(expected.statistic)
    assert table.test.p == pytest.approx(expected.pvalue)
    offer = build_table(frame, "offer", weights=_weights(frame, [1.0] * len(ROWS)))
    short = next(o for o in offer.options if o.value == "short")
    assert short.test is not None and short.test.name == RAO_SCOTT_CHI_SQUARE
    # Answered offer: MY 4 (short 3), IT 3 (short 1).
    pearson = chi2_contingency([[1, 2], [3, 1]], correction=False).statistic
    assert short.test.statistic == pytest.approx(pearson)


def test_unequal_weights_weight_the_percent_but_not_the_counts(frame: Frame) -> None:
    weights = _weights(frame, UNEQUAL)
    table = build_table(frame, "ready", weights=weights)
    yes = next(row for row in table.rows if row.value == "yes")
    w = np.array(UNEQUAL)
    ready = frame.data["ready"].astype(str).to_numpy()
    my = np.arange(len(ROWS)) < 5
    valid = np.isin(ready, ["yes", "no"])
    expected_my = 100 * w[my & (ready == "yes")].sum() / w[my & valid].sum()
    expected_total = 100 * w[ready == "yes"].sum() / w[valid].sum()
    assert yes.percent["MY"] == pytest.approx(expected_my)
    assert yes.percent[TOTAL] == pytest.approx(expected_total)
    assert yes.counts == {"IT": 1, "MY": 3, TOTAL: 4}
    assert table.n_valid == {"IT": 4, "MY": 4, TOTAL: 8}
    direct = weighted_percent(frame.data["ready"], weights.values, ["yes", "no"])["yes"]
    assert yes.ci[TOTAL] == direct.ci
    assert table.effective_n is not None
    assert table.effective_n["MY"] == pytest.approx(kish_effective_n(w[my & valid]))
    assert table.test is not None and table.test.name == RAO_SCOTT_CHI_SQUARE
    assert table.test.n == 8
    numeric = build_table(frame, "staff", weights=weights)
    assert any("unweighted" in warning for warning in numeric.warnings)
    likert = build_table(frame, "trust", weights=weights)
    assert any("rank tests are unweighted" in warning for warning in likert.warnings)


def test_respondents_without_a_weight_are_left_out_with_a_warning(frame: Frame) -> None:
    values = [*UNEQUAL[:-1], math.nan]
    table = build_table(frame, "ready", weights=_weights(frame, values))
    assert table.n_base == {"IT": 3, "MY": 5, TOTAL: 8}
    assert any("1 response without a weight" in warning for warning in table.warnings)


def test_build_tables_passes_the_weights_to_every_table(frame: Frame) -> None:
    tables = build_tables(frame, weights=_weights(frame, UNEQUAL))
    assert {table.weighting for table in tables} == {
        "post-stratified to HEI population counts; Total pooled by population"
    }


POPULATION = [["country", "institution_type", "count"], ["MY", "public", 40], ["IT", "public", 10]]


@pytest.mark.parametrize("pooling", ["population", "equal"])
def test_the_report_states_the_weighting(frame: Frame, pooling: str) -> None:
    population = read_population(csv_file(POPULATION), "population.csv")
    weights = post_stratify(
        frame.data,
        population,
        pooling="equal" if pooling == "equal" else "population",
        country=frame.meta["country"],
        institution_type=frame.meta["institution_type"],
    )
    report = build_report(frame, weights=weights)
    notes = " ".join(report.method_notes)
    assert "unweighted; every response counts once" not in notes
    assert weights.describe() in notes
    assert f"Pooling rule: {pooling}." in notes
    assert "Design effects of the weights" in notes and "MY 1.00" in notes
    assert "Test: First-order Rao-Scott chi-square" in notes
    assert report.weighting == weights.label
    data = report_to_json(report)
    assert data["weighting"] == weights.label
    ready = next(table for table in data["tables"] if table["question"] == "ready")
    assert ready["effective_n"] == pytest.approx(
        {"IT": 4.0, "MY": 4.0, TOTAL: ready["effective_n"][TOTAL]}
    )
    assert ready["n"] == {"IT": 4, "MY": 4, TOTAL: 8}
    unweighted = report_to_json(build_report(frame))
    assert all("effective_n" not in table for table in unweighted["tables"])
