"""Likert grids as scales in the report: alpha recomputed from scratch, grids, filter, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.stats import f as f_distribution

from analysis.external import load_external
from analysis.frame import Frame
from analysis.report import Report, build_report
from analysis.report_json import report_to_json
from analysis.scales import MIN_GROUP_N, Scale, build_scales, grids
from survey.versions import read_source
from survey.xlsform import Form
from tests.survey.fieldwork_support import csv_file

FORM = """
## survey
| type | name | label | appearance |
| --- | --- | --- | --- |
| begin_group | views | Views on micro-credentials | table-list |
| select_one agree | v1 | They are useful | |
| select_one agree | v2 | They are trusted | |
| select_one agree | v3 | They are recognised | |
| select_one agree | v4 | They are portable | |
| end_group | | | |
| begin_group | more | More views | table-list |
| select_one agree | m1 | Employers know them | |
| select_one agree | m2 | Learners want them | |
| select_one agree | m3 | Staff support them | |
| end_group | | | |
| begin_group | mixed | Mixed lists | |
| select_one agree | x1 | First | |
| select_one agree | x2 | Second | |
| select_one four | x3 | Third | |
| select_one four | x4 | Fourth | |
| select_one four | x5 | Fifth | |
| end_group | | | |
| select_one agree | lone1 | Lone one | |
| select_one agree | lone2 | Lone two | |
| select_one agree | lone3 | Lone three | |

## choices
| list_name | name | label |
| --- | --- | --- |
| agree | 1 | Disagree |
| agree | 2 | 2 |
| agree | 3 | 3 |
| agree | 4 | 4 |
| agree | 5 | Agree |
| agree | dk | Don't know |
| four | 1 | Never |
| four | 2 | Rarely |
| four | 3 | Often |
| four | 4 | Always |

## settings
| form_id | version |
| --- | --- |
| scales | 1 |
"""

ITEMS = ("v1", "v2", "v3", "v4", "m1", "m2", "m3", "x1", "x2", "x3", "x4", "x5")
ALL = (*ITEMS, "lone1", "lone2", "lone3")
HEADER = ("country", *ALL)
COUNTRIES = ["MY"] * 60 + ["IT"] * 45 + ["DE"] * 10 + [""] * 8


def _answers(seed: int = 7) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for country in COUNTRIES:
        trait = rng.normal()
        row = [country]
        for name in ALL:
            top = 4 if name in ("x3", "x4", "x5") else 5
            point = int(np.clip(np.round((top + 1) / 2 + trait + rng.normal(scale=0.9)), 1, top))
            draw = rng.uniform()
            if top == 5 and draw < 0.05:
                row.append("dk")
            elif draw < 0.08:
                row.append("")
            else:
                row.append(str(point))
        rows.append(row)
    return rows


ROWS = _answers()


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


def _matrix(items: tuple[str, ...], countries: set[str]) -> NDArray[np.float64]:
    """Complete cases, from the raw CSV rows: "dk" and blanks drop the respondent."""
    at = [ALL.index(item) + 1 for item in items]
    complete = [
        [float(row[i]) for i in at]
        for row in ROWS
        if row[0] in countries and all(row[i] not in ("", "dk") for i in at)
    ]
    return np.asarray(complete, dtype=np.float64)


def _alpha(matrix: NDArray[np.float64]) -> float:
    k = matrix.shape[1]
    items = matrix.var(axis=0, ddof=1).sum()
    total = matrix.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - items / total))


def _scale(report: Report, name: str) -> Scale:
    return next(scale for scale in report.scales if scale.name == name)


def test_grids_split_by_group_and_by_choice_list(frame: Frame) -> None:
    assert grids(frame) == (
        ("views", ("v1", "v2", "v3", "v4")),
        ("more", ("m1", "m2", "m3")),  # same list, next group: a grid of its own
        ("mixed", ("x3", "x4", "x5")),  # x1, x2 (another list) are only two
    )  # lone1–lone3 are outside any group
    assert grids(frame, min_items=2)[2] == ("mixed", ("x1", "x2"))


def test_alpha_and_alpha_if_deleted_equal_a_computation_from_scratch(report: Report) -> None:
    scale = _scale(report, "views")
    assert scale.label == "Views on micro-credentials"
    assert scale.items == ("v1", "v2", "v3", "v4")
    matrix = _matrix(scale.items, {"MY", "IT", "DE"})  # rows without a country left out
    n, k = matrix.shape
    assert scale.n == n
    assert scale.alpha == pytest.approx(_alpha(matrix), rel=1e-12)
    assert scale.ci is not None
    df = (n - 1, (n - 1) * (k - 1))
    assert scale.ci.low == pytest.approx(
        1 - (1 - _alpha(matrix)) * f_distribution.ppf(0.975, *df), rel=1e-10
    )
    assert scale.ci.high == pytest.approx(
        1 - (1 - _alpha(matrix)) * f_distribution.ppf(0.025, *df), rel=1e-10
    )
    for at, deleted in enumerate(scale.if_deleted):
        assert deleted.item == scale.items[at]
        assert deleted.alpha == pytest.approx(_alpha(np.delete(matrix, at, axis=1)), rel=1e-12)
    answered = [
        row
        for row in ROWS
        if row[0] and any(row[ALL.index(i) + 1] not in ("", "dk") for i in scale.items)
    ]
    assert scale.n_incomplete == len(answered) - n


def test_per_group_alpha_only_with_enough_complete_cases(report: Report) -> None:
    scale = _scale(report, "more")
    by_group = {group.group: group for group in scale.groups}
    assert list(by_group) == ["DE", "IT", "MY"]
    for country in ("IT", "MY"):
        matrix = _matrix(scale.items, {country})
        assert by_group[country].n == len(matrix) >= MIN_GROUP_N
        assert by_group[country].alpha == pytest.approx(_alpha(matrix), rel=1e-12)
        assert by_group[country].ci is not None
    de = by_group["DE"]
    assert de.n == len(_matrix(scale.items, {"DE"})) < MIN_GROUP_N
    assert de.alpha is None and de.ci is None
    assert any(f"fewer than {MIN_GROUP_N} complete cases: DE ({de.n})" in w for w in scale.warnings)


def test_scales_sit_in_the_section_of_their_items(report: Report) -> None:
    placed = {section.name: [s.name for s in section.scales] for section in report.sections}
    assert placed == {"views": ["views"], "more": ["more"], "mixed": ["mixed"], "": []}


def test_the_filter_is_respected(frame: Frame, form: Form) -> None:
    report = build_report(frame, form=form, filter="country=MY")
    scale = _scale(report, "views")
    matrix = _matrix(scale.items, {"MY"})
    assert scale.n == len(matrix)
    assert scale.alpha == pytest.approx(_alpha(matrix), rel=1e-12)
    assert [group.group for group in scale.groups] == ["MY"]
    assert scale.groups[0].alpha == pytest.approx(scale.alpha)


def test_json_and_method_notes_carry_the_scales(report: Report) -> None:
    data = report_to_json(report)
    assert data["schema_version"] == 1
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == data
    views = next(section for section in data["sections"] if section["name"] == "views")
    (scale,) = views["scales"]
    expected = _scale(report, "views")
    assert scale["alpha"] == expected.alpha
    assert scale["n"] == expected.n
    assert [item["name"] for item in scale["items"]] == ["v1", "v2", "v3", "v4"]
    assert scale["items"][0]["alpha_if_deleted"] == expected.if_deleted[0].alpha
    assert scale["groups"]["DE"]["alpha"] is None
    assert scale["min_group_n"] == MIN_GROUP_N
    lone = next(section for section in data["sections"] if section["name"] == "")
    assert lone["scales"] == []
    note = next(n for n in report.method_notes if n.startswith("Scales: "))
    assert "for the 3 Likert grids (views (4 items), more (3 items), mixed (3 items))" in note
    assert "computed on complete cases only" in note


def test_published_alpha_example(form: Form) -> None:
    # ANALYSIS.md: Q1–Q3 for ten cases, alpha 0.7734375, 95% CI [0.336, 0.939].
    q1 = [1, 2, 2, 3, 2, 2, 3, 3, 2, 3]
    q2 = [1, 1, 1, 2, 3, 3, 2, 3, 3, 3]
    q3 = [1, 1, 2, 1, 2, 3, 3, 3, 2, 3]
    rows = [["MY", str(a), str(b), str(c)] for a, b, c in zip(q1, q2, q3, strict=True)]
    frame = load_external(
        FORM.encode(), "form.md", csv_file([("country", "m1", "m2", "m3"), *rows]), "data.csv"
    )
    scale = next(scale for scale in build_scales(frame) if scale.name == "more")
    assert scale.alpha == pytest.approx(0.7734375, rel=1e-12)
    assert scale.ci is not None
    assert scale.ci.low == pytest.approx(0.336, abs=5e-4)
    assert scale.ci.high == pytest.approx(0.939, abs=5e-4)
    assert any("rests on 10 complete cases" in w for w in scale.warnings)


PAIR = """
## survey
| type | name | label |
| --- | --- | --- |
| begin_group | pair | A pair |
| select_one agree | p1 | One |
| select_one agree | p2 | Two |
| end_group | | |

## choices
| list_name | name | label |
| --- | --- | --- |
| agree | 1 | Disagree |
| agree | 2 | 2 |
| agree | 3 | Agree |
"""


def test_a_pair_is_no_scale_and_no_scale_means_no_note() -> None:
    rows = [("country", "p1", "p2"), ("MY", "1", "2"), ("IT", "3", "3")]
    frame = load_external(PAIR.encode(), "form.md", csv_file(rows), "data.csv")
    report = build_report(frame)
    assert report.scales == () and grids(frame) == ()
    assert not any(note.startswith("Scales: ") for note in report.method_notes)
    assert all(section["scales"] == [] for section in report_to_json(report)["sections"])
