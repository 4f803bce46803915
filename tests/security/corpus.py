"""The attack corpora of SECURITY.md: payload files in ``corpora/``, generators for sizes and types.

A corpus file holds one payload a line; ``#`` starts a comment line and blank lines are
skipped. Escapes (``\\t``, ``\\r``, ``\\n``, ``\\xNN``, ``\\uNNNN``) are decoded, so payloads
with control characters fit on one line; other text is taken as written.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CORPORA = Path(__file__).parent / "corpora"
NAMES = ("xss", "template", "sql", "formula", "unicode")
# Characters no text field keeps (PostgreSQL cannot store NUL; the others are terminal controls).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a spreadsheet reads as the start of a formula, after leading whitespace.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MB = 1024 * 1024


def _decode(line: str) -> str:
    return line.encode("latin-1", "backslashreplace").decode("unicode_escape")


@cache
def load(name: str) -> tuple[str, ...]:
    """The payloads of one corpus file, decoded."""
    lines = (CORPORA / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return tuple(_decode(line) for line in lines if line and not line.startswith("#"))


def every() -> tuple[str, ...]:
    """Every payload of every corpus, each once, in file order."""
    return tuple(dict.fromkeys(p for name in NAMES for p in load(name)))


def storable(payload: str) -> bool:
    """Whether a text field is expected to keep the payload (no control characters)."""
    return not CONTROL.search(payload)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take this cell text for a formula."""
    return text.lstrip(" \n").startswith(FORMULA_START) or text.startswith(FORMULA_START)


def huge_text(size: int = 10 * MB) -> str:
    """One field of ``size`` characters (10 MB by default)."""
    return "x" * size


def huge_body(size: int = 50 * MB) -> bytes:
    """A JSON body of about ``size`` bytes (50 MB by default)."""
    return b'{"instance_id": "' + b"a" * size + b'"}'


def many_fields(count: int = 10_000) -> dict[str, str]:
    """``count`` distinct field names, as a form or an answers object."""
    return {f"f{n}": "x" for n in range(count)}


def nested_json(depth: int = 100_000) -> bytes:
    """A JSON document nested ``depth`` arrays deep."""
    return b"[" * depth + b"]" * depth


@dataclass(frozen=True)
class WrongType:
    """A value of the wrong type for one question of the bundled questionnaire."""

    question: str
    value: Any
    why: str


# Questions of the bundled questionnaire: a1 select_one, b4 select_multiple, c2 integer
# (shown when c1 is an offer), f4 decimal (a percentage), i4 text.
WRONG_TYPES: tuple[WrongType, ...] = (
    WrongType("a1", 5, "a number for a choice"),
    WrongType("a1", ["MY"], "a list for a single choice"),
    WrongType("a1", {"code": "MY"}, "an object for a choice"),
    WrongType("a1", True, "a boolean for a choice"),
    WrongType("b4", [1, 2], "numbers for choices"),
    WrongType("b4", [["certificate"]], "a nested list"),
    WrongType("c2", "twelve", "words for a whole number"),
    WrongType("c2", 12.5, "a fraction for a whole number"),
    WrongType("c2", 2**63, "a huge integer"),
    WrongType("c2", 10**400, "an integer beyond any float"),
    WrongType("c2", -(2**80), "a huge negative integer"),
    WrongType("c2", [1], "a list for a number"),
    WrongType("f4", math.nan, "NaN"),
    WrongType("f4", math.inf, "Infinity"),
    WrongType("f4", "1e999", "an overflowing decimal as text"),
    WrongType("f4", True, "a boolean for a number"),
    WrongType("f4", {"value": 1}, "an object for a number"),
    WrongType("i4", True, "a boolean for text"),
    WrongType("i4", ["a", "b"], "a list for text"),
    WrongType("i4", {"$ne": ""}, "an operator object for text"),
    WrongType("no_such_question", "x", "an unknown question name"),
    WrongType("__proto__", {"admin": True}, "a prototype key"),
    WrongType("a1' OR '1'='1", "x", "SQL in a question name"),
)


def json_bytes(value: Any) -> bytes:
    """JSON as a script would send it, NaN and huge integers included (ASCII, escaped)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()
