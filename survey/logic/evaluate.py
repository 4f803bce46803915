"""Computes the value of a parsed expression from the answers given so far."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from survey.logic.functions import FUNCTIONS, Context
from survey.logic.operators import apply
from survey.logic.syntax import (
    Call,
    Column,
    Current,
    Expression,
    Negation,
    Node,
    Number,
    Operation,
    Reference,
    Text,
)
from survey.logic.values import Value, to_days, to_value, truthy

_NO_CHOICE: Mapping[str, object] = {}


def evaluate(
    expression: Expression,
    answers: Mapping[str, object],
    current: object = None,
    today: datetime.date | None = None,
    *,
    choice: Mapping[str, object] | None = None,
) -> Value:
    """The value of the expression; never raises.

    ``answers`` maps question names to answers (a missing name is unanswered, ""),
    ``current`` is the value of ``.``, ``today`` the date today() gives (by default
    the server's), and ``choice`` the row of the choices sheet a choice filter is
    tested on. A call that check() reports (unknown function, wrong number of
    arguments) evaluates to "".
    """
    context = Context(to_value(current), today if today is not None else local_today())
    evaluation = _Evaluation(answers, choice or _NO_CHOICE, context)
    try:
        return evaluation.value(expression.tree)
    except RecursionError:
        # parse() keeps trees at most 100 deep, so this takes a caller already near
        # the stack limit; an unanswerable expression then counts as unanswered.
        return ""


def local_today() -> datetime.date:
    """The server's local date, as date.today() would give it."""
    return datetime.datetime.now(datetime.UTC).astimezone().date()


class _Evaluation:
    def __init__(
        self, answers: Mapping[str, object], choice: Mapping[str, object], context: Context
    ) -> None:
        self.answers = answers
        self.choice = choice
        self.context = context

    def value(self, node: Node) -> Value:
        if isinstance(node, Number | Text):
            return node.value
        if isinstance(node, Reference):
            return to_value(self.answers.get(node.name))
        if isinstance(node, Column):
            return to_value(self.choice.get(node.name))
        if isinstance(node, Current):
            return self.context.current
        if isinstance(node, Negation):
            return -to_days(self.value(node.operand))
        if isinstance(node, Operation):
            return self.operation(node)
        return self.call(node)

    def operation(self, node: Operation) -> Value:
        result = self.value(node.first)
        for symbol, operand in node.rest:
            # and/or look at their right side only when needed, as XPath specifies.
            if symbol == "and":
                result = truthy(result) and truthy(self.value(operand))
            elif symbol == "or":
                result = truthy(result) or truthy(self.value(operand))
            else:
                result = apply(symbol, result, self.value(operand))
        return result

    def call(self, node: Call) -> Value:
        function = FUNCTIONS.get(node.name)
        if function is None or not function.accepts(len(node.arguments)):
            return ""
        return function.apply(self.context, [self.value(a) for a in node.arguments])
