"""Properties that must hold for every input: parse() fails only with ExpressionError,
evaluate() never fails, and conversions agree with each other."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.logic import (
    Expression,
    ExpressionError,
    evaluate,
    find_cycles,
    parse,
    to_number,
    to_string,
)

# No deadline: the machine is shared and slow. No database: nothing written to the repository.
QUICK = settings(max_examples=200, deadline=None, database=None)

NAMES = ["a", "b", "c", "q_1"]
EXPRESSION_CHARACTERS = "${}()'\" .,-+*=!<>/&|[]@:#\t\nabcdeimnorstv_0123456789“"

numbers = st.from_regex(r"[0-9]{1,6}(\.[0-9]{0,3})?|\.[0-9]{1,3}", fullmatch=True)
strings = st.text(st.characters(exclude_characters="'"), max_size=8).map(lambda s: f"'{s}'")
references = st.sampled_from(NAMES).map(lambda name: "${" + name + "}")
nullary = st.sampled_from(["true()", "false()", "today()", "string-length()", "concat()", "."])
leaves = numbers | strings | references | nullary

BINARY = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
ONE_ARGUMENT = [
    "not",
    "count-selected",
    "string-length",
    "number",
    "int",
    "round",
    "boolean",
    "string",
    "floor",
    "ceiling",
    "concat",
]
TWO_ARGUMENTS = ["selected", "regex", "coalesce", "contains", "starts-with", "round", "concat"]


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(" ".join),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"({c})"),
        st.tuples(st.sampled_from(ONE_ARGUMENT), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(TWO_ARGUMENTS), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    )


expressions = st.recursive(leaves, _extend, max_leaves=25)

answers_values = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=4),
    st.dates(),
    st.decimals(allow_nan=True, allow_infinity=True),
)
answers = st.dictionaries(st.sampled_from(NAMES), answers_values)


def _parses_or_fails_cleanly(text: str) -> None:
    outcome = _parse(text)
    if isinstance(outcome, ExpressionError):
        assert outcome.message
        assert 0 <= outcome.position <= len(text)
    else:
        assert outcome.source == text


def _parse(text: str) -> Expression | ExpressionError:
    try:
        return parse(text)
    except ExpressionError as error:
        return error


@QUICK
@given(st.text())
def test_parse_any_text_fails_only_with_expression_error(text: str) -> None:
    _parses_or_fails_cleanly(text)


@QUICK
@given(st.text(EXPRESSION_CHARACTERS, max_size=40))
def test_parse_expression_like_text_fails_only_with_expression_error(text: str) -> None:
    _parses_or_fails_cleanly(text)


@QUICK
@given(expressions, answers, answers_values)
def test_evaluate_never_raises(text: str, answered: dict[str, object], current: object) -> None:
    value = evaluate(parse(text), answered, current=current)
    assert isinstance(value, str | float | bool)


@QUICK
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_survive_a_round_trip_through_text(number: float) -> None:
    assert to_number(to_string(number)) == number


@QUICK
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_literals_evaluate_to_themselves(number: float) -> None:
    text = to_string(abs(number))
    assert evaluate(parse(text), {}) == abs(number)
    assert math.isnan(to_number(text + "x"))


graphs = st.dictionaries(
    st.sampled_from("abcdefgh"), st.lists(st.sampled_from("abcdefghxy"), max_size=3)
)


@QUICK
@given(graphs)
def test_every_reported_cycle_is_real(dependencies: dict[str, list[str]]) -> None:
    for cycle in find_cycles(dependencies):
        assert cycle[0] == cycle[-1]
        assert len(set(cycle[:-1])) == len(cycle) - 1
        for name, needed in itertools.pairwise(cycle):
            assert needed in dependencies[name]


@QUICK
@given(graphs)
def test_graphs_that_only_look_back_have_no_cycles(dependencies: dict[str, list[str]]) -> None:
    # Keep only dependencies on names earlier in the alphabet: an acyclic graph.
    acyclic = {name: [d for d in needs if d < name] for name, needs in dependencies.items()}
    assert find_cycles(acyclic) == []
