"""What can be found wrong with an expression before anyone answers the form."""

from __future__ import annotations

import re
from collections.abc import Collection

from survey.logic.errors import ExpressionMessage, Problem
from survey.logic.functions import FUNCTIONS, REGEX_FAILURES
from survey.logic.syntax import Call, Column, Expression, Reference, Text, walk


def check(
    expression: Expression,
    known_names: Collection[str],
    known_columns: Collection[str] | None = None,
) -> list[Problem]:
    """Unknown questions, unknown functions, wrong argument counts and invalid regex patterns.

    ``known_columns``, when given, are the columns of the choices sheet a choice
    filter may use. Each problem is reported once, in the order of the text.
    """
    messages: list[str] = []
    for node in walk(expression.tree):
        message = None
        if isinstance(node, Reference) and node.name not in known_names:
            message = ExpressionMessage.UNKNOWN_REFERENCE.format(name=node.name)
        elif isinstance(node, Column) and not _known(node.name, known_columns):
            message = ExpressionMessage.UNKNOWN_COLUMN.format(name=node.name)
        elif isinstance(node, Call):
            message = _check_call(node)
        if message is not None and message not in messages:
            messages.append(message)
    return [Problem(message) for message in messages]


def _known(column: str, known_columns: Collection[str] | None) -> bool:
    return known_columns is None or column in known_columns


def _check_call(call: Call) -> str | None:
    function = FUNCTIONS.get(call.name)
    if function is None:
        if call.name.lower() in FUNCTIONS:
            # Excel spells functions in capitals; XPath does not.
            return ExpressionMessage.UNKNOWN_FUNCTION_CASE.format(
                name=call.name, known=call.name.lower()
            )
        return ExpressionMessage.UNKNOWN_FUNCTION.format(name=call.name)
    if not function.accepts(len(call.arguments)):
        return ExpressionMessage.WRONG_ARITY.format(
            name=call.name, expected=function.arity(), got=len(call.arguments)
        )
    if call.name == "regex" and isinstance(pattern := call.arguments[1], Text):
        try:
            re.compile(pattern.value)
        except REGEX_FAILURES as error:
            return ExpressionMessage.INVALID_REGEX.format(
                pattern=pattern.value, reason=_regex_reason(error)
            )
    return None


def _regex_reason(error: Exception) -> str:
    if isinstance(error, re.error):
        return error.msg
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    return str(error)
