"""Expressions are checked when the form is read: syntax, references, functions, cycles."""

from __future__ import annotations

import pytest

from survey.xlsform import read_markdown_form
from tests.survey.xlsform_issues import assert_place, errors_of, the_error

HEADER = "| type | name | label | relevant | constraint | calculation | choice_filter | required |"
CHOICES = """
## choices

| list_name | name | label | region |
| --- | --- | --- | --- |
| district | d1 | North district | north |
| district | d2 | South district | south |
"""
COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "required")


def form(row: str) -> str:
    """A questionnaire where the row given is row 4, after an integer n and a text t."""
    return f"""
## survey

{HEADER}
| --- |
| integer | n | N | | | | | |
| text | t | T | | | | | |
{row}
{CHOICES}
"""


def cells(column: str, value: str) -> str:
    """Row 4: a question with ``value`` in ``column`` (a calculate for calculation)."""
    kind, label = ("calculate", "") if column == "calculation" else ("select_one district", "Q")
    values = [value if c == column else "" for c in COLUMNS]
    return f"| {kind} | q | {label} | " + " | ".join(values) + " |"


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("${n} >", 'after ">" at the end'),
        ("${n} >< 3", 'after ">" at character 7'),
        ("(${n} + 1", '"(" at character 1 is never closed'),
        ("${n} = 'open", "quote starting at character 8"),
        ("${n} == 1", '"==" at character 6'),
    ],
)
def test_a_syntax_error_names_the_cell_and_the_character(
    column: str, text: str, where: str
) -> None:
    code = "BAD_REQUIRED" if column == "required" else "BAD_EXPRESSION"
    found = the_error(form(cells(column, text)), code)
    assert_place(found, "survey", 4, column)
    assert where in found.message


def test_a_required_that_is_neither_yes_nor_an_expression() -> None:
    found = the_error(form(cells("required", "maybe")), "BAD_REQUIRED")
    assert_place(found, "survey", 4, "required")
    assert "“maybe”" in found.message and "at character 1" in found.message


@pytest.mark.parametrize("column", COLUMNS)
def test_an_unknown_reference(column: str) -> None:
    found = the_error(form(cells(column, "${nope} = 1")), "EXPRESSION_PROBLEM")
    assert_place(found, "survey", 4, column)
    assert "${nope}" in found.message


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("frobnicate(${n})", "unknown function frobnicate()"),
        ("IF(${n} > 1, 1, 0)", "unknown function IF()"),
        ("selected(${t})", "function selected() takes 2 arguments, got 1"),
        ("if(${n} > 1, 2)", "function if() takes 3 arguments, got 2"),
        ("today(1)", "function today() takes 0 arguments, got 1"),
        ("round(1, 2, 3)", "function round() takes 1 or 2 arguments, got 3"),
    ],
)
def test_unknown_functions_and_wrong_argument_counts(text: str, detail: str) -> None:
    found = the_error(form(cells("constraint", text)), "EXPRESSION_PROBLEM")
    assert_place(found, "survey", 4, "constraint")
    assert detail in found.message


def test_a_choice_filter_may_name_columns_of_the_choices_sheet_and_the_choice_name() -> None:
    text = form(cells("choice_filter", "region = 'north' and name != ${t}"))
    assert read_markdown_form(text).form.question("q").choice_filter.startswith("region")


def test_a_choice_filter_with_an_unknown_column() -> None:
    found = the_error(form(cells("choice_filter", "colour = 'red'")), "EXPRESSION_PROBLEM")
    assert_place(found, "survey", 4, "choice_filter")
    assert '"colour"' in found.message


def test_a_bare_name_outside_a_choice_filter_is_a_syntax_error() -> None:
    found = the_error(form(cells("relevant", "region = 'north'")), "BAD_EXPRESSION")
    assert_place(found, "survey", 4, "relevant")
    assert "${region}" in found.message  # suggests how to refer to a question


def test_a_group_relevant_is_checked_too() -> None:
    found = the_error(
        form(
            "| begin_group | g | G | ${gone} = 1 | | | | |\n| text | inside | I | | | | | |\n"
            "| end_group | | | | | | | |"
        ),
        "EXPRESSION_PROBLEM",
    )
    assert_place(found, "survey", 4, "relevant")
    assert "${gone}" in found.message


def test_questions_and_groups_may_be_referred_to_before_they_come() -> None:
    text = form("| text | early | E | ${late} != '' | | | | |\n| text | late | L | | | | | |")
    assert read_markdown_form(text).form.names() == ("n", "t", "early", "late")


def test_a_cycle_between_calculations() -> None:
    errors = errors_of(
        form(
            "| calculate | a | | | | ${b} + 1 | | |\n"
            "| calculate | b | | | | ${c} + 1 | | |\n"
            "| calculate | c | | | | ${a} + ${n} | | |"
        )
    )
    assert [e.code for e in errors] == ["CYCLE"]
    assert_place(errors[0], "survey", None, "calculation")
    assert "${a} → ${b} → ${c} → ${a}" in errors[0].message


def test_a_calculation_that_refers_to_itself() -> None:
    (found,) = errors_of(form("| calculate | a | | | | ${a} + 1 | | |"))
    assert found.code == "CYCLE" and "${a} → ${a}" in found.message


def test_a_chain_of_calculations_is_no_cycle() -> None:
    text = form("| calculate | a | | | | ${n} + 1 | | |\n| calculate | b | | | | ${a} * 2 | | |")
    assert read_markdown_form(text).form.question("b").calculation == "${a} * 2"


def test_every_bad_expression_of_a_row_is_reported() -> None:
    errors = errors_of(form("| integer | q | Q | ${x} = 1 | . > | nope(1) | | |"))
    assert [(e.code, e.column) for e in errors] == [
        ("EXPRESSION_PROBLEM", "relevant"),
        ("BAD_EXPRESSION", "constraint"),
        ("EXPRESSION_PROBLEM", "calculation"),
    ]
