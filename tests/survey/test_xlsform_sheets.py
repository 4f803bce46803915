"""Refused sheets, headers, choices and settings, and every error of a file at once."""

from __future__ import annotations

import pytest

from survey.xlsform import FormInvalid, read_markdown_form
from tests.survey.xlsform_issues import assert_place, errors_of, the_error

SURVEY = """
## survey

| type | name | label |
| --- | --- | --- |
| select_multiple colours | colours | Favourite colours |
| select_one yn | ok | OK? |
"""


def with_choices(table: str) -> str:
    return f"{SURVEY}\n## choices\n\n{table}"


def test_no_survey_sheet_names_the_sheets_found() -> None:
    found = the_error(
        "## choices\n| list_name | name | label |\n| yn | yes | Yes |\n"
        "## settings\n| form_id |\n| x |",
        "NO_SURVEY_SHEET",
    )
    assert "“survey”" in found.message and "choices, settings" in found.message


def test_an_empty_workbook() -> None:
    found = the_error("", "NO_SURVEY_SHEET")
    assert "none" in found.message


def test_no_type_column() -> None:
    found = the_error("## survey\n| name | label |\n| age | Age |", "MISSING_COLUMN")
    assert_place(found, "survey", None, "type")


@pytest.mark.parametrize("missing", ["list_name", "name"])
def test_a_choices_sheet_without_its_columns(missing: str) -> None:
    headers = [h for h in ("list_name", "name", "label") if h != missing]
    table = "| " + " | ".join(headers) + " |\n| a | b |"
    found = the_error(
        f"## survey\n| type | name | label |\n| text | q | Q |\n## choices\n{table}",
        "MISSING_COLUMN",
    )
    assert_place(found, "choices", None, missing)


@pytest.mark.parametrize(
    ("sheet", "headers", "column", "letters"),
    [
        ("survey", "| type | name | label | label |", "label", "C and D"),
        (
            "survey",
            "| type | name | label::English (en) | label::English (en) |",
            "label::English (en)",
            "C and D",
        ),
        ("survey", "| type | name | label | relevant | relevant |", "relevant", "D and E"),
        ("choices", "| list_name | name | label | list name |", "list name", "A and D"),
    ],
)
def test_a_duplicate_column_header(sheet: str, headers: str, column: str, letters: str) -> None:
    survey = "| type | name | label |" if sheet == "choices" else headers
    choices = headers if sheet == "choices" else "| list_name | name | label |"
    found = the_error(
        f"## survey\n{survey}\n| text | q | Q |\n## choices\n{choices}\n| yn | y | Y |",
        "DUPLICATE_COLUMN",
    )
    assert_place(found, sheet, None, column)
    assert f"columns {letters}" in found.message


def test_a_duplicate_choice_in_a_list() -> None:
    found = the_error(
        with_choices(
            """
| list_name | name | label |
| --- | --- | --- |
| colours | red | Red |
| colours | blue | Blue |
| yn | yes | Yes |
| colours | red | Red again |
| yn | no | No |
"""
        ),
        "DUPLICATE_CHOICE",
    )
    assert_place(found, "choices", 5, "name")
    assert "“red”" in found.message and "“colours”" in found.message and "row 2" in found.message


def test_the_same_name_in_two_lists_is_fine() -> None:
    form = read_markdown_form(
        with_choices("| list_name | name | label |\n| colours | yes | Yes |\n| yn | yes | Yes |")
    ).form
    assert form.choices["colours"].names() == form.choices["yn"].names() == ("yes",)


def test_a_space_in_a_choice_of_a_select_multiple() -> None:
    found = the_error(
        with_choices(
            "| list_name | name | label |\n| colours | dark red | Dark red |\n| yn | yes | Yes |"
        ),
        "CHOICE_WITH_SPACE",
    )
    assert_place(found, "choices", 2, "name")
    assert "“dark red”" in found.message


def test_a_space_in_a_choice_of_a_select_one_is_fine() -> None:
    form = read_markdown_form(
        with_choices("| list_name | name | label |\n| colours | red | Red |\n| yn | not sure | ? |")
    ).form
    assert form.choices["yn"].names() == ("not sure",)


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        ("|  | green | Green |", "CHOICE_WITHOUT_LIST", "list_name"),
        ("| colours |  | Green |", "CHOICE_WITHOUT_NAME", "name"),
        ("| colours | green |  |", "CHOICE_WITHOUT_LABEL", "label"),
    ],
)
def test_an_incomplete_choice(row: str, code: str, column: str) -> None:
    found = the_error(
        with_choices(
            f"| list_name | name | label |\n| yn | yes | Yes |\n{row}\n| colours | red | R |"
        ),
        code,
    )
    assert_place(found, "choices", 3, column)


def test_a_choice_without_a_label_in_an_unused_list_is_fine() -> None:
    form = read_markdown_form(
        with_choices(
            "| list_name | name | label |\n| colours | red | Red |\n| yn | yes | Yes |\n"
            "| spare | x |  |"
        )
    ).form
    assert form.choices["spare"].names() == ("x",)


def test_a_default_language_that_matches_no_label_column() -> None:
    found = the_error(
        """
## survey

| type | name | label::English (en) | label::Deutsch (de) |
| --- | --- | --- | --- |
| text | q | Q | F |

## settings

| default_language |
| --- |
| English |
""",
        "BAD_DEFAULT_LANGUAGE",
    )
    assert_place(found, "settings", None, "default_language")
    assert "“English”" in found.message and "English (en), Deutsch (de)" in found.message


@pytest.mark.parametrize("form_id", ["1survey", "my survey", "survey/2", "é"])
def test_a_bad_form_id(form_id: str) -> None:
    found = the_error(
        f"## survey\n| type | name | label |\n| text | q | Q |\n"
        f"## settings\n| form_id |\n| --- |\n| {form_id} |",
        "BAD_FORM_ID",
    )
    assert_place(found, "settings", None, "form_id")
    assert f"“{form_id}”" in found.message


def test_every_error_of_a_file_is_reported_together() -> None:
    errors = errors_of(
        """
## survey

| type | name | label | relevant |
| --- | --- | --- | --- |
| text | 1st | First | |
| integer | age | Age | ${agee} > 1 |
| geopoint | where | Where? | |
| select_multiple colours | colours | Colours | |
| text | age | Age again | |

## choices

| list_name | name | label |
| --- | --- | --- |
| colours | red | Red |
| colours | red | Red again |
| colours | light blue | Light blue |

## settings

| form_id |
| --- |
| 2nd form |
"""
    )
    assert sorted((e.code, e.sheet, e.row) for e in errors) == [
        ("BAD_FORM_ID", "settings", None),
        ("BAD_NAME", "survey", 2),
        ("CHOICE_WITH_SPACE", "choices", 4),
        ("DUPLICATE_CHOICE", "choices", 3),
        ("DUPLICATE_NAME", "survey", 6),
        ("EXPRESSION_PROBLEM", "survey", 3),
        ("UNSUPPORTED_TYPE", "survey", 4),
    ]


def test_three_different_errors_give_three_issues() -> None:
    errors = errors_of(
        """
## survey

| type | name | label | calculation |
| --- | --- | --- | --- |
| text | name |  | |
| calculate | total | | |
| image | photo | Photo | |
"""
    )
    assert [e.code for e in errors] == [
        "MISSING_LABEL",
        "CALCULATE_WITHOUT_CALCULATION",
        "UNSUPPORTED_TYPE",
    ]


def test_broken_headers_stop_the_reading_before_the_rows() -> None:
    errors = errors_of(
        """
## survey

| type | name | label |
| --- | --- | --- |
| select_one yn | q | Q |

## choices

| list_name | label |
| --- | --- |
| yn | Yes |
"""
    )
    assert [e.code for e in errors] == ["MISSING_COLUMN"]  # not also "unknown list yn"


def test_the_exception_reads_as_the_first_errors_and_issues_serialise() -> None:
    with pytest.raises(FormInvalid) as caught:
        read_markdown_form("## survey\n| type | name | label |\n| text | 1 | A |\n| text | 2 | B |")
    assert str(caught.value) == "; ".join(e.message for e in caught.value.errors)
    assert caught.value.errors[0].as_dict() == {
        "code": "BAD_NAME",
        "message": caught.value.errors[0].message,
        "severity": "error",
        "sheet": "survey",
        "row": 2,
        "column": "name",
    }
