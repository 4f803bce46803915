"""The binary operators other than and/or: ODK comparisons and IEEE arithmetic that never raises."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from survey.logic.values import Value, to_days, to_number, truthy

_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def apply(symbol: str, left: Value, right: Value) -> Value:
    """``left symbol right`` for a comparison or arithmetic operator."""
    if symbol in ("=", "!="):
        return equal(left, right) == (symbol == "=")
    if symbol in _ORDER:
        return order(symbol, left, right)
    return arithmetic(symbol, to_days(left), to_days(right))


def equal(left: Value, right: Value) -> bool:
    """XPath ``=``: as booleans if either side is one, else as numbers if either is, else text."""
    if isinstance(left, bool) or isinstance(right, bool):
        return truthy(left) == truthy(right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    # NaN equals nothing, so "abc" = 1 and "" = 0 are false (and != is true).
    return to_number(left) == to_number(right)


def order(symbol: str, left: Value, right: Value) -> bool:
    """XPath ``< <= > >=``: as numbers, where an ISO date counts as its day number (as in ODK)."""
    return _ORDER[symbol](to_days(left), to_days(right))


def arithmetic(symbol: str, a: float, b: float) -> float:
    if symbol == "+":
        return a + b
    if symbol == "-":
        return a - b
    if symbol == "*":
        return a * b
    if symbol == "div":
        return divide(a, b)
    return modulo(a, b)


def divide(a: float, b: float) -> float:
    """IEEE 754 division, as XPath specifies: 1 div 0 is Infinity, 0 div 0 is NaN."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        # The sign of zero counts: 1 div -0 is -Infinity.
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def modulo(a: float, b: float) -> float:
    """XPath mod: the remainder of truncating division, with the sign of the dividend."""
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)
