"""XPath values and the conversions between them, as ODK applies them to answers."""

from __future__ import annotations

import datetime
import decimal
import math
import re
from typing import TypeAlias

Value: TypeAlias = str | float | bool

# XPath 1.0 Number, optionally signed and padded with whitespace; Python's float()
# would also accept "1e5", "inf", "1_000" and digits of other scripts.
_XPATH_NUMBER = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EPOCH = datetime.date(1970, 1, 1)


def truthy(value: Value) -> bool:
    """XPath boolean(): non-empty text, a number other than 0 and NaN."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value != ""
    return value != 0 and not math.isnan(value)


def to_number(value: Value) -> float:
    """XPath number(): text that is not a plain decimal number is NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return float(value) if _XPATH_NUMBER.fullmatch(value) else math.nan
    return float(value)


def to_string(value: Value) -> str:
    """XPath string(): 1.0 is "1", 2.5 is "2.5", 1e-7 is "0.0000001", True is "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    # XPath never writes an exponent.
    return format(decimal.Decimal(text), "f") if "e" in text else text


def to_days(value: Value) -> float:
    """A number for arithmetic: an ISO date counts as days since 1970-01-01, as in ODK."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return float((datetime.date.fromisoformat(value) - _EPOCH).days)
        except ValueError:
            return math.nan
    return to_number(value)


def to_value(answer: object) -> Value:
    """The XPath value of an answer: unanswered is "", a date its ISO text, a list its words."""
    if isinstance(answer, list | tuple):
        # A select_multiple, stored space-separated in XLSForm exports.
        return " ".join(to_string(_scalar(item)) for item in answer)
    return _scalar(answer)


def _scalar(answer: object) -> Value:
    if answer is None:
        return ""
    if isinstance(answer, str | float | bool):
        return answer
    if isinstance(answer, int):
        try:
            return float(answer)
        except OverflowError:
            return math.inf if answer > 0 else -math.inf
    if isinstance(answer, decimal.Decimal):
        # float() refuses only a signalling NaN.
        return math.nan if answer.is_snan() else float(answer)
    if isinstance(answer, datetime.date):
        # datetime is a date too: it keeps its time, as an ODK dateTime answer does.
        return answer.isoformat()
    return str(answer)
