"""Refused survey rows: every error names its code and its place (sheet, row, column)."""

from __future__ import annotations

import pytest

from tests.survey.xlsform_issues import assert_place, errors_of, the_error

SUPPORTED = (
    "text, integer, decimal, date, note, acknowledge, calculate, select_one LIST, "
    "select_multiple LIST, begin_group, end_group"
)
YES_NO = """
## choices

| list_name | name | label |
| --- | --- | --- |
| yn | yes | Yes |
| yn | no | No |
"""


def survey(*rows: str, header: str = "| type | name | label |", more: str = YES_NO) -> str:
    """A questionnaire whose first row is a valid question: the rows given start on row 3."""
    lines = "\n".join(rows)
    return f"## survey\n\n{header}\n| --- |\n| note | intro | Welcome |\n{lines}\n{more}"


def test_a_row_with_a_name_but_no_type() -> None:
    found = the_error(survey("|  | age | How old are you? |"), "MISSING_TYPE")
    assert_place(found, "survey", 3, "type")


def test_a_row_with_only_a_label_has_no_type_either() -> None:
    found = the_error(survey("|  |  | A question without type |"), "MISSING_TYPE")
    assert_place(found, "survey", 3, "type")


@pytest.mark.parametrize("kind", ["text", "begin_group"])
def test_a_missing_name(kind: str) -> None:
    rows = [f"| {kind} |  | Something |"] + (["| end_group | | |"] if kind == "begin_group" else [])
    found = the_error(survey(*rows), "MISSING_NAME")
    assert_place(found, "survey", 3, "name")
    assert f"“{kind}”" in found.message


@pytest.mark.parametrize("name", ["1st", "a b", "-a", ".a", "a$", "a/b", "über?"])
def test_a_bad_name(name: str) -> None:
    found = the_error(survey(f"| text | {name} | Q |"), "BAD_NAME")
    assert_place(found, "survey", 3, "name")
    assert f"“{name}”" in found.message


def test_a_duplicate_name_names_both_rows() -> None:
    found = the_error(
        survey(
            "| text | age | Age |", "| integer | size | Size |", "| integer | age | Age again |"
        ),
        "DUPLICATE_NAME",
    )
    assert_place(found, "survey", 5, "name")
    assert "“age”" in found.message and "row 3" in found.message


def test_names_are_unique_across_groups_and_between_groups_and_questions() -> None:
    errors = errors_of(
        survey(
            "| begin_group | g1 | G1 |",
            "| text | a | A |",
            "| end_group | | |",
            "| begin_group | g2 | G2 |",
            "| text | a | A |",
            "| text | g1 | G |",
            "| end_group | | |",
        )
    )
    assert [(e.code, e.row) for e in errors] == [("DUPLICATE_NAME", 7), ("DUPLICATE_NAME", 8)]


@pytest.mark.parametrize(
    "kind",
    [
        "begin repeat",
        "begin_repeat",
        "end_repeat",
        "image",
        "audio",
        "geopoint",
        "rank yn",
        "range",
        "time",
        "start",
        "select_one_from_file places.csv",
        "select one from file places.csv",
        "select_multiple_from_file places.csv",
        "select_one yn or_other",
    ],
)
def test_an_unsupported_type_is_refused_by_name(kind: str) -> None:
    found = the_error(survey(f"| {kind} | q | Q |"), "UNSUPPORTED_TYPE")
    assert_place(found, "survey", 3, "type")
    assert f"“{kind}”" in found.message
    assert SUPPORTED in found.message


@pytest.mark.parametrize("kind", ["frobnicate", "selectone yn", "select_one yn extra", "txt"])
def test_an_unknown_type(kind: str) -> None:
    found = the_error(survey(f"| {kind} | q | Q |"), "UNKNOWN_TYPE")
    assert_place(found, "survey", 3, "type")
    assert f"“{kind}”" in found.message and SUPPORTED in found.message


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("select_one", "select_one"),
        ("select_multiple", "select_multiple"),
        ("select one", "select_one"),
        ("select all that apply", "select_multiple"),
    ],
)
def test_a_select_without_a_list(kind: str, named: str) -> None:
    found = the_error(survey(f"| {kind} | q | Q |"), "SELECT_WITHOUT_LIST")
    assert_place(found, "survey", 3, "type")
    assert f"“{named} yes_no”" in found.message  # shows how to write it


def test_a_select_with_an_unknown_list() -> None:
    found = the_error(survey("| select_one colours | q | Q |"), "UNKNOWN_LIST")
    assert_place(found, "survey", 3, "type")
    assert "“colours”" in found.message


def test_a_select_without_a_choices_sheet() -> None:
    found = the_error(survey("| select_one yn | q | Q |", more=""), "NO_CHOICES_SHEET")
    assert_place(found, "survey", 3, "type")
    assert "“yn”" in found.message and "“choices”" in found.message and "“q”" in found.message


def test_an_end_group_without_a_begin_group() -> None:
    found = the_error(survey("| text | a | A |", "| end_group | | |"), "UNMATCHED_END")
    assert_place(found, "survey", 4, "type")


def test_a_group_that_is_never_closed() -> None:
    found = the_error(
        survey(
            "| begin_group | outer | Outer |",
            "| begin_group | inner | Inner |",
            "| text | a | A |",
            "| end_group | | |",
        ),
        "UNCLOSED_GROUP",
    )
    assert_place(found, "survey", 3, "type")
    assert "“outer”" in found.message and "end_group" in found.message


def test_a_group_with_a_bad_name_is_still_closed_by_its_end_group() -> None:
    found = the_error(
        survey("| begin_group | 2nd part | Part 2 |", "| text | a | A |", "| end_group | | |"),
        "BAD_NAME",
    )
    assert_place(found, "survey", 3, "name")


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("text", "text"),
        ("note", "note"),
        ("select_one yn", "select_one"),
        ("acknowledge", "acknowledge"),
    ],
)
def test_a_question_without_a_label(kind: str, shown: str) -> None:
    found = the_error(survey(f"| {kind} | q |  |"), "MISSING_LABEL")
    assert_place(found, "survey", 3, "label")
    assert f"{shown} “q”" in found.message


def test_a_hint_is_not_a_label() -> None:
    header = "| type | name | label | hint |"
    found = the_error(survey("| text | q |  | Only a hint |", header=header), "MISSING_LABEL")
    assert_place(found, "survey", 3, "label")


def test_groups_and_calculations_need_no_label() -> None:
    errors = errors_of(
        survey("| begin_group | g |  |", "| calculate | c |  |", "| end_group | | |")
    )
    assert [e.code for e in errors] == ["CALCULATE_WITHOUT_CALCULATION"]


def test_a_calculate_without_a_calculation() -> None:
    header = "| type | name | label | calculation |"
    found = the_error(
        survey("| calculate | total |  |  |", header=header), "CALCULATE_WITHOUT_CALCULATION"
    )
    assert_place(found, "survey", 3, "calculation")
    assert "“total”" in found.message


def test_a_form_with_only_calculations_has_no_questions() -> None:
    text = "## survey\n| type | name | calculation |\n| --- |\n| calculate | c | 1 + 1 |"
    (found,) = errors_of(text)
    assert found.code == "NO_QUESTIONS"
    assert_place(found, "survey")


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("randomize", "randomize"),
        ("max-pick = 3", "max-pick"),
        ("=3", "=3"),
        ("max-pick=three", "max-pick=three"),
        ("max-pick=0", "max-pick=0"),
        ("max-pick=-1", "max-pick=-1"),
        ("max-pick=2.5", "max-pick=2.5"),
        ("max-pick=²", "max-pick=²"),
        ("max_pick=many", "max_pick=many"),
    ],
)
def test_a_bad_parameter(written: str, problem: str) -> None:
    header = "| type | name | label | parameters |"
    errors = errors_of(survey(f"| select_multiple yn | q | Q | {written} |", header=header))
    assert {e.code for e in errors} == {"BAD_PARAMETER"}
    found = errors[0]
    assert_place(found, "survey", 3, "parameters")
    assert f"“{problem}”" in found.message and "max-pick=3" in found.message
