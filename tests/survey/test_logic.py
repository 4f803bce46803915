"""Evaluating XLSForm expressions: ODK semantics on answers given as a plain dict."""

from __future__ import annotations

import dataclasses
import datetime
import math
from decimal import Decimal

import pytest

from survey.logic import (
    FUNCTIONS,
    Expression,
    Value,
    evaluate,
    parse,
    to_number,
    to_string,
    to_value,
    truthy,
)

NAN = math.nan
INF = math.inf
TODAY = datetime.date(2025, 6, 1)

# A respondent's answers, as the platform stores them.
ANSWERS: dict[str, object] = {
    "age": 34,
    "name": "Ada",
    "empty": "",
    "unanswered": None,
    "colours": ["red", "blue"],
    "colours_text": "red blue",
    "score": "5",
    "price": Decimal("2.50"),
    "born": datetime.date(1990, 5, 17),
    "visited": datetime.date(2024, 1, 31),
    "consent": True,
    "ratio": 0.5,
}
CURRENT = "7"

CASES: list[tuple[str, Value]] = [
    # literals, references and "."
    ("1", 1.0),
    ("2.50", 2.5),
    (".5", 0.5),
    ("'single'", "single"),
    ('"double"', "double"),
    ("${age}", 34.0),
    ("${name}", "Ada"),
    ("${unanswered}", ""),
    ("${missing}", ""),
    ("${colours}", "red blue"),
    ("${born}", "1990-05-17"),
    ("${price}", 2.5),
    ("${consent}", True),
    (".", "7"),
    ("  1\n+\t2  ", 3.0),
    # arithmetic and precedence
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("10 - 4 - 3", 3.0),
    ("7 div 2", 3.5),
    ("2 * 3 div 4", 1.5),
    ("7 mod 3", 1.0),
    ("-7 mod 3", -1.0),
    ("7 mod -3", 1.0),
    ("2 + 3 * 4 - 6 div 2 mod 2", 13.0),
    ("-2 * 3", -6.0),
    ("-2 * -3", 6.0),
    ("- ${age}", -34.0),
    ("--4", 4.0),
    ("${score} + 1", 6.0),
    ("${ratio} * ${price}", 1.25),
    ("true() + 1", 2.0),
    # NaN: arithmetic on text that is not a number
    ("${name} + 1", NAN),
    ("${empty} + 1", NAN),
    ("${unanswered} * 2", NAN),
    ("-'abc'", NAN),
    # division by zero, as IEEE 754
    ("1 div 0", INF),
    ("-1 div 0", -INF),
    ("1 div -0", -INF),
    ("0 div 0", NAN),
    ("1 mod 0", NAN),
    ("${age} div 0", INF),
    # dates: days since 1970-01-01 in arithmetic, date order in comparisons
    ("'2024-01-31' - '2024-01-01'", 30.0),
    ("int((${visited} - ${born}) div 365.25)", 33.0),
    ("'1970-01-02' + 0", 1.0),
    ("'2024-02-30' - 1", NAN),
    ("'2024-01-31' > '2023-12-31'", True),
    ("${visited} > ${born}", True),
    ("${born} >= '1990-05-17'", True),
    ("${born} < '1990-05-17'", False),
    ("today() > '2000-01-01'", True),
    ("${empty} < '2020-01-01'", False),
    # = and != as ODK: booleans, then numbers, then text
    ("'5' = 5", True),
    ("5 = '5.0'", True),
    ("${score} = 5", True),
    ("${age} = '34'", True),
    ("'' = 0", False),
    ("'' != 0", True),
    ("'abc' = 0", False),
    ("'abc' != 0", True),
    ("'a' = 'a'", True),
    ("'a' = 'A'", False),
    ("'1.0' = '1'", False),
    ("1 = true()", True),
    ("0 = false()", True),
    ("'' = false()", True),
    ("'no' = true()", True),
    ("${unanswered} = ''", True),
    ("${missing} != ''", False),
    ("1 != 2", True),
    ("0 div 0 = 0 div 0", False),
    ("0 div 0 != 0 div 0", True),
    ("1 + 1 = 2", True),
    ("1 < 2 = true()", True),
    # < <= > >= as numbers
    ("2 < 10", True),
    ("'2' < '10'", True),
    ("'abc' < 1", False),
    ("'abc' >= 1", False),
    ("3 <= 3", True),
    ("3 >= 4", False),
    ("3 > 2 > 1", False),
    ("true() > false()", True),
    # and, or
    ("1 = 1 and 2 = 2", True),
    ("1 = 1 and 2 = 3", False),
    ("1 = 2 or 2 = 2", True),
    ("1 = 2 or 2 = 3", False),
    ("1 = 1 or 1 = 1 and 1 = 2", True),
    ("${empty} or ${name}", True),
    ("${age} and ${unanswered}", False),
    ("${age}and${consent}", True),
    # functions
    ("not(${consent})", False),
    ("not('')", True),
    ("selected(${colours}, 'red')", True),
    ("selected(${colours}, 'green')", False),
    ("selected(${colours}, 're')", False),
    ("selected(${colours_text}, 'blue')", True),
    ("selected(${unanswered}, 'red')", False),
    ("count-selected(${colours})", 2.0),
    ("count-selected('')", 0.0),
    ("count-selected(${unanswered})", 0.0),
    ("count-selected(' a  b ')", 2.0),
    ("string-length(${name})", 3.0),
    ("string-length('')", 0.0),
    ("string-length()", 1.0),
    ("string-length(12.50)", 4.0),
    ("regex('AB-123', '^[A-Z]{2}-[0-9]+$')", True),
    ("regex('ab', '^[0-9]+$')", False),
    ("regex('abc', 'b')", True),
    ("regex('abc', '[')", False),
    ("regex(., '^[0-9]+$')", True),
    ("if(${age} >= 18, 'adult', 'minor')", "adult"),
    ("if(${unanswered}, 1, 2)", 2.0),
    ("coalesce(${unanswered}, 'none')", "none"),
    ("coalesce(${name}, 'none')", "Ada"),
    ("coalesce(0, 5)", 0.0),
    ("concat()", ""),
    ("concat(${name}, ' is ', ${age})", "Ada is 34"),
    ("concat(1 div 2, true(), ${unanswered})", "0.5true"),
    ("number('  12.5 ')", 12.5),
    ("number('-.5')", -0.5),
    ("number('1e3')", NAN),
    ("number('')", NAN),
    ("number(true())", 1.0),
    ("int(3.9)", 3.0),
    ("int(-3.9)", -3.0),
    ("int('7.2')", 7.0),
    ("int('x')", NAN),
    ("int(1 div 0)", INF),
    ("round(2.5)", 3.0),
    ("round(-2.5)", -3.0),
    ("round(2.4)", 2.0),
    ("round(3.14159, 2)", 3.14),
    ("round(2.675, 2)", 2.68),
    ("round(-1.005, 2)", -1.01),
    ("round(1250, -2)", 1300.0),
    ("round(1, 'x')", NAN),
    ("today()", "2025-06-01"),
    ("contains(${name}, 'd')", True),
    ("contains('abc', '')", True),
    ("contains(${unanswered}, 'a')", False),
    ("starts-with(${name}, 'Ad')", True),
    ("starts-with(${name}, 'da')", False),
    ("true()", True),
    ("false()", False),
    ("boolean('')", False),
    ("boolean('false')", True),
    ("boolean(0)", False),
    ("boolean(0 div 0)", False),
    ("boolean(-1)", True),
    ("string(2.0)", "2"),
    ("string(1 div 4)", "0.25"),
    ("string(0.0000001)", "0.0000001"),
    ("string(true())", "true"),
    ("string(0 div 0)", "NaN"),
    ("string(1 div 0)", "Infinity"),
    ("string(-1 div 0)", "-Infinity"),
    ("string(-0)", "0"),
    ("floor(2.7)", 2.0),
    ("floor(-2.2)", -3.0),
    ("ceiling(2.1)", 3.0),
    ("ceiling(-2.7)", -2.0),
    ("floor('x')", NAN),
    # calls check() reports evaluate to ""
    ("frobnicate(1)", ""),
    ("selected('a')", ""),
]


def assert_same(actual: Value, expected: Value) -> None:
    """Equal and of the same XPath type (True == 1.0 in Python, not in XPath); NaN is NaN."""
    assert type(actual) is type(expected), f"{actual!r} is not a {type(expected).__name__}"
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(actual, float) and math.isnan(actual)
    else:
        assert actual == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_expression_values(text: str, expected: Value) -> None:
    assert_same(evaluate(parse(text), ANSWERS, current=CURRENT, today=TODAY), expected)


def test_the_table_covers_every_function() -> None:
    called = set().union(*(parse(text).functions() for text, _ in CASES))
    assert set(FUNCTIONS) <= called


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (None, ""),
        ("", ""),
        ("text", "text"),
        (3, 3.0),
        (10**400, INF),
        (-(10**400), -INF),
        (2.5, 2.5),
        (True, True),
        (Decimal("1.10"), 1.1),
        (Decimal("sNaN"), NAN),
        (datetime.date(2024, 2, 29), "2024-02-29"),
        (datetime.datetime(2024, 2, 29, 13, 5, tzinfo=datetime.UTC), "2024-02-29T13:05:00+00:00"),
        (["a", "b"], "a b"),
        (("a",), "a"),
        ([], ""),
    ],
)
def test_answers_are_normalised(answer: object, expected: Value) -> None:
    assert_same(to_value(answer), expected)
    assert_same(evaluate(parse("${q}"), {"q": answer}), expected)
    assert_same(evaluate(parse("."), {}, current=answer), expected)


def test_today_defaults_to_the_local_date() -> None:
    before = datetime.datetime.now(datetime.UTC).astimezone().date()
    value = evaluate(parse("today()"), {})
    after = datetime.datetime.now(datetime.UTC).astimezone().date()
    assert value in {before.isoformat(), after.isoformat()}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1"),
        (2.5, "2.5"),
        (-0.5, "-0.5"),
        (1e21, "1000000000000000000000"),
        (True, "true"),
        (False, "false"),
        ("x", "x"),
        (1e-7, "0.0000001"),
        (NAN, "NaN"),
    ],
)
def test_to_string(value: Value, expected: str) -> None:
    assert to_string(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 5 ", 5.0),
        ("-1.5", -1.5),
        ("5.", 5.0),
        ("", NAN),
        ("abc", NAN),
        ("1e3", NAN),
        ("inf", NAN),
        ("1_000", NAN),
        ("+5", NAN),
        ("٣", NAN),
        (True, 1.0),
        (False, 0.0),
        (2.0, 2.0),
    ],
)
def test_to_number(value: Value, expected: float) -> None:
    assert_same(to_number(value), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", False),
        ("false", True),
        (" ", True),
        (0.0, False),
        (-0.0, False),
        (NAN, False),
        (0.1, True),
        (INF, True),
        (True, True),
        (False, False),
    ],
)
def test_truthy(value: Value, expected: bool) -> None:
    assert truthy(value) is expected


def test_choice_filter_columns_come_from_the_choice() -> None:
    expression = parse("country = ${country} and size > 2", choice_filter=True)
    answers = {"country": "de"}
    assert evaluate(expression, answers, choice={"country": "de", "size": 3}) is True
    assert evaluate(expression, answers, choice={"country": "fr", "size": 3}) is False
    assert evaluate(expression, answers) is False


def test_long_flat_expressions_evaluate() -> None:
    assert_same(evaluate(parse(" + ".join(["1"] * 5000)), {}), 5000.0)
    assert_same(evaluate(parse(" or ".join(["false()"] * 5000)), {}), False)


def test_nesting_up_to_the_limit_evaluates() -> None:
    assert_same(evaluate(parse("not(" * 99 + "1" + ")" * 99), {}), False)


def test_expression_reports_what_it_uses() -> None:
    expression = parse("if(selected(${a}, 'x'), string-length(.), count-selected(${b})) + ${a}")
    assert expression.references() == {"a", "b"}
    assert expression.functions() == {"if", "selected", "string-length", "count-selected"}
    assert expression.uses_current()
    assert not parse("${a} = 1").uses_current()
    assert parse("string-length() > 3").uses_current()
    assert parse("name = ${a}", choice_filter=True).columns() == {"name"}


def test_expressions_are_immutable_values() -> None:
    expression = parse("${a} + 1")
    assert isinstance(expression, Expression)
    assert expression == parse("${a} + 1")
    assert hash(expression) == hash(parse("${a} + 1"))
    assert expression.source == "${a} + 1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.source = "2"  # type: ignore[misc]
