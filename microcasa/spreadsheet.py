"""Text that goes into spreadsheets stays text: no cell a program writes becomes a formula.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(also after a tab or carriage return) as a formula. Every CSV and workbook the
platform writes passes respondents' and editors' text through here.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    stripped = text.lstrip(" \n")
    return bool(stripped) and (stripped.startswith(FORMULA_STARTS) or text.startswith(("\t", "\r")))


def safe_csv_cell(value: object) -> object:
    """A CSV cell: numbers stay numbers; formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value
