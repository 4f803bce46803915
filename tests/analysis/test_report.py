"""The report: sections, method notes from what was done, provenance and its JSON."""

from __future__ import annotations

import json
import re
from dataclasses import FrozenInstanceError, replace
from typing import Any

import pandas as pd
import pytest

from analysis.external import load_external
from analysis.filters import FilterInvalid, filter_mask
from analysis.frame import Frame
from analysis.report import Report, build_report
from analysis.report_json import report_to_json
from survey.versions import read_source
from survey.xlsform import Form
from tests.survey.fieldwork_support import csv_file

FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| begin_group | about | About the institution |
| select_one sector | sector | Sector |
| end_group | | |
| select_one ready | ready | Is your institution ready? |
| begin_group | views | Views |
| select_one agree | trust | I trust micro-credentials |
| select_multiple offer | offer | What do you offer? |
| integer | staff | Staff |
| end_group | | |

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
| offer | short | Short courses |
| offer | cert | Certificates |

## settings
| form_id | version |
| --- | --- |
| grouped | 3 |
"""

HEADER = ("country", "sector", "ready", "trust", "offer", "staff")
ROWS = [
    ("MY", "public", "yes", "5", "short cert", 10),
    ("MY", "public", "yes", "4", "short", 20),
    ("MY", "private", "yes", "5", "short", 30),
    ("MY", "private", "no", "3", "cert", 40),
    ("MY", "public", "dk", "4", "", 50),
    ("IT", "public", "yes", "1", "cert", 1),
    ("IT", "private", "no", "2", "cert", 2),
    ("IT", "private", "no", "1", "", 3),
    ("IT", "public", "no", "2", "short", 4),
]


@pytest.fixture(scope="module")
def form() -> Form:
    return read_source(FORM.encode(), "form.md").form


@pytest.fixture(scope="module")
def frame() -> Frame:
    loaded = load_external(FORM.encode(), "form.md", csv_file([HEADER, *ROWS]), "data.csv")
    assert loaded.rejected == ()
    return loaded


@pytest.fixture(scope="module")
def report(frame: Frame, form: Form) -> Report:
    return build_report(frame, form=form)


def _table(data: dict[str, Any], question: str) -> dict[str, Any]:
    tables = data["tables"]
    assert isinstance(tables, list)
    table: dict[str, Any] = next(table for table in tables if table["question"] == question)
    return table


def test_sections_follow_the_form_with_lone_questions_on_their_own(report: Report) -> None:
    assert [(s.name, s.label) for s in report.sections] == [
        ("about", "About the institution"),
        ("", ""),
        ("views", "Views"),
    ]
    assert [[t.question for t in s.tables] for s in report.sections] == [
        ["sector"],
        ["ready"],
        ["trust", "offer", "staff"],
    ]
    assert report.title == "grouped"
    with pytest.raises(FrozenInstanceError):
        report.title = "changed"  # type: ignore[misc]


def test_a_lone_likert_item_is_no_scale(report: Report) -> None:
    assert report.scales == ()
    assert all(section.scales == () for section in report.sections)
    sections = report_to_json(report)["sections"]
    assert [section["scales"] for section in sections] == [[], [], []]
    assert not any(note.startswith("Scales: ") for note in report.method_notes)


def test_without_the_form_a_section_is_the_questions_group(frame: Frame) -> None:
    sections = build_report(frame).sections
    assert [s.name for s in sections] == ["about", "", "views"]


def test_json_has_hand_checkable_counts_percent_and_n(report: Report) -> None:
    data = report_to_json(report)
    assert data["schema_version"] == 1
    ready = _table(data, "ready")
    assert ready["kind"] == "categorical"
    assert ready["groups"] == ["IT", "MY", "Total"]
    assert ready["n"] == {"IT": 4, "MY": 4, "Total": 8}  # "dk" is outside the valid N
    assert ready["n_base"] == {"IT": 4, "MY": 5, "Total": 9}
    rows = ready["rows"]
    assert isinstance(rows, list)
    yes, _no, dk = rows
    assert yes["count"] == {"IT": 1, "MY": 3, "Total": 4}
    assert yes["percent"] == {"IT": 25.0, "MY": 75.0, "Total": 50.0}
    assert 0 < yes["ci_low"]["MY"] < 75.0 < yes["ci_high"]["MY"] < 100
    assert dk["missing"] is True
    assert dk["count"] == {"IT": 0, "MY": 1, "Total": 1}
    assert dk["percent"] == {"IT": None, "MY": None, "Total": None}
    test = ready["test"]
    assert isinstance(test, dict)
    assert test["name"] == "Fisher exact"
    assert test["effect"]["name"] == "Cramér's V"
    assert test["q"] is not None and test["q"] >= test["p"]


def test_likert_summary_and_multiple_option_tests_in_json(report: Report) -> None:
    data = report_to_json(report)
    trust = _table(data, "trust")
    summary = trust["summary"]
    assert isinstance(summary, dict)
    assert summary["MY"]["median"] == 4.0
    assert summary["MY"]["mean"] == pytest.approx(21 / 5)
    assert summary["MY"]["top2box"] == pytest.approx(80.0)  # 4 of 5 chose 4 or 5
    assert summary["IT"]["iqr"] == pytest.approx(1.0)
    assert trust["test"]["name"] == "Mann-Whitney U"
    offer = _table(data, "offer")
    assert offer["test"] is None
    assert offer["n"] == {"IT": 3, "MY": 4, "Total": 7}
    short = offer["rows"][0]
    assert short["count"] == {"IT": 1, "MY": 3, "Total": 4}
    assert short["test"]["name"] == "Fisher exact"
    assert short["p_holm"] >= short["test"]["p"]
    assert offer["q"] is not None


def test_method_notes_name_exactly_the_tests_used(report: Report) -> None:
    tests = [note for note in report.method_notes if note.startswith("Test: ")]
    assert [note.split(",")[0].split(" for ")[0] for note in tests] == [
        "Test: Fisher's exact test",
        "Test: Kruskal-Wallis",
        "Test: Mann-Whitney U",
    ]
    joined = " ".join(report.method_notes)
    assert "Pearson" not in joined
    assert "Monte Carlo" not in joined
    assert "Expected-count rule" in joined
    assert "Holm's correction across the question's options" in joined
    assert "Low base: a column whose valid N is below 30" in joined
    assert "Weighting: unweighted" in joined
    assert "grouped by country (IT 4, MY 5)" in joined
    assert "Software: python " in joined and "scipy " in joined and "microcasa " in joined


def test_bh_family_is_every_question_with_a_test(report: Report) -> None:
    family = [table for table in report.tables if table.p is not None]
    assert len(family) == 5  # sector, ready, trust, offer and staff
    assert {table.q_family for table in report.tables} == {5}
    assert any("family of 5 tests" in note for note in report.method_notes)


def test_provenance_counts_groups_and_fieldwork_dates(frame: Frame, form: Form) -> None:
    completed = pd.to_datetime(
        [
            f"2026-0{month}-1{day}T10:00:00Z"
            for month, day in zip([3] * 5 + [4] * 4, range(9), strict=True)
        ]
    )
    dated = replace(frame, data=frame.data.assign(completed_at=completed.array))
    report = build_report(dated, form=form, synthetic=True)
    provenance = report.provenance
    assert dict(provenance.n) == {"IT": 4, "MY": 5, "Total": 9}
    assert provenance.versions == ("3",)
    assert provenance.form_id == "grouped"
    assert provenance.fieldwork_start is not None and provenance.fieldwork_end is not None
    assert provenance.fieldwork_start.startswith("2026-03-10")
    assert provenance.fieldwork_end.startswith("2026-04-18")
    assert any("from 2026-03-10 to 2026-04-18" in note for note in report.method_notes)
    assert report_to_json(report)["synthetic"] is True
    assert report.method_notes[0].startswith("SYNTHETIC DEMO DATA")
    real = build_report(dated, form=form)
    assert not any("SYNTHETIC" in note for note in real.method_notes)


def test_json_round_trips_without_nan(frame: Frame, form: Form) -> None:
    # Only IT's public institutions: tiny groups, empty cells, undefined statistics.
    report = build_report(frame, form=form, filter="sector=public and country in IT")
    data = report_to_json(report)
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == data
    assert data["provenance"]["n"] == {"IT": 2, "Total": 2}
    assert data["provenance"]["filter"] == "sector=public and country in IT"
    assert any(
        note.startswith("Filter: only responses with sector=public")
        for note in data["method_notes"]
    )


def test_filter_language(frame: Frame) -> None:
    assert filter_mask(frame, "ready=yes").sum() == 4
    assert filter_mask(frame, "ready!=yes").sum() == 5
    assert filter_mask(frame, "ready in yes,dk and country=MY").sum() == 4
    assert filter_mask(frame, "offer=cert").sum() == 4  # picked
    assert filter_mask(frame, "offer!=cert").sum() == 3  # answered without picking it
    for expression, message in [
        ("colour=red", "unknown question: colour"),
        ("ready=maybe", "ready has no value maybe (its values: yes, no, dk)"),
        ("country=FR", "country has no value FR"),
        ("staff=3", "choice questions only; staff is integer"),
        ("ready", "cannot read the filter condition “ready”"),
        ("ready in yes,", "has an empty value"),
    ]:
        with pytest.raises(FilterInvalid, match=re.escape(message)):
            filter_mask(frame, expression)
