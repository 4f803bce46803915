"""The functions an expression may call: how many arguments each takes and what it computes.

Every argument arrives already evaluated: the functions are pure, so evaluating
both branches of if() changes nothing but the time taken.
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from survey.logic.values import Value, to_number, to_string, truthy

# Enough digits for any float rounded to any place between 10^-350 and 10^350.
_DECIMALS = decimal.Context(prec=1000, rounding=decimal.ROUND_HALF_UP)
_PLACES = 350
_XML_WHITESPACE = "[ \t\r\n]+"
# What compiling a bad pattern may raise: re.error, or for extreme ones (huge
# repetition counts, very deep groups) OverflowError, RecursionError or ValueError.
REGEX_FAILURES = (re.error, OverflowError, RecursionError, ValueError)


@dataclass(frozen=True)
class Context:
    """What an expression sees besides the answers."""

    current: Value
    today: datetime.date


@dataclass(frozen=True)
class Function:
    minimum: int
    maximum: int | None  # None: any number
    apply: Callable[[Context, Sequence[Value]], Value]

    def accepts(self, count: int) -> bool:
        return self.minimum <= count and (self.maximum is None or count <= self.maximum)

    def arity(self) -> str:
        """How many arguments it takes, in words: "1 argument", "1 or 2 arguments"."""
        if self.maximum is None:
            return f"at least {_arguments(self.minimum)}"
        if self.minimum == self.maximum:
            return _arguments(self.minimum)
        joiner = "or" if self.maximum == self.minimum + 1 else "to"
        return f"{self.minimum} {joiner} {self.maximum} arguments"


def _arguments(count: int) -> str:
    return "1 argument" if count == 1 else f"{count} arguments"


def _words(text: str) -> list[str]:
    """The choices in a select_multiple answer."""
    return [word for word in re.split(_XML_WHITESPACE, text) if word]


def _selected(_: Context, args: Sequence[Value]) -> Value:
    return to_string(args[1]).strip(" \t\r\n") in _words(to_string(args[0]))


def _string_length(context: Context, args: Sequence[Value]) -> Value:
    return float(len(to_string(args[0] if args else context.current)))


def _regex(_: Context, args: Sequence[Value]) -> Value:
    """Python re.search semantics: the pattern may match anywhere; a bad pattern is false."""
    try:
        return re.search(to_string(args[1]), to_string(args[0])) is not None
    except REGEX_FAILURES:
        return False


def _int(_: Context, args: Sequence[Value]) -> Value:
    number = to_number(args[0])
    return float(math.trunc(number)) if math.isfinite(number) else number


def _floor(_: Context, args: Sequence[Value]) -> Value:
    number = to_number(args[0])
    return float(math.floor(number)) if math.isfinite(number) else number


def _ceiling(_: Context, args: Sequence[Value]) -> Value:
    number = to_number(args[0])
    return float(math.ceil(number)) if math.isfinite(number) else number


def _round(_: Context, args: Sequence[Value]) -> Value:
    number = to_number(args[0])
    places = to_number(args[1]) if len(args) > 1 else 0.0
    if math.isnan(places):
        return math.nan
    return round_half_away(number, int(max(-_PLACES, min(_PLACES, places))))


def round_half_away(number: float, places: int) -> float:
    """Round to ``places`` decimals, halves away from zero, as in Excel: 2.5 → 3, -2.5 → -3.

    The number is rounded as it is written (2.675 → 2.68), not as its nearest
    binary fraction (2.67499999…), which is what a form author expects.
    """
    if not math.isfinite(number):
        return number
    exact = decimal.Decimal(repr(number))
    return float(exact.quantize(decimal.Decimal(1).scaleb(-places), context=_DECIMALS))


def _coalesce(_: Context, args: Sequence[Value]) -> Value:
    return args[0] if to_string(args[0]) != "" else args[1]


FUNCTIONS = MappingProxyType(
    {
        "not": Function(1, 1, lambda _, a: not truthy(a[0])),
        "true": Function(0, 0, lambda _, a: True),
        "false": Function(0, 0, lambda _, a: False),
        "boolean": Function(1, 1, lambda _, a: truthy(a[0])),
        "number": Function(1, 1, lambda _, a: to_number(a[0])),
        "string": Function(1, 1, lambda _, a: to_string(a[0])),
        "selected": Function(2, 2, _selected),
        "count-selected": Function(1, 1, lambda _, a: float(len(_words(to_string(a[0]))))),
        "string-length": Function(0, 1, _string_length),
        "regex": Function(2, 2, _regex),
        "contains": Function(2, 2, lambda _, a: to_string(a[1]) in to_string(a[0])),
        "starts-with": Function(2, 2, lambda _, a: to_string(a[0]).startswith(to_string(a[1]))),
        "concat": Function(0, None, lambda _, a: "".join(to_string(v) for v in a)),
        "if": Function(3, 3, lambda _, a: a[1] if truthy(a[0]) else a[2]),
        "coalesce": Function(2, 2, _coalesce),
        "int": Function(1, 1, _int),
        "floor": Function(1, 1, _floor),
        "ceiling": Function(1, 1, _ceiling),
        "round": Function(1, 2, _round),
        "today": Function(0, 0, lambda context, _: context.today.isoformat()),
    }
)
