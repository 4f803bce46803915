"""Indicators of the policy matrix: maturity, Annex I coverage, gaps and comparisons.

Each test writes the cells it needs as a table of statuses (and values where
they matter) and checks numbers and words computed by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from microcasa.db import Database
from policy_matrix import service
from policy_matrix.catalogue import DATA, Jurisdiction, catalogue
from policy_matrix.errors import MatrixError, MatrixNotFound
from policy_matrix.indicators import (
    MATURITY_RULE,
    Gap,
    compare,
    coverage,
    gaps,
    maturity,
    summary,
)
from policy_matrix.values import Cell

JURISDICTIONS = (
    Jurisdiction("MY", "Malaysia", "country", "ASEAN"),
    Jurisdiction("DE", "Germany", "country", "EU/EHEA"),
    Jurisdiction("IT", "Italy", "country", "EU/EHEA"),
    Jurisdiction("EU", "EU Council Recommendation (2022)", "reference"),
    Jurisdiction("ASEAN", "ASEAN / AQRF", "reference"),
)
ALL_IDS = tuple(f"PM{n:02d}" for n in range(1, 26))

# PM10 with 8 of 11 mandatory elements (m6, m10 false; m11 blank) and 2 of 5 optional.
EIGHT_OF_ELEVEN: dict[str, Any] = {
    "m1": True,
    "m2": True,
    "m3": True,
    "m4": True,
    "m5": True,
    "m6": False,
    "m7": True,
    "m8": True,
    "m9": True,
    "m10": False,
    "o1": True,
    "o2": False,
    "o3": True,
}


def _matrix(
    table: str, values: Mapping[tuple[str, str], Mapping[str, Any]] | None = None
) -> service.Matrix:
    """A matrix from a markdown table of statuses (blank: no cell) and some cell values."""
    lines = [line.strip().strip("|").split("|") for line in table.strip().splitlines()]
    header = [name.strip() for name in lines[0]]
    cells: dict[tuple[str, str], Cell] = {}
    for row in lines[2:]:
        code, *statuses = (item.strip() for item in row)
        for dimension, status in zip(header[1:], statuses, strict=True):
            if status:
                value = (values or {}).get((code, dimension))
                cells[(code, dimension)] = Cell(status=status, value=value)
    return service.Matrix(catalogue(), JURISDICTIONS, cells, None)


# --- maturity ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "mean", "score"),
    [
        ("implemented | adopted | adopted | none | unknown", 2.5, 3),
        ("under_discussion | under_discussion | none | none | not_applicable", 0.5, 1),
        ("adopted | adopted | draft | draft | draft", 2.4, 2),
        ("implemented | implemented | adopted | unknown | unknown", 11 / 3, 4),
        ("none | none | none | unknown | not_applicable", 0.0, 0),
        ("draft | adopted | draft | adopted | unknown", 2.5, 3),
    ],
)
def test_maturity_is_the_mean_of_known_ranks_rounded_half_up(
    statuses: str, mean: float, score: int
) -> None:
    matrix = _matrix(
        f"""
        | code | PM01 | PM12 | PM13 | PM16 | PM20 |
        | ---  | ---  | ---  | ---  | ---  | ---  |
        | DE   | {statuses} |
        """
    )
    found = maturity(matrix, "DE")
    assert found.mean == pytest.approx(mean)
    assert found.score == score


def test_maturity_lists_its_five_parts() -> None:
    matrix = _matrix(
        """
        | code | PM01        | PM12    | PM13    | PM16 | PM20    | PM02 |
        | ---  | ---         | ---     | ---     | ---  | ---     | ---  |
        | MY   | implemented | adopted | adopted | none | unknown | none |
        """
    )
    found = maturity(matrix, "MY")
    assert found.parts == (
        ("PM01", "implemented", 4),
        ("PM12", "adopted", 3),
        ("PM13", "adopted", 3),
        ("PM16", "none", 0),
        ("PM20", "unknown", None),
    )
    assert (found.known, found.mean, found.score) == (4, 2.5, 3)
    assert found.jurisdiction == "MY"


def test_maturity_needs_three_known_ranks() -> None:
    matrix = _matrix(
        """
        | code | PM01    | PM12        | PM13    | PM16           | PM20 |
        | ---  | ---     | ---         | ---     | ---            | ---  |
        | IT   | adopted | implemented | unknown | not_applicable |      |
        """
    )
    found = maturity(matrix, "IT")
    assert (found.known, found.mean, found.score) == (2, None, None)
    assert found.parts[4] == ("PM20", "unknown", None)  # no cell at all counts as unknown


def test_maturity_rule_names_the_five_dimensions_and_the_threshold() -> None:
    for dimension in ("PM01", "PM12", "PM13", "PM16", "PM20"):
        assert dimension in MATURITY_RULE
    assert "at least 3 of the 5" in MATURITY_RULE
    assert "half up" in MATURITY_RULE


def test_the_guide_quotes_the_maturity_rule() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "policy-matrix.md").read_text(encoding="utf-8")
    quoted = " ".join(line[2:] for line in guide.splitlines() if line.startswith("> "))
    assert re.sub(r"\s+", " ", MATURITY_RULE) in quoted


# --- coverage ----------------------------------------------------------------


def test_coverage_counts_mandatory_and_optional_elements() -> None:
    matrix = _matrix(
        """
        | code | PM10    |
        | ---  | ---     |
        | MY   | adopted |
        """,
        {("MY", "PM10"): EIGHT_OF_ELEVEN},
    )
    found = coverage(matrix, "MY")
    assert found.computed and found.reason == ""
    assert (found.mandatory_provided, found.optional_provided, found.blank) == (8, 2, 3)
    assert found.mandatory_pct == pytest.approx(72.7272727)
    assert found.optional_pct == 40.0
    assert found.missing_mandatory == (
        "Learning outcomes",
        "Form of participation in the learning activity "
        "(e.g. online, onsite, blended, volunteering, work)",
        "Type of quality assurance used to underpin the micro-credential",
    )


def test_coverage_of_a_cell_that_provides_nothing_is_zero() -> None:
    none_provided = {f"m{n}": False for n in range(1, 12)} | {f"o{n}": False for n in range(1, 6)}
    matrix = _matrix(
        """
        | code | PM10 |
        | ---  | ---  |
        | DE   | none |
        """,
        {("DE", "PM10"): none_provided},
    )
    found = coverage(matrix, "DE")
    assert found.computed
    assert (found.mandatory_provided, found.optional_provided, found.blank) == (0, 0, 0)
    assert (found.mandatory_pct, found.optional_pct) == (0.0, 0.0)
    assert len(found.missing_mandatory) == 11


@pytest.mark.parametrize(
    ("status", "value", "reason"),
    [
        ("unknown", EIGHT_OF_ELEVEN, "PM10 is unknown"),
        ("not_applicable", None, "PM10 is not applicable"),
        ("adopted", None, "PM10 states none of the 16 Annex I elements"),
    ],
)
def test_coverage_is_not_computed_without_a_stated_pm10(
    status: str, value: dict[str, Any] | None, reason: str
) -> None:
    matrix = _matrix(
        f"""
        | code | PM10     |
        | ---  | ---      |
        | IT   | {status} |
        """,
        {("IT", "PM10"): value} if value else None,
    )
    found = coverage(matrix, "IT")
    assert not found.computed
    assert found.reason == reason
    assert (found.mandatory_pct, found.optional_pct) == (None, None)


def test_coverage_without_any_pm10_cell() -> None:
    found = coverage(_matrix("| code |\n| --- |"), "DE")
    assert (found.computed, found.reason, found.blank) == (False, "PM10 is unknown", 16)


def test_unknown_jurisdiction_is_not_found() -> None:
    matrix = _matrix("| code |\n| --- |")
    for indicator in (coverage, maturity, gaps):
        with pytest.raises(MatrixNotFound) as caught:
            indicator(matrix, "XX")
        assert caught.value.error is MatrixError.JURISDICTION_UNKNOWN


# --- gaps --------------------------------------------------------------------

GAPS = """
| code | PM01             | PM03 | PM06    | PM07    | PM12           | PM13  | PM18 | PM22 |
| ---  | ---              | ---  | ---     | ---     | ---            | ---   | ---  | ---  |
| DE   | under_discussion | none | adopted | unknown | not_applicable | draft | none | none |
| EU   | none             | none | none    | none    | none           | none  | none | none |
"""


def test_gaps_by_status_below_adopted() -> None:
    matrix = _matrix(
        GAPS,
        # A draft cell is judged by its status only, whatever its value says.
        {("DE", "PM13"): {"external_qa": "none"}, ("DE", "PM06"): {"relation": "level_indicated"}},
    )
    assert gaps(matrix, "DE") == (
        Gap("DE", "PM01", "missing", "a definition of micro-credentials: only under discussion"),
        Gap(
            "DE", "PM13", "missing", "external quality assurance of micro-credentials: only a draft"
        ),
        Gap("DE", "PM18", "missing", "no national rule on stackability"),
    )


def test_reference_rows_have_no_gaps() -> None:
    matrix = _matrix(GAPS)
    assert gaps(matrix, "EU") == ()
    assert gaps(matrix, "ASEAN") == ()


def test_gaps_where_an_adopted_rule_differs_from_the_eu_reference() -> None:
    matrix = _matrix(
        """
        | code | PM01        | PM06    | PM11    | PM13    | PM20        |
        | ---  | ---         | ---     | ---     | ---     | ---         |
        | MY   | implemented | adopted | adopted | adopted | implemented |
        """,
        {
            # The value's own status field repeats the cell status: not a difference.
            ("MY", "PM01"): {"status": "implemented", "eu_alignment": "partial"},
            ("MY", "PM06"): {"relation": "level_indicated"},
            ("MY", "PM11"): {"lo_assessment": "lo_and_assessment_mandatory"},
            ("MY", "PM13"): {"external_qa": "separate_verification"},
            # standards is a multi_enum: only single-choice fields are compared.
            ("MY", "PM20"): {"infrastructure": "institutional", "standards": ["open_badges_2_3"]},
        },
    )
    assert gaps(matrix, "MY") == (
        Gap(
            "MY",
            "PM01",
            "differs",
            "alignment with the EU Council Recommendation definition: partial (EU reference: full)",
        ),
        Gap(
            "MY",
            "PM13",
            "differs",
            "external QA mechanism: separate verification (EU reference: institutional review)",
        ),
        Gap(
            "MY",
            "PM20",
            "differs",
            "infrastructure level: institutional (EU reference: eu or regional interoperable)",
        ),
    )


def test_gap_for_missing_mandatory_elements() -> None:
    matrix = _matrix(
        """
        | code | PM10    |
        | ---  | ---     |
        | IT   | adopted |
        """,
        {("IT", "PM10"): EIGHT_OF_ELEVEN},
    )
    assert gaps(matrix, "IT") == (
        Gap(
            "IT",
            "PM10",
            "elements",
            "credential description lacks 3 of 11 mandatory elements: learning outcomes, "
            "form of participation in the learning activity "
            "(e.g. online, onsite, blended, volunteering, work), "
            "type of quality assurance used to underpin the micro-credential",
        ),
    )


def test_no_element_gap_when_all_mandatory_elements_are_provided() -> None:
    all_mandatory = {f"m{n}": True for n in range(1, 12)}
    matrix = _matrix(
        """
        | code | PM10        |
        | ---  | ---         |
        | IT   | implemented |
        """,
        {("IT", "PM10"): all_mandatory},
    )
    assert coverage(matrix, "IT").optional_pct == 0.0
    assert gaps(matrix, "IT") == ()


# --- summary and comparison --------------------------------------------------

SIDE_BY_SIDE = """
| code | PM01    | PM05    | PM12    | PM13    | PM16    | PM18    | PM20    |
| ---  | ---     | ---     | ---     | ---     | ---     | ---     | ---     |
| MY   | adopted | adopted | adopted | adopted | adopted | adopted | adopted |
| DE   | draft   | adopted | draft   | unknown | adopted | none    | unknown |
| IT   | none    | adopted |         |         |         |         |         |
| EU   | adopted | adopted | adopted | adopted | adopted | adopted | adopted |
"""
NQF = {"nqf_name": "A framework", "levels": 8}


def _side_by_side() -> service.Matrix:
    return _matrix(
        SIDE_BY_SIDE,
        {
            ("MY", "PM01"): {"eu_alignment": "partial"},
            ("DE", "PM01"): {"eu_alignment": "partial"},
            ("MY", "PM05"): NQF,
            ("DE", "PM05"): NQF,
            ("IT", "PM05"): {"nqf_name": "QNQ", "levels": 8},
            ("EU", "PM05"): {"nqf_name": "EQF", "levels": 8},
        },
    )


def test_summary_has_one_row_per_country_in_matrix_order() -> None:
    rows = summary(_side_by_side())
    assert [(r.jurisdiction, r.name, r.region) for r in rows] == [
        ("MY", "Malaysia", "ASEAN"),
        ("DE", "Germany", "EU/EHEA"),
        ("IT", "Italy", "EU/EHEA"),
    ]
    my, de, it = rows
    assert (my.maturity.score, de.maturity.score, it.maturity.score) == (3, 2, None)
    assert de.maturity.mean == pytest.approx(7 / 3)
    assert [g.dimension for g in de.gaps] == ["PM01", "PM12", "PM18"]
    assert my.gaps == (
        Gap(
            "MY",
            "PM01",
            "differs",
            "alignment with the EU Council Recommendation definition: partial (EU reference: full)",
        ),
    )
    assert it.gaps == (
        Gap("IT", "PM01", "missing", "no national rule on a definition of micro-credentials"),
    )
    assert not any(row.coverage.computed for row in rows)


def test_compare_shows_every_dimension_with_the_reference() -> None:
    found = compare(_side_by_side(), ["MY", "DE"])
    assert [j.code for j in found.jurisdictions] == ["MY", "DE"]
    assert tuple(row.dimension.id for row in found.rows) == ALL_IDS
    rows = {row.dimension.id: row for row in found.rows}
    assert rows["PM05"].reference.value == {"nqf_name": "EQF", "levels": 8}
    assert [cell.status for cell in rows["PM12"].cells] == ["adopted", "draft"]
    assert rows["PM24"].cells == (Cell(), Cell())
    differing = {row.dimension.id for row in found.rows if row.differs}
    # PM01: same value, other status; PM13, PM20: adopted against no cell; PM05, PM16 equal.
    assert differing == {"PM01", "PM12", "PM13", "PM18", "PM20"}
    assert [row.jurisdiction for row in found.indicators] == ["MY", "DE"]


def test_compare_notices_a_different_value_under_the_same_status() -> None:
    found = compare(_side_by_side(), ["MY", "IT"])
    pm05 = next(row for row in found.rows if row.dimension.id == "PM05")
    assert [cell.status for cell in pm05.cells] == ["adopted", "adopted"]
    assert pm05.differs


def test_compare_ignores_notes_and_evidence() -> None:
    matrix = service.Matrix(
        catalogue(),
        JURISDICTIONS,
        {
            ("MY", "PM21"): Cell("adopted", {"exists": True}, "2025-01-01", "Portal since 2022"),
            ("DE", "PM21"): Cell("adopted", {"exists": True}),
        },
        None,
    )
    rows = {row.dimension.id: row for row in compare(matrix, ["MY", "DE"]).rows}
    assert not rows["PM21"].differs
    assert rows["PM21"].reference == Cell()


def test_compare_with_reference_rows_gives_indicators_for_countries_only() -> None:
    found = compare(_side_by_side(), ["eu", "DE", "de", "ASEAN"])
    assert [j.code for j in found.jurisdictions] == ["EU", "DE", "ASEAN"]
    assert [row.jurisdiction for row in found.indicators] == ["DE"]
    assert found.indicators[0].maturity.score == 2


def test_compare_refuses_an_unknown_code() -> None:
    with pytest.raises(MatrixNotFound) as caught:
        compare(_side_by_side(), ["MY", "XX"])
    assert caught.value.error is MatrixError.JURISDICTION_UNKNOWN
    assert "XX" in caught.value.message


# --- the catalogue and the bundled data ---------------------------------------


def test_every_dimension_has_a_topic() -> None:
    raw = json.loads((DATA / "dimensions.json").read_text(encoding="utf-8"))
    assert [item["id"] for item in raw] == list(ALL_IDS)
    for item in raw:
        topic = item.get("topic")
        assert isinstance(topic, str) and topic.strip() == topic and topic, item["id"]
        assert topic[0].islower(), f"{item['id']}: a topic is used inside a sentence"
        assert catalogue().dimension(item["id"]).topic == topic


def test_summary_of_the_bundled_data(database: Database) -> None:
    with database.transaction() as session:
        service.load_bundled(session)
        matrix = service.matrix(session)
    rows = summary(matrix)
    assert [row.jurisdiction for row in rows] == ["MY", "ID", "PH", "DE", "IT", "ES"]
    for row in rows:
        score, mean = row.maturity.score, row.maturity.mean
        assert 0 <= row.maturity.known <= 5
        assert (score is None) == (mean is None) == (row.maturity.known < 3)
        if score is not None and mean is not None:
            assert 0 <= score <= 4 and 0 <= mean <= 4 and abs(score - mean) <= 0.5
        found = row.coverage
        assert 0 <= found.mandatory_provided <= 11 and 0 <= found.optional_provided <= 5
        assert 0 <= found.blank <= 16
        assert found.computed == (found.reason == "")
        for pct in (found.mandatory_pct, found.optional_pct):
            assert pct is None or 0 <= pct <= 100
        for gap in row.gaps:
            assert gap.jurisdiction == row.jurisdiction
            assert gap.kind in ("missing", "elements", "differs") and gap.words
    assert any(row.maturity.score is not None for row in rows)
    assert any(row.gaps for row in rows)
