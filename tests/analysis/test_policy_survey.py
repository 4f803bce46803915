"""Policy × survey: matrix indicators beside survey shares per country, with rank correlations.

A small hand-made frame and matrix give exact expected shares, maturity scores
and correlations; the bundled matrix with synthetic responses (on SQLite and on
PostgreSQL) is checked against pandas, analysis.stats.wilson and scipy computed
here from the frame and the rows.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pytest
from scipy.stats import spearmanr

from analysis.external import load_external
from analysis.frame import Frame, load_responses
from analysis.policy_survey import (
    DEFAULT_QUESTIONS,
    DESCRIPTIVE_BELOW,
    KEY_DIMENSIONS,
    CountryIndicators,
    PolicySurvey,
    Share,
    SurveyQuestion,
    policy_survey,
)
from analysis.stats import wilson
from analysis.synthetic import load_synthetic
from microcasa.auth.roles import Role
from microcasa.db import Database
from policy_matrix import service
from policy_matrix.catalogue import Jurisdiction, catalogue
from policy_matrix.indicators import maturity
from policy_matrix.values import Cell

FORM = """
## survey
| type | name | label | label::Deutsch (de) |
| --- | --- | --- | --- |
| select_one stage | c1 | Stage of micro-credentials | Stand der Microcredentials |
| select_one familiar5 | b1 | Familiar with the term | Vertraut mit dem Begriff |
| select_one recog_freq | f2_national | Recognises national micro-credentials | |
| text | f3 | Instruments | |

## choices
| list_name | name | label |
| --- | --- | --- |
| stage | none | None |
| stage | exploring | Exploring |
| stage | emerging | Emerging |
| stage | established | Established |
| stage | mature | Mature |
| familiar5 | 1 | Not at all |
| familiar5 | 2 | 2 |
| familiar5 | 3 | 3 |
| familiar5 | 4 | 4 |
| familiar5 | 5 | Extremely |
| familiar5 | dk | Don't know |
| recog_freq | routinely | Routinely |
| recog_freq | case_by_case | Case by case |
| recog_freq | never | Never |

## settings
| form_id | version |
| --- | --- |
| tiny | 1 |
"""

HEADER = ("country", "c1", "b1", "f2_national")
ROWS = (
    # MY: offering 2/4; top-2-box 2 of 3 valid (dk out); recognising 2 of 3 answered.
    ("MY", "emerging", "5", "routinely"),
    ("MY", "mature", "4", "never"),
    ("MY", "none", "3", "case_by_case"),
    ("MY", "exploring", "dk", ""),
    # DE: offering 1/5; top-2-box 1 of 3 valid; recognising 5/5.
    ("DE", "established", "1", "routinely"),
    ("DE", "none", "2", "routinely"),
    ("DE", "none", "4", "case_by_case"),
    ("DE", "none", "dk", "routinely"),
    ("DE", "none", "dk", "case_by_case"),
    # IT: offering 2/2; top-2-box 2/2; recognising 0/2.
    ("IT", "mature", "5", "never"),
    ("IT", "established", "4", "never"),
    # FR: in the survey, not in the matrix.
    ("FR", "emerging", "3", ""),
    ("FR", "emerging", "3", ""),
    ("FR", "emerging", "dk", ""),
    # No country: left out.
    ("", "mature", "5", "routinely"),
)

JURISDICTIONS = (
    Jurisdiction("MY", "Malaysia", "country", "ASEAN"),
    Jurisdiction("DE", "Germany", "country", "EU/EHEA"),
    Jurisdiction("IT", "Italy", "country", "EU/EHEA"),
    Jurisdiction("ES", "Spain", "country", "EU/EHEA"),
    Jurisdiction("EU", "EU Council Recommendation (2022)", "reference"),
    Jurisdiction("ASEAN", "ASEAN / AQRF", "reference"),
)
# Maturity dimensions PM01, PM12, PM13, PM16, PM20 (ranks: none 0 … implemented 4).
STATUSES = {
    "MY": ("draft", "draft", "adopted", "under_discussion", "draft"),  # 10/5 = 2
    "DE": ("under_discussion", "none", "draft", "under_discussion", "unknown"),  # 4/4 = 1
    "IT": ("implemented",) * 5,  # 4
    "ES": ("adopted", "adopted", "adopted", "unknown", "unknown"),  # 3
    "EU": ("adopted",) * 5,
}
MATURITY_IDS = ("PM01", "PM12", "PM13", "PM16", "PM20")


def _elements(provided: int) -> dict[str, bool]:
    """PM10 booleans: the first ``provided`` of the 11 mandatory elements."""
    return {f"m{n}": n <= provided for n in range(1, 12)}


def _matrix() -> service.Matrix:
    cells: dict[tuple[str, str], Cell] = {}
    for code, statuses in STATUSES.items():
        for dimension, status in zip(MATURITY_IDS, statuses, strict=True):
            cells[(code, dimension)] = Cell(status=status)
    cells[("MY", "PM10")] = Cell(status="adopted", value=_elements(8))  # 8 of 11
    cells[("DE", "PM10")] = Cell(status="adopted", value=_elements(11))  # all 11
    cells[("ES", "PM10")] = Cell(status="adopted", value=_elements(4))
    cells[("EU", "PM10")] = Cell(status="adopted", value=_elements(11))
    cells[("MY", "PM17")] = Cell(status="implemented")
    return service.Matrix(catalogue(), JURISDICTIONS, cells, None)


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def frame() -> Frame:
    made = load_external(FORM.encode(), "form.md", _csv([HEADER, *ROWS]), "data.csv")
    assert made.rejected == ()
    return made


@pytest.fixture(scope="module")
def result(frame: Frame) -> PolicySurvey:
    return policy_survey(frame, _matrix())


def _row(result: PolicySurvey, code: str) -> CountryIndicators:
    return next(row for row in result.rows if row.code == code)


def _share(k: int, n: int) -> Share:
    return Share(k, n, k / n if n else None, wilson(k, n))


def test_rows_are_the_matrix_countries_then_survey_only_ones(result: PolicySurvey) -> None:
    assert [row.code for row in result.rows] == ["MY", "DE", "IT", "ES", "FR"]  # no EU, ASEAN
    assert [row.responses for row in result.rows] == [4, 5, 2, 0, 3]
    assert [row.in_matrix for row in result.rows] == [True, True, True, True, False]
    assert _row(result, "FR").name == "France"
    assert _row(result, "DE").name == "Germany"


def test_shares_exclude_dont_know_and_unanswered(result: PolicySurvey) -> None:
    expected = {
        "MY": ((2, 4), (2, 3), (2, 3)),
        "DE": ((1, 5), (1, 3), (5, 5)),
        "IT": ((2, 2), (2, 2), (0, 2)),
        "ES": ((0, 0), (0, 0), (0, 0)),
        "FR": ((3, 3), (0, 2), (0, 0)),
    }
    for code, (offering, awareness, recognising) in expected.items():
        row = _row(result, code)
        assert row.offering == _share(*offering), code
        assert row.awareness == _share(*awareness), code
        assert row.recognising == _share(*recognising), code
    my = _row(result, "MY")
    assert my.offering is not None and my.offering.share == 0.5
    assert my.awareness is not None and my.awareness.share == pytest.approx(2 / 3)
    assert my.offering.low_base
    es = _row(result, "ES")
    assert es.offering == Share(0, 0, None, None)
    assert not es.offering.low_base


def test_matrix_side_maturity_coverage_and_key_statuses(result: PolicySurvey) -> None:
    assert [row.maturity for row in result.rows] == [2, 1, 4, 3, None]
    my, de, it, es, fr = result.rows
    assert my.coverage == pytest.approx(100 * 8 / 11)
    assert de.coverage == 100.0
    assert es.coverage == pytest.approx(100 * 4 / 11)
    assert it.coverage is None  # no PM10 cell: unknown
    assert [s.dimension for s in my.statuses] == list(KEY_DIMENSIONS)
    assert [(s.status, s.rank) for s in my.statuses] == [
        ("draft", 2),
        ("adopted", 3),
        ("under_discussion", 1),
        ("implemented", 4),
    ]
    assert my.statuses[0].label == "National MC definition"
    assert fr.statuses == () and fr.maturity is None and fr.coverage is None


def test_rank_correlations_over_countries_having_both(result: PolicySurvey) -> None:
    found = {(c.matrix_indicator, c.survey_indicator): c for c in result.correlations}
    assert len(found) == 6
    # Maturity DE 1 < MY 2 < IT 4; ES has no responses and FR no matrix column.
    offering = found[("maturity", "offering")]  # DE 0.2 < MY 0.5 < IT 1.0
    assert (offering.n, offering.rho, offering.descriptive) == (3, 1.0, True)
    assert offering.p is not None
    assert "descriptive" in offering.words and "p not interpreted" in offering.words
    recognising = found[("maturity", "recognising")]  # DE 1.0 > MY 2/3 > IT 0.0
    assert (recognising.n, recognising.rho) == (3, -1.0)
    awareness = found[("maturity", "awareness")]  # DE 1/3 < MY 2/3 < IT 1.0
    assert awareness.rho == 1.0
    for name in ("offering", "awareness", "recognising"):
        coverage = found[("coverage", name)]  # only MY and DE have both
        assert (coverage.n, coverage.rho, coverage.p) == (2, None, None)
        assert coverage.words == "not computed: 2 countries have both (need 3)"


def test_notes_name_every_gap(result: PolicySurvey) -> None:
    assert result.notes[0].startswith("Survey: 15 rows of data.csv judged against “tiny”")
    assert result.notes[0].endswith("Policy matrix as it is now.")
    notes = "\n".join(result.notes)
    assert "1 response(s) have no country and are left out." in notes
    assert "FR has responses but no column in the policy matrix" in notes
    assert "ES has no responses: its survey indicators are empty." in notes
    assert "No maturity score for" not in notes
    assert "No Annex I coverage for IT:" in notes
    assert f"fewer than {DESCRIPTIVE_BELOW} countries are descriptive" in notes


def test_the_default_mapping_and_the_questions_used(result: PolicySurvey, frame: Frame) -> None:
    assert dict(DEFAULT_QUESTIONS) == {
        "offering": SurveyQuestion("c1", ("emerging", "established", "mature")),
        "awareness": SurveyQuestion("b1"),
        "recognising": SurveyQuestion("f2_national", ("routinely", "case_by_case")),
    }
    used = {q.indicator: q for q in result.questions}
    assert used["awareness"].counted == ("4", "5")  # the two highest points, not dk
    assert used["offering"].label == "Stage of micro-credentials"
    assert all(q.used for q in result.questions)
    german = policy_survey(frame, _matrix(), language="de")
    assert german.questions[0].label == "Stand der Microcredentials"


def test_a_question_that_cannot_be_used_is_named_and_left_empty(frame: Frame) -> None:
    result = policy_survey(
        frame,
        _matrix(),
        questions={
            "recognising": SurveyQuestion("f9", ("routinely",)),
            "awareness": SurveyQuestion("f2_national"),  # not a Likert item, nothing counted
            "offering": SurveyQuestion("c1", ("started",)),
        },
    )
    assert all(
        row.recognising is None and row.awareness is None and row.offering is None
        for row in result.rows
    )
    assert result.correlations == ()
    assert [q.used for q in result.questions] == [False, False, False]
    notes = "\n".join(result.notes)
    assert "“recognising” is not computed: question f9 is not in the questionnaire." in notes
    assert "“awareness” is not computed: f2_national is not a Likert item" in notes
    assert "“offering” is not computed: started are not valid choices of c1." in notes
    text = policy_survey(frame, _matrix(), questions={"recognising": SurveyQuestion("f3", ("x",))})
    assert "f3 is not a single-choice question" in "\n".join(text.notes)
    with pytest.raises(ValueError, match="unknown survey indicators"):
        policy_survey(frame, _matrix(), questions={"policy": SurveyQuestion("c1")})


def test_an_override_replaces_one_indicator_and_a_constant_side_gives_no_rho(
    frame: Frame,
) -> None:
    everyone = ("none", "exploring", "emerging", "established", "mature")
    result = policy_survey(frame, _matrix(), questions={"offering": SurveyQuestion("c1", everyone)})
    assert _row(result, "MY").offering == _share(4, 4)
    assert _row(result, "MY").awareness == _share(2, 3)  # the default still applies
    offering = next(
        c
        for c in result.correlations
        if (c.matrix_indicator, c.survey_indicator) == ("maturity", "offering")
    )
    assert (offering.n, offering.rho) == (3, None)
    assert offering.words == "not computed: offering is the same in all 3 countries"


def test_results_are_immutable(result: PolicySurvey) -> None:
    row = result.rows[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.maturity = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.correlations[0].rho = 0.5  # type: ignore[misc]
    assert row.offering is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.offering.k = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_QUESTIONS["offering"] = SurveyQuestion("c2")  # type: ignore[index]
    assert isinstance(result.rows, tuple) and isinstance(result.notes, tuple)


# --- the bundled matrix and synthetic responses, in the database ----------------

RESEARCHER = service.Actor(None, "rita.researcher@uni.example", Role.RESEARCHER)
PROVIDED = {"MY": 9, "ID": 3, "PH": 7, "DE": 5, "IT": 4, "ES": 11}  # PM10 elements written here
OFFERING = ("emerging", "established", "mature")


@pytest.fixture
def bundled(database: Database) -> tuple[Frame, service.Matrix]:
    with database.transaction() as session:
        service.load_bundled(session)
        for code, provided in PROVIDED.items():
            fields: Mapping[str, Any] = {
                "status": "adopted",
                "value": _elements(provided),
                "evidence": [{"title": "Credential template", "url": "https://example.org/t"}],
            }
            service.update_cell(session, RESEARCHER, code, "PM10", fields, "coverage for a test")
        load_synthetic(session, 180, seed=11)
    with database.transaction() as session:
        return load_responses(session, "microcasa_hei"), service.matrix(session)


def _by_hand(data: pd.DataFrame, code: str, question: str, counted: tuple[str, ...]) -> Share:
    answers = data.loc[data["country"] == code, question].astype("string")
    valid = answers.notna() & (answers != "dk")
    return _share(int(answers[valid].isin(counted).sum()), int(valid.sum()))


def test_bundled_matrix_beside_synthetic_responses(
    bundled: tuple[Frame, service.Matrix],
) -> None:
    frame, matrix = bundled
    result = policy_survey(frame, matrix)
    data = frame.data
    assert [row.code for row in result.rows] == ["MY", "ID", "PH", "DE", "IT", "ES"]
    assert sum(row.responses for row in result.rows) == 180
    for row in result.rows:
        assert row.responses == int((data["country"] == row.code).sum())
        assert row.offering == _by_hand(data, row.code, "c1", OFFERING)
        assert row.awareness == _by_hand(data, row.code, "b1", ("4", "5"))
        recognising = _by_hand(data, row.code, "f2_national", ("routinely", "case_by_case"))
        assert row.recognising == recognising
        assert row.offering is not None and row.offering.ci == wilson(
            row.offering.k, row.offering.n
        )
        assert row.maturity == maturity(matrix, row.code).score
        assert row.coverage == pytest.approx(100 * PROVIDED[row.code] / 11)
        assert [s.status for s in row.statuses] == [
            matrix.cell(row.code, d).status for d in KEY_DIMENSIONS
        ]
    for correlation in result.correlations:
        pairs = [
            (getattr(row, correlation.matrix_indicator), share.share)
            for row in result.rows
            if getattr(row, correlation.matrix_indicator) is not None
            and (share := getattr(row, correlation.survey_indicator)) is not None
        ]
        assert correlation.n == len(pairs)
        expected = spearmanr([x for x, _ in pairs], [y for _, y in pairs])
        assert correlation.rho == pytest.approx(float(expected.statistic))
        assert correlation.p == pytest.approx(float(expected.pvalue))
        assert correlation.descriptive
    coverage = [c for c in result.correlations if c.matrix_indicator == "coverage"]
    assert [c.n for c in coverage] == [6, 6, 6]  # six countries: still descriptive
    assert all(c.descriptive and "descriptive" in c.words for c in coverage)
    for row in result.rows:
        if row.maturity is None:
            assert any(
                n.startswith("No maturity score for") and row.code in n for n in result.notes
            )
