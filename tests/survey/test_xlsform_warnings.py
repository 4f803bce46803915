"""Warnings: the questionnaire can be used, and the author is told what has no effect."""

from __future__ import annotations

import pytest

from survey.xlsform import FormInvalid, FormIssue, Severity, read_markdown_form


def warnings_of(text: str) -> tuple[FormIssue, ...]:
    result = read_markdown_form(text)
    assert all(w.severity is Severity.WARNING for w in result.warnings)
    return result.warnings


def test_an_unknown_column_is_kept_in_the_question_and_reported() -> None:
    text = """
## survey

| type | name | label | media::image | bogus |
| --- | --- | --- | --- | --- |
| text | a | A | a.png | |
| text | b | B | | x |
"""
    result = read_markdown_form(text)
    assert [(w.code, w.sheet, w.row, w.column) for w in result.warnings] == [
        ("UNKNOWN_COLUMN", "survey", None, "D"),
        ("UNKNOWN_COLUMN", "survey", None, "E"),
    ]
    media = result.warnings[0].message
    assert "survey sheet" in media and "column D" in media and "“media::image”" in media
    assert dict(result.form.question("a").extra) == {"media::image": "a.png"}
    assert dict(result.form.question("b").extra) == {"bogus": "x"}


def test_a_sheet_that_is_not_xlsform_is_ignored_with_a_warning() -> None:
    (warning,) = warnings_of(
        """
## survey

| type | name | label |
| --- | --- | --- |
| text | a | A |

## Notes for translators

| who | what |
| --- | --- |
| Ana | Spanish |
"""
    )
    assert (warning.code, warning.sheet) == ("IGNORED_SHEET", "Notes for translators")
    assert "“Notes for translators”" in warning.message


def test_a_second_survey_sheet_is_ignored_with_a_warning() -> None:
    result = read_markdown_form(
        """
## survey

| type | name | label |
| --- | --- | --- |
| text | a | A |

## Survey

| type | name | label |
| --- | --- | --- |
| text | b | B |
"""
    )
    assert result.form.names() == ("a",)
    assert [(w.code, w.sheet) for w in result.warnings] == [("IGNORED_SHEET", "Survey")]


def test_missing_translations_name_their_rows_compressed() -> None:
    warnings = warnings_of(
        """
## settings

| default_language |
| --- |
| English (en) |

## survey

| type | name | label::English (en) | label::Français (fr) | hint::English (en) | hint::Français (fr) |
| --- | --- | --- | --- | --- | --- |
| text | a | A | Aa | | |
| text | b | B | | In full | |
| text | c | C | | | |
| text | d | D | | | |
| text | e | E | Ee | | |
| text | f | F | Ff | | |
| text | g | G | Gg | | |
| text | h | H | | | |
"""  # noqa: E501
    )
    assert [(w.code, w.sheet, w.column) for w in warnings] == [
        ("MISSING_TRANSLATION", "survey", "label::Français (fr)"),
        ("MISSING_TRANSLATION", "survey", "hint::Français (fr)"),
    ]
    label, hint = (w.message for w in warnings)
    assert "rows 3–5, 9" in label
    assert "Français (fr)" in label and "English (en)" in label and "survey sheet" in label
    assert "on row 3;" in hint


def test_missing_translations_of_choices_are_reported_too() -> None:
    (warning,) = warnings_of(
        """
## survey

| type | name | label::English (en) | label::Deutsch (de) |
| --- | --- | --- | --- |
| select_one yn | q | Q | F |

## choices

| list_name | name | label::English (en) | label::Deutsch (de) |
| --- | --- | --- | --- |
| yn | yes | Yes | Ja |
| yn | no | No | |
| yn | dk | Don't know | |
"""
    )
    assert (warning.code, warning.sheet, warning.column) == (
        "MISSING_TRANSLATION",
        "choices",
        "label::Deutsch (de)",
    )
    assert "choices sheet" in warning.message and "rows 3–4" in warning.message


def test_a_single_language_has_no_missing_translations() -> None:
    assert (
        warnings_of("## survey\n| type | name | label |\n| text | a | A |\n| note | n | N |") == ()
    )


@pytest.mark.parametrize(
    "appearance",
    ["minimal", "likert", "field-list", "table-list", "multiline", "horizontal", "minimal likert"],
)
def test_known_appearances_give_no_warning(appearance: str) -> None:
    text = f"## survey\n| type | name | label | appearance |\n| text | a | A | {appearance} |"
    assert warnings_of(text) == ()


def test_an_unknown_appearance_is_reported_with_its_row() -> None:
    (warning,) = warnings_of(
        """
## survey

| type | name | label | appearance |
| --- | --- | --- | --- |
| text | a | A | |
| text | b | B | minimal quick |
"""
    )
    assert (warning.code, warning.sheet, warning.row, warning.column) == (
        "BAD_APPEARANCE",
        "survey",
        3,
        "appearance",
    )
    assert "row 3" in warning.message and "“quick”" in warning.message
    assert "field-list" in warning.message  # what is supported


def test_a_version_that_is_not_digits_is_reported() -> None:
    text = """
## survey

| type | name | label |
| --- | --- | --- |
| text | a | A |

## settings

| version |
| --- |
| v1.2 |
"""
    (warning,) = warnings_of(text)
    assert (warning.code, warning.sheet, warning.column) == ("BAD_VERSION", "settings", "version")
    assert "settings sheet" in warning.message and "“v1.2”" in warning.message
    assert read_markdown_form(text).form.version == "v1.2"


def test_warnings_come_with_the_errors_of_a_refused_form() -> None:
    with pytest.raises(FormInvalid) as caught:
        read_markdown_form(
            """
## survey

| type | name | label | colour |
| --- | --- | --- | --- |
| text | 1a | A | red |
"""
        )
    issues = caught.value.issues
    assert [(i.code, i.severity) for i in issues] == [
        ("UNKNOWN_COLUMN", Severity.WARNING),
        ("BAD_NAME", Severity.ERROR),
    ]
    assert [i.code for i in caught.value.errors] == ["BAD_NAME"]
