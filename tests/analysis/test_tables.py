"""Comparative tables built from real frames (an XLSForm and a CSV through load_external)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest
from scipy.stats import chi2_contingency, kruskal

from analysis.external import load_external
from analysis.frame import Frame
from analysis.stats import (
    KRUSKAL_WALLIS,
    MANN_WHITNEY,
    PEARSON_CHI_SQUARE,
    benjamini_hochberg,
    holm,
    wilson,
)
from analysis.tables import TOTAL, OptionRow, Row, Table, build_table, build_tables, suppress
from tests.survey.fieldwork_support import csv_file

FORM = """
## survey
| type | name | label | label::Deutsch (de) |
| --- | --- | --- | --- |
| select_one sector | sector | Sector | Sektor |
| select_one ready | ready | Is your institution ready? | Ist Ihre Hochschule bereit? |
| select_one agree | trust | I trust micro-credentials | |
| select_multiple offer | offer | What do you offer? | |
| integer | staff | Staff | |
| text | note | Note | |

## choices
| list_name | name | label |
| --- | --- | --- |
| sector | public | Public |
| sector | private | Private |
| ready | yes | Yes |
| ready | no | No |
| ready | dk | Don't know |
| agree | 1 | Disagree |
| agree | 2 | 2 |
| agree | 3 | 3 |
| agree | 4 | 4 |
| agree | 5 | Agree |
| agree | dk | Don't know |
| offer | short | Short courses |
| offer | cert | Certificates |
| offer | dk | Don't know |

## settings
| form_id | version |
| --- | --- |
| tiny | 1 |
"""

AGRESTI_FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| select_one gender | gender | Gender |
| select_one party | party | Party identification |

## choices
| list_name | name | label |
| --- | --- | --- |
| gender | F | Female |
| gender | M | Male |
| party | dem | Democrat |
| party | ind | Independent |
| party | rep | Republican |

## settings
| form_id | version |
| --- | --- |
| agresti | 1 |
"""

COLUMNS = ("country", "sector", "ready", "trust", "offer", "staff")


def _frame(form: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Frame:
    frame = load_external(form.encode(), "form.md", csv_file([header, *rows]), "data.csv")
    assert frame.rejected == ()
    return frame


def _sectors(count: int) -> list[str]:
    return ["public" if at % 2 == 0 else "private" for at in range(count)]


def _country(
    code: str,
    ready: list[str],
    trust: list[str],
    offer: list[str],
    staff: list[int],
) -> list[list[object]]:
    columns = (
        [code] * len(ready),
        _sectors(len(ready)),
        ready,
        trust,
        offer,
        staff,
    )
    return [list(row) for row in zip(*columns, strict=True)]


MY = _country(
    "MY",
    ["yes"] * 13 + ["no"] * 3 + ["dk"] * 2,
    ["5"] * 8 + ["4"] * 6 + ["3"] * 2 + ["dk"] * 2,
    ["short cert"] * 10 + ["short"] * 4 + ["dk"] * 2 + [""] * 2,
    list(range(10, 28)),
)
IT = _country(
    "IT",
    ["yes"] * 4 + ["no"] * 12 + ["dk"],
    ["1"] * 7 + ["2"] * 6 + ["3"] * 3 + ["dk"],
    ["cert"] * 5 + ["short cert"] * 2 + [""] * 10,
    list(range(1, 18)),
)
NO_COUNTRY = [["", "public", "yes", "5", "short", 3]]


@pytest.fixture(scope="module")
def frame() -> Frame:
    return _frame(FORM, COLUMNS, [*MY, *IT, *NO_COUNTRY])


def _row(table: Table, value: str) -> Row:
    return next(row for row in table.rows if row.value == value)


def test_counts_percent_and_wilson_interval_with_dont_know_outside_the_valid_base(
    frame: Frame,
) -> None:
    table = build_table(frame, "ready")
    assert table.kind == "categorical"
    assert table.label == "Is your institution ready?"
    assert table.groups == ("IT", "MY", TOTAL)
    assert [row.value for row in table.rows] == ["yes", "no", "dk"]
    assert dict(_row(table, "yes").counts) == {"IT": 4, "MY": 13, TOTAL: 17}
    assert dict(_row(table, "dk").counts) == {"IT": 1, "MY": 2, TOTAL: 3}
    assert dict(table.n_valid) == {"IT": 16, "MY": 16, TOTAL: 32}
    assert dict(table.n_base) == {"IT": 17, "MY": 18, TOTAL: 35}
    yes = _row(table, "yes")
    assert yes.percent["MY"] == pytest.approx(81.25)
    assert yes.percent[TOTAL] == pytest.approx(100 * 17 / 32)
    # Fagerland, Lydersen & Laake (2017): 13 of 16, Wilson 0.5699–0.9341.
    interval = yes.ci["MY"]
    assert interval is not None
    assert (interval.low, interval.high) == (
        pytest.approx(56.99, abs=0.005),
        pytest.approx(93.41, abs=0.005),
    )
    dk = _row(table, "dk")
    assert dk.missing
    assert set(dk.percent.values()) == {None}
    assert set(dk.ci.values()) == {None}
    assert table.weighting == "unweighted"
    assert table.warnings[0] == "1 response without a valid value of country left out."


def test_the_chi_square_is_on_valid_answers_only(frame: Frame) -> None:
    table = build_table(frame, "ready")
    assert table.test is not None
    assert table.test.name == PEARSON_CHI_SQUARE
    assert table.test.n == 32
    expected = chi2_contingency([[4, 12], [13, 3]], correction=False)
    assert table.test.statistic == pytest.approx(expected.statistic)
    assert table.test.p == pytest.approx(expected.pvalue)
    assert table.test.df == 1
    assert table.test.effect is not None
    assert table.test.effect.name == "Cramér's V"
    assert _row(table, "yes").flags == {"IT": "−", "MY": "+"}
    assert _row(table, "dk").flags == {}


def test_agresti_gender_by_party_reproduces_the_published_chi_square() -> None:
    counts = {("F", "dem"): 762, ("F", "ind"): 327, ("F", "rep"): 468}
    counts |= {("M", "dem"): 484, ("M", "ind"): 239, ("M", "rep"): 477}
    rows = [[gender, party] for (gender, party), n in counts.items() for _ in range(n)]
    frame = _frame(AGRESTI_FORM, ("gender", "party"), rows)
    assert len(frame.data) == 2757
    table = build_table(frame, "party", by="gender")
    assert table.groups == ("F", "M", TOTAL)
    assert table.group_labels["F"] == "Female"
    assert dict(table.rows[0].counts) == {"F": 762, "M": 484, TOTAL: 1246}
    assert table.test is not None
    assert table.test.statistic == pytest.approx(30.07, abs=0.005)
    assert table.test.df == 2
    assert table.test.p == pytest.approx(2.954e-07, rel=1e-3)
    assert [row.flags.get("F") for row in table.rows] == ["+", None, "−"]
    assert [row.flags.get("M") for row in table.rows] == ["−", None, "+"]
    assert table.low_base == ()


def test_likert_test_is_mann_whitney_for_two_groups_with_a_summary(frame: Frame) -> None:
    table = build_table(frame, "trust")
    assert table.kind == "likert"
    assert [row.value for row in table.rows] == ["1", "2", "3", "4", "5", "dk"]
    assert dict(table.n_valid) == {"IT": 16, "MY": 16, TOTAL: 32}
    assert dict(table.n_base) == {"IT": 17, "MY": 18, TOTAL: 35}
    assert table.test is not None
    assert table.test.name == MANN_WHITNEY
    assert table.letters == {}
    my = table.summary["MY"]
    assert my.n == 16
    assert my.median == 4.5
    assert my.mean == pytest.approx((8 * 5 + 6 * 4 + 2 * 3) / 16)  # "dk" is not a scale point
    assert my.top == (4, 5)
    assert my.top_box_n == 14
    assert my.top_box == pytest.approx(87.5)
    interval = wilson(14, 16)
    assert interval is not None and my.top_box_ci is not None
    assert my.top_box_ci.low == pytest.approx(100 * interval.low)
    assert table.summary["IT"].top_box == 0.0
    assert table.summary[TOTAL].n == 32


def _trust_frame(scores: dict[str, list[str]]) -> Frame:
    rows = [
        [code, "public", "yes", score, "short", 1]
        for code, answers in scores.items()
        for score in answers
    ]
    return _frame(FORM, COLUMNS, rows)


def test_kruskal_wallis_on_the_scores_and_letters_only_when_significant() -> None:
    scores = {
        "MY": ["5", "5", "4", "5", "4", "5", "4", "5", "dk", "dk"],
        "IT": ["1", "2", "1", "1", "2", "1", "2", "1", "dk"],
        "DE": ["3", "3", "2", "4", "3", "3", "4", "3"],
    }
    table = build_table(_trust_frame(scores), "trust")
    valid = {code: [float(s) for s in answers if s != "dk"] for code, answers in scores.items()}
    expected = kruskal(valid["DE"], valid["IT"], valid["MY"])
    assert table.test is not None
    assert table.test.name == KRUSKAL_WALLIS
    assert table.test.statistic == pytest.approx(expected.statistic)
    assert table.test.p == pytest.approx(expected.pvalue)
    assert table.test.n == 24
    assert table.test.p < 0.05
    assert set(table.letters) == {"DE", "IT", "MY"}
    assert not set(table.letters["IT"]) & set(table.letters["MY"])

    alike = {code: ["1", "2", "3", "4", "5", "dk"] for code in ("MY", "IT", "DE")}
    flat = build_table(_trust_frame(alike), "trust")
    assert flat.test is not None
    assert flat.test.name == KRUSKAL_WALLIS
    assert flat.test.p is not None and flat.test.p >= 0.05
    assert flat.letters == {}


def test_multiple_choice_percent_of_respondents_and_holm_per_option(frame: Frame) -> None:
    table = build_table(frame, "offer")
    assert table.kind == "multiple"
    assert table.test is None
    assert dict(table.n_base) == {"IT": 7, "MY": 16, TOTAL: 23}
    assert dict(table.n_valid) == {"IT": 7, "MY": 14, TOTAL: 21}
    short, cert, dk = table.options
    assert table.rows == table.options
    assert isinstance(short, OptionRow)
    assert dict(short.counts) == {"IT": 2, "MY": 14, TOTAL: 16}
    assert short.percent["MY"] == pytest.approx(100.0)
    assert cert.percent["MY"] == pytest.approx(100 * 10 / 14)
    my_sum = sum(p for option in (short, cert) if (p := option.percent["MY"]) is not None)
    assert my_sum > 100
    assert dk.missing and dk.test is None and dk.p_holm is None
    assert dict(dk.counts) == {"IT": 0, "MY": 2, TOTAL: 2}
    for option in (short, cert):
        assert option.test is not None and option.test.p is not None
        assert option.p_holm is not None and option.p_holm >= option.test.p
    assert (short.p_holm, cert.p_holm) == holm(
        [short.test.p if short.test else None, cert.test.p if cert.test else None]
    )
    assert table.p == min(short.p_holm, cert.p_holm)


def test_numeric_summary_and_kruskal_wallis(frame: Frame) -> None:
    table = build_table(frame, "staff")
    assert table.rows == ()
    it = table.summary["IT"]
    assert (it.n, it.mean, it.median, it.q1, it.q3) == (17, 9.0, 9.0, 5.0, 13.0)
    assert it.iqr == 8.0
    assert it.sd == pytest.approx(pd.Series(range(1, 18)).std())
    assert table.summary[TOTAL].n == 35
    assert dict(table.n_valid) == {"IT": 17, "MY": 18, TOTAL: 35}
    assert table.test is not None
    assert table.test.name == KRUSKAL_WALLIS
    assert table.test.statistic == pytest.approx(
        kruskal(list(range(1, 18)), list(range(10, 28))).statistic
    )


def test_low_base_is_flagged_per_column(frame: Frame) -> None:
    table = build_table(frame, "ready")
    assert table.low_base == ("IT", "MY")
    assert "Valid N below 30 (low base): IT (16), MY (16)." in table.warnings


def test_by_another_question_with_a_filter(frame: Frame) -> None:
    by_sector = build_table(frame, "ready", by="sector", language="de")
    assert by_sector.label == "Ist Ihre Hochschule bereit?"
    assert by_sector.groups == ("public", "private", TOTAL)
    # The response without a country is in: only the grouping matters.
    assert by_sector.n_base[TOTAL] == 36
    assert not any("left out" in warning for warning in by_sector.warnings)

    only_my = frame.data["country"] == "MY"
    table = build_table(frame, "ready", by="sector", filter=only_my)
    # MY alternates public/private: public are rows 0, 2, …, 16 of 13 yes, 3 no, 2 dk.
    assert dict(_row(table, "yes").counts) == {"public": 7, "private": 6, TOTAL: 13}
    assert dict(_row(table, "no").counts) == {"public": 1, "private": 2, TOTAL: 3}
    assert dict(table.n_base) == {"public": 9, "private": 9, TOTAL: 18}
    assert table.notes == ("Only the 18 of 36 responses that meet the filter.",)
    assert table.warnings[0].startswith("Valid N below 30")


def test_bad_requests_are_refused(frame: Frame) -> None:
    with pytest.raises(ValueError, match="text question"):
        build_table(frame, "note")
    with pytest.raises(ValueError, match="single-choice"):
        build_table(frame, "ready", by="staff")
    with pytest.raises(KeyError):
        build_table(frame, "ready", by="region")
    with pytest.raises(ValueError, match="aligned"):
        build_table(frame, "ready", filter=pd.Series([True]))


def test_build_tables_gives_bh_q_values_across_the_whole_family(frame: Frame) -> None:
    tables = build_tables(frame)
    assert [table.question for table in tables] == ["sector", "ready", "trust", "offer", "staff"]
    ps = [table.p for table in tables]
    assert all(p is not None for p in ps)
    assert [table.q for table in tables] == list(benjamini_hochberg(ps))
    assert {table.q_family for table in tables} == {5}
    by_sector = build_tables(frame, by="sector")
    assert "sector" not in [table.question for table in by_sector]


def test_suppression_hides_counts_one_to_four_and_keeps_zero_and_five_up(frame: Frame) -> None:
    table = suppress(build_table(frame, "ready"))
    # IT's 4 "yes" and MY's 3 "no" are below 5; MY's 13 and IT's 12 go with them, or the
    # Totals (17, 15) and valid N (16 each) would give them away by subtraction.
    assert dict(_row(table, "yes").counts) == {"IT": None, "MY": None, TOTAL: 17}
    no = _row(table, "no")
    assert dict(no.counts) == {"IT": None, "MY": None, TOTAL: 15}
    assert no.percent["MY"] is None and no.ci["MY"] is None
    assert no.percent[TOTAL] == pytest.approx(100 * 15 / 32)
    assert _row(table, "yes").flags == {}  # the flags went with the hidden counts
    # The lone "don't know" row is base N − valid N, both published: shown.
    assert dict(_row(table, "dk").counts) == {"IT": 1, "MY": 2, TOTAL: 3}
    assert table.suppressed_below == 5
    assert (table.suppressed_primary, table.suppressed_complementary) == (2, 2)
    assert table.notes[-1].startswith("Counts from 1 to 4 are suppressed")
    assert table.test == build_table(frame, "ready").test

    offer = suppress(build_table(frame, "offer"))
    dk = offer.options[2]
    assert dict(dk.counts) == {"IT": 0, "MY": None, TOTAL: None}
    assert offer.rows == offer.options
    assert offer.options[0].p_holm is not None

    strict = suppress(build_table(frame, "trust"), threshold=15)
    assert strict.summary["MY"].top_box is None
    assert strict.summary["IT"].top_box == 0.0
