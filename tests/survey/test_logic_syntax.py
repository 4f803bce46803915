"""Syntax errors, as a form author reads them: a message in plain words and where to look."""

from __future__ import annotations

import pytest

from survey.logic import MAX_DEPTH, ExpressionError, parse

# (expression, message, 0-based position); messages count characters from 1.
ERRORS: list[tuple[str, str, int]] = [
    ("", "The expression is empty", 0),
    ("   ", "The expression is empty", 0),
    ("(${a} = 1))", 'Unexpected ")" at character 11', 10),
    ("${a} = 'yes", "Unclosed quote starting at character 8", 7),
    ('concat("a, ${b})', "Unclosed quote starting at character 8", 7),
    ("${} = 1", "${} at character 1 is empty: write the name of a question between the braces", 0),
    ("${a} and ", 'Expected an expression after "and" at the end', 9),
    ("${a} and or ${b}", 'Expected an expression after "and" at character 10', 9),
    ("1 +* 2", 'Expected an expression after "+" at character 4', 3),
    ("-", 'Expected an expression after "-" at the end', 1),
    ("()", 'Expected an expression after "(" at character 2', 1),
    ("(1 + 2", 'The bracket "(" at character 1 is never closed: add ")"', 0),
    ("concat('a'", 'The bracket "(" at character 7 is never closed: add ")"', 6),
    ("concat('a',", 'Expected an expression after "," at the end', 11),
    ("concat('a',,'b')", 'Expected an expression after "," at character 12', 11),
    ("if(${a} = 1 'x', 'y')", 'Expected "," or ")" in if() at character 13, found "\'x\'"', 12),
    ("${a} ${b}", 'Expected an operator such as =, and, or, + before "${b}" at character 6', 5),
    ("'it''s'", "Expected an operator such as =, and, or, + before \"'s'\" at character 5", 4),
    ("1.2.3", 'Expected an operator such as =, and, or, + before ".3" at character 4', 3),
    ("= 1", 'Unexpected "=" at character 1', 0),
    ("f(,)", 'Unexpected "," at character 3', 2),
    (
        "${a",
        'The question reference "${" at character 1 is never closed: add "}" after the name',
        0,
    ),
    (
        "${a = ${b}",
        'The question reference "${" at character 1 is never closed: add "}" after the name',
        0,
    ),
    (
        "$age > 3",
        '"$" at character 1 must be followed by a question name in braces, as in ${age}',
        0,
    ),
    (
        "${first name}",
        '"${first name}" at character 1 is not a valid question name: a name starts with a '
        "letter or _ and has only letters, digits, _, - and .",
        0,
    ),
    ("${1st}", '"${1st}" at character 1 is not a valid question name', 0),
    (
        "${a} = yes",
        "Unexpected word \"yes\" at character 8: write text in quotes ('yes') and "
        "questions as ${yes}",
        7,
    ),
    (
        "${a} = true",
        'Unexpected word "true" at character 8: a function needs brackets, as in true()',
        7,
    ),
    ("${a} <> 1", '"<>" at character 6 is not an operator in XLSForm: write != for "not equal"', 5),
    (
        "${a} == 1",
        '"==" at character 6 is not an operator in XLSForm: write a single = to compare',
        5,
    ),
    ("${a} && ${b}", '"&&" at character 6 is not an operator in XLSForm: write and', 5),
    ("${a} & 'x'", '"&" at character 6 is not an operator in XLSForm: write concat(a, b)', 5),
    ("!${a}", '"!" at character 1 is not an operator in XLSForm: write != to compare', 0),
    ("${a} / 2", '"/" at character 6 is not an operator in XLSForm: write div to divide', 5),
    ("../age > 3", '".." at character 1: XPath paths are not supported', 0),
    ("${a}[1]", '"[" at character 5: XPath paths are not supported', 4),
    ("${a} = “yes”", "Curly quote “ at character 8: type straight quotes", 7),
    ("${a}\u00a0= 1", "Unexpected invisible character U+00A0 at character 5: delete it", 4),
    ("${a} = 1 #", 'Unexpected "#" at character 10', 9),
    ("4div2", 'Expected an operator such as =, and, or, + before "div2" at character 2', 1),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS)
def test_syntax_errors_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.message.startswith(message)
    assert str(caught.value) == caught.value.message
    assert caught.value.position == position


def test_long_literals_are_shortened_in_messages() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("1 '" + "x" * 200 + "'")
    assert "…" in caught.value.message
    assert len(caught.value.message) < 120


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1),
        "(" * 5000 + "1",
        "-" * 5000 + "1",
        "not(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1),
        "concat(" * 5000,
    ],
)
def test_deep_nesting_is_a_clean_error(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert "nested too deeply" in caught.value.message
    assert 0 <= caught.value.position < len(text)


def test_whitespace_and_keywords() -> None:
    assert parse("\t${a}\r\n=\n1 ").references() == {"a"}
    assert parse("${a} mod 2 = 0 and ${b} div 2 > 1 or ${c}").references() == {"a", "b", "c"}
    # Operator words where an operand belongs are a mistake, not names.
    with pytest.raises(ExpressionError, match='Unexpected "div" at character 1'):
        parse("div(1)")


def test_names_follow_xlsform_rules() -> None:
    expression = parse("${_a.b-c9} + ${Größe} + ${x_1}")
    assert expression.references() == {"_a.b-c9", "Größe", "x_1"}


def test_prefixed_function_names_parse_so_check_can_name_them() -> None:
    assert parse("jr:choice-name(${a}, '${a}')").functions() == {"jr:choice-name"}


def test_bare_names_are_columns_only_in_choice_filters() -> None:
    assert parse("country = ${country}", choice_filter=True).columns() == {"country"}
    with pytest.raises(ExpressionError):
        parse("country = ${country}")
