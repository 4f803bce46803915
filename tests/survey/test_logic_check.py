"""Static checks of expressions and of the dependencies between calculations."""

from __future__ import annotations

import pytest

from survey.logic import Problem, check, find_cycles, parse

QUESTIONS = ["age", "name", "colours"]


def messages(text: str, known: list[str] = QUESTIONS) -> list[str]:
    return [problem.message for problem in check(parse(text), known)]


def test_a_correct_expression_has_no_problems() -> None:
    text = "if(selected(${colours}, 'red'), string-length(${name}), round(${age} div 2, 1))"
    assert check(parse(text), QUESTIONS) == []


def test_unknown_references_are_reported_once_in_order() -> None:
    assert messages("${foo} + ${age} + ${bar} + ${foo}") == [
        "unknown question ${foo}",
        "unknown question ${bar}",
    ]


def test_unknown_functions() -> None:
    assert messages("frobnicate(${age})") == ["unknown function frobnicate()"]
    assert messages("jr:choice-name(${age}, '${age}')") == ["unknown function jr:choice-name()"]
    assert messages("IF(${age} > 1, 1, 0)") == [
        "unknown function IF(): function names are lower case, as in if()"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("selected(${colours})", "function selected() takes 2 arguments, got 1"),
        ("not()", "function not() takes 1 argument, got 0"),
        ("today(1)", "function today() takes 0 arguments, got 1"),
        ("round(1, 2, 3)", "function round() takes 1 or 2 arguments, got 3"),
        ("string-length(1, 2)", "function string-length() takes 0 or 1 arguments, got 2"),
        ("if(1, 2)", "function if() takes 3 arguments, got 2"),
    ],
)
def test_wrong_argument_counts(text: str, message: str) -> None:
    assert messages(text) == [message]


def test_any_number_of_arguments_for_concat() -> None:
    assert messages("concat()") == []
    assert messages("concat(" + ", ".join(["1"] * 50) + ")") == []


def test_invalid_literal_regex_patterns() -> None:
    assert messages("regex(${name}, '[a-z')") == [
        "invalid pattern '[a-z' in regex(): unterminated character set"
    ]
    assert messages("regex(${name}, 'a{99999999999}')") == [
        "invalid pattern 'a{99999999999}' in regex(): the repetition number is too large"
    ]
    # A pattern computed from answers can only be judged when answered.
    assert messages("regex(${name}, ${colours})") == []


def test_problems_inside_arguments_are_found() -> None:
    assert messages("if(${nope}, frob(), selected(1))") == [
        "unknown question ${nope}",
        "unknown function frob()",
        "function selected() takes 2 arguments, got 1",
    ]


def test_choice_filter_columns() -> None:
    expression = parse("country = ${country} and sise > 2", choice_filter=True)
    assert check(expression, ["country"]) == []
    assert check(expression, ["country"], known_columns=["country", "size"]) == [
        Problem('unknown column "sise" of the choices sheet')
    ]


@pytest.mark.parametrize(
    ("dependencies", "cycles"),
    [
        ({}, []),
        ({"a": ["b", "x"], "b": ["c"], "c": []}, []),
        ({"a": ["a"]}, [["a", "a"]]),
        ({"a": ["b"], "b": ["a"]}, [["a", "b", "a"]]),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, [["a", "b", "c", "a"]]),
        ({"top": ["left", "right"], "left": ["bottom"], "right": ["bottom"], "bottom": []}, []),
        ({"b": ["a"], "a": ["b"], "c": ["c"], "d": ["a"]}, [["b", "a", "b"], ["c", "c"]]),
        # Two loops through "a": one message, the shorter loop.
        ({"a": ["b", "c"], "b": ["c"], "c": ["a"]}, [["a", "c", "a"]]),
        ({"a": {"question"}, "question": set()}, []),
    ],
)
def test_find_cycles(
    dependencies: dict[str, list[str] | set[str]], cycles: list[list[str]]
) -> None:
    assert find_cycles(dependencies) == cycles


def test_find_cycles_on_a_long_chain() -> None:
    chain = {f"c{i}": [f"c{i + 1}"] for i in range(5000)}
    assert find_cycles(chain) == []
    chain["c5000"] = ["c0"]
    (cycle,) = find_cycles(chain)
    assert len(cycle) == 5002
    assert cycle[0] == cycle[-1] == "c0"
