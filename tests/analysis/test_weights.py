"""Post-stratification weights, weighted percentages and the Rao-Scott test on a tiny survey."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from analysis.external import load_external
from analysis.frame import Frame
from analysis.population import Population, PopulationInvalid, read_population
from analysis.stats import wilson
from analysis.weights import (
    RAO_SCOTT_CHI_SQUARE,
    Pooling,
    Weights,
    kish_design_effect,
    kish_effective_n,
    post_stratify,
    rao_scott,
    weighted_percent,
)
from tests.survey.fieldwork_support import csv_file, xlsx_file

FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| select_one inst_type | institution_type | Type of institution |
| select_one ready | ready | Is your institution ready? |

## choices
| list_name | name | label |
| --- | --- | --- |
| inst_type | public | Public university |
| inst_type | private | Private university |
| ready | yes | Yes |
| ready | no | No |
| ready | dk | Don't know |

## settings
| form_id | version |
| --- | --- |
| weights | 1 |
"""

POPULATION: list[list[object]] = [
    ["country", "institution_type", "count"],
    ["MY", "public", 100],
    ["MY", "private", 300],
    ["IT", "public", 50],
    ["IT", "private", 50],
]

# MY: 4 public (3 yes), 2 private (no, dk); IT: 2 public (yes, no), 3 private (no).
ANSWERS = [
    ["MY", "public", "yes"],
    ["MY", "public", "yes"],
    ["MY", "public", "yes"],
    ["MY", "public", "no"],
    ["MY", "private", "no"],
    ["MY", "private", "dk"],
    ["IT", "public", "yes"],
    ["IT", "public", "no"],
    ["IT", "private", "no"],
    ["IT", "private", "no"],
    ["IT", "private", "no"],
]


def _frame(rows: list[list[str]]) -> Frame:
    data = csv_file([["country", "institution_type", "ready"], *rows])
    frame = load_external(FORM.encode(), "form.md", data, "data.csv")
    assert frame.rejected == ()
    return frame


@pytest.fixture(scope="module")
def frame() -> Frame:
    return _frame(ANSWERS)


@pytest.fixture(scope="module")
def population() -> Population:
    return read_population(csv_file(POPULATION), "population.csv")


def test_population_file_is_read_cell_by_cell(population: Population) -> None:
    assert dict(population.counts) == {
        ("MY", "public"): 100,
        ("MY", "private"): 300,
        ("IT", "public"): 50,
        ("IT", "private"): 50,
    }
    assert population.countries() == ("IT", "MY")
    assert population.total("MY") == 400


def test_population_workbook_reads_like_the_csv(population: Population) -> None:
    rows = [*POPULATION[:2], ["my", "private", 300.0], *POPULATION[3:]]
    assert read_population(xlsx_file(rows), "population.xlsx") == population


def test_population_errors_name_row_and_column() -> None:
    rows = [
        ["country", "institution_type", "count"],
        ["MY", "public", "100"],
        ["XX", "public", "5"],
        ["IT", "public", "-3"],
        ["IT", "private", "2.5"],
        ["MY", "public", "7"],
        ["IT", "", "4"],
    ]
    with pytest.raises(PopulationInvalid) as caught:
        read_population(csv_file(rows), "population.csv")
    assert caught.value.errors == (
        "Row 3, column country: “XX” is not a two-letter ISO country code (e.g. MY).",
        "Row 4, column count: “-3” is not a whole number of institutions (0 or more).",
        "Row 5, column count: “2.5” is not a whole number of institutions (0 or more).",
        "Row 6: MY × public was already given in row 2; give each cell once.",
        "Row 7, column institution_type: give the institution type (e.g. public_university).",
    )


def test_population_file_without_a_count_column_is_refused() -> None:
    with pytest.raises(PopulationInvalid) as caught:
        read_population(csv_file([["country", "institution_type"], ["MY", "public"]]), "p.csv")
    assert caught.value.errors == (
        "The header row needs the columns country, institution_type and count; missing: count.",
    )


def test_weights_are_hei_count_over_respondents_per_cell(
    frame: Frame, population: Population
) -> None:
    weights = _weights(frame, population)
    expected = [25.0] * 4 + [150.0] * 2 + [25.0] * 2 + [50 / 3] * 3
    assert weights.values.tolist() == pytest.approx(expected)
    assert weights.values.index.equals(frame.data.index)
    assert weights.warnings == ()
    by_country = frame.data["country"].astype(str)
    assert weights.values.groupby(by_country).sum().to_dict() == pytest.approx(
        {"MY": 400.0, "IT": 100.0}
    )


def test_kish_effective_n_and_design_effect_per_country(
    frame: Frame, population: Population
) -> None:
    weights = _weights(frame, population)
    my = next(c for c in weights.countries if c.country == "MY")
    # (4·25 + 2·150)² / (4·25² + 2·150²) = 400² / 47,500
    assert my.effective_n == pytest.approx(160_000 / 47_500)
    assert my.design_effect == pytest.approx(6 / (160_000 / 47_500))
    assert my.respondents == 6 and my.population == 400 and not my.collapsed
    w = np.array([25.0] * 4 + [150.0] * 2)
    cv2 = float(np.var(w) / np.mean(w) ** 2)
    assert kish_design_effect(w) == pytest.approx(1 + cv2)
    assert kish_effective_n(w) == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_equal_pooling_gives_every_country_the_same_total(
    frame: Frame, population: Population
) -> None:
    by_country = frame.data["country"].astype(str)
    proportional = _weights(frame, population, pooling="population")
    equal = _weights(frame, population, pooling="equal")
    assert equal.pooling == "equal"
    assert equal.values.groupby(by_country).sum().to_dict() == pytest.approx(
        {"MY": 250.0, "IT": 250.0}
    )
    assert equal.values.sum() == pytest.approx(proportional.values.sum())
    # Within a country the weights only change scale: its percentages are the same.
    for code in ("MY", "IT"):
        mine = by_country == code
        ratio = equal.values[mine] / proportional.values[mine]
        assert ratio.min() == pytest.approx(ratio.max())
    with pytest.raises(ValueError, match="pooling"):
        post_stratify(frame.data, population, pooling="median")  # type: ignore[arg-type]


def test_weighted_percent_against_a_direct_computation(
    frame: Frame, population: Population
) -> None:
    weights = _weights(frame, population).values
    result = weighted_percent(frame.data["ready"], weights, ["yes", "no"])
    valid = frame.data["ready"].astype(str).isin(["yes", "no"]).to_numpy()
    w = weights.to_numpy()[valid]
    yes = (frame.data["ready"].astype(str) == "yes").to_numpy()[valid]
    share = w[yes].sum() / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert result["yes"].percent == pytest.approx(100 * share)
    assert result["no"].percent == pytest.approx(100 * (1 - share))
    assert (result["yes"].n, result["no"].n, result["yes"].base) == (4, 6, 10)
    assert result["yes"].effective_n == pytest.approx(n_eff)
    z = 1.959963984540054
    centre = (share + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(share * (1 - share) / n_eff + z**2 / (4 * n_eff**2))
    ci = result["yes"].ci
    assert ci is not None
    assert (ci.low, ci.high) == pytest.approx((100 * (centre - half), 100 * (centre + half)))


def test_weighted_percent_matches_series_by_respondent_not_position() -> None:
    values = pd.Series(["yes", "no", "no"], index=[10, 11, 12])
    weights = pd.Series([1.0, 1.0, 8.0], index=[12, 11, 10])
    assert weighted_percent(values, weights, ["yes", "no"])["yes"].percent == pytest.approx(80.0)


def test_weighted_percent_with_equal_weights_is_the_plain_wilson_interval() -> None:
    values = pd.Series(["yes"] * 13 + ["no"] * 3 + [None] * 2)
    result = weighted_percent(values, [2.0] * 18, ["yes", "no"])
    plain = wilson(13, 16)
    ci = result["yes"].ci
    assert plain is not None and ci is not None
    assert result["yes"].percent == pytest.approx(100 * 13 / 16)
    assert (ci.low, ci.high) == pytest.approx((100 * plain.low, 100 * plain.high))


AGRESTI = np.array([[762, 327, 468], [484, 239, 477]])


def test_rao_scott_with_equal_weights_is_pearsons_chi_square() -> None:
    pearson, p, df, _expected = chi2_contingency(AGRESTI, correction=False)
    result = rao_scott(AGRESTI * 3.5, int(AGRESTI.sum()), kish_design_effect([3.5] * 10))
    assert result.name == RAO_SCOTT_CHI_SQUARE
    assert result.statistic == pytest.approx(pearson, rel=1e-12)
    assert result.p == pytest.approx(p, rel=1e-9)
    assert result.df == df == 2
    assert result.n == int(AGRESTI.sum())
    assert "Design effect 1" in result.warnings[0]


def test_rao_scott_divides_the_naive_weighted_chi_square_by_the_design_effect() -> None:
    rng = np.random.default_rng(7)
    weights = rng.uniform(0.5, 3.0, size=400)
    weights = weights / weights.mean()  # weights summing to n: the naive table has n respondents
    groups = rng.integers(0, 2, size=400)
    answers = (rng.uniform(size=400) < 0.3 + 0.2 * groups).astype(int)
    table = np.zeros((2, 2))
    np.add.at(table, (groups, answers), weights)
    naive = chi2_contingency(table, correction=False)[0]
    deff = kish_design_effect(weights)
    result = rao_scott(table, 400, deff)
    assert deff > 1
    assert result.statistic is not None
    assert result.statistic < naive
    assert result.statistic == pytest.approx(naive / deff)
    assert f"Design effect {deff:.3g}" in result.warnings[0]


def test_a_cell_with_respondents_but_no_population_collapses_its_country(
    population: Population,
) -> None:
    rows = [*ANSWERS, ["IT", "college", "yes"]]
    frame = _frame_with_college(rows)
    weights = _weights(frame, population)
    assert weights.warnings == (
        "IT: 1 respondent of type college, which has no population count. The country is "
        "weighted as one cell (100 HEIs / 6 respondents): its total matches the population, "
        "its mix of institution types is not corrected.",
    )
    it = frame.data["country"].astype(str) == "IT"
    assert weights.values[it].tolist() == pytest.approx([100 / 6] * 6)
    assert next(c for c in weights.countries if c.country == "IT").collapsed
    assert weights.values[~it].tolist() == pytest.approx([25.0] * 4 + [150.0] * 2)


def test_a_population_cell_without_respondents_and_an_unknown_country_are_warned(
    population: Population,
) -> None:
    rows = [row for row in ANSWERS if row[:2] != ["IT", "private"]] + [["DE", "public", "yes"]]
    weights = _weights(_frame(rows), population)
    assert weights.warnings == (
        "DE: the population file has no counts for it; 1 respondent not weighted, "
        "left out of weighted estimates.",
        "IT: no respondents of type private (50 HEIs). The country is weighted as one cell "
        "(100 HEIs / 2 respondents): its total matches the population, its mix of "
        "institution types is not corrected.",
    )
    assert math.isnan(weights.values.iloc[-1])


def _weights(frame: Frame, population: Population, pooling: Pooling = "population") -> Weights:
    # A question named institution_type pushes the meta column to "_institution_type".
    return post_stratify(
        frame.data,
        population,
        pooling=pooling,
        country=frame.meta["country"],
        institution_type=frame.meta["institution_type"],
    )


def _frame_with_college(rows: list[list[str]]) -> Frame:
    form = FORM.replace(
        "| inst_type | private | Private university |",
        "| inst_type | private | Private university |\n| inst_type | college | College |",
    )
    data = csv_file([["country", "institution_type", "ready"], *rows])
    frame = load_external(form.encode(), "form.md", data, "data.csv")
    assert frame.rejected == ()
    return frame
