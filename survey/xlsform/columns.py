"""Column headers: which are known, which are translations, which languages a form has."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from survey.xlsform.errors import FormError, FormIssue, Severity, issue
from survey.xlsform.sheets import Sheet

# A bare translatable column (``label``) holds the default language.
DEFAULT = "default"

TRANSLATABLE = ("label", "hint", "required_message", "constraint_message")
SURVEY_COLUMNS = frozenset(
    {
        "type",
        "name",
        "required",
        "relevant",
        "constraint",
        "default",
        "appearance",
        "choice_filter",
        "calculation",
        "parameters",
    }
)
CHOICE_COLUMNS = frozenset({"list_name", "name"})
ALIASES = {"list name": "list_name"}
_TRANSLATED = re.compile(r"^(?P<base>[a-z_]+)\s*::\s*(?P<language>.+?)\s*$")


@dataclass(frozen=True)
class Header:
    column: str  # spreadsheet letter(s), for messages
    text: str  # as written (trimmed)
    base: str  # "label", "type", … ; the whole header for unknown ones
    language: str | None  # for translatable columns: DEFAULT or "English (en)"


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def parse_header(text: str, index: int, bare: str = DEFAULT) -> Header:
    cleaned = ALIASES.get(text.strip(), text.strip())
    match = _TRANSLATED.match(cleaned)
    if match and match.group("base") in TRANSLATABLE:
        return Header(column_letter(index), text, match.group("base"), match.group("language"))
    if cleaned in TRANSLATABLE:
        return Header(column_letter(index), text, cleaned, bare)
    return Header(column_letter(index), text, cleaned, None)


def read_headers(
    sheet: Sheet, known: frozenset[str], warn_unknown: bool, bare: str = DEFAULT
) -> tuple[list[Header], list[FormIssue]]:
    """The sheet's headers, with errors for duplicates and warnings for unknown columns."""
    headers: list[Header] = []
    issues: list[FormIssue] = []
    seen: dict[str, Header] = {}
    for index, text in enumerate(sheet.headers):
        if not text:
            continue
        header = parse_header(text, index, bare)
        key = f"{header.base}::{header.language}" if header.language else header.base
        if key in seen:
            issues.append(
                issue(
                    FormError.DUPLICATE_COLUMN,
                    sheet=sheet.name,
                    column=text,
                    first=seen[key].column,
                    second=header.column,
                )
            )
            continue
        seen[key] = header
        headers.append(header)
        if warn_unknown and header.language is None and header.base not in known:
            issues.append(
                issue(
                    FormError.UNKNOWN_COLUMN,
                    Severity.WARNING,
                    sheet=sheet.name,
                    column=header.column,
                    header=text,
                )
            )
    return headers, issues


def languages_of(headers: Iterable[Header]) -> list[str]:
    """Languages in the order their columns first appear."""
    found: list[str] = []
    for header in headers:
        if header.language and header.language not in found:
            found.append(header.language)
    return found


def translations(cells: dict[str, str], headers: Iterable[Header], base: str) -> dict[str, str]:
    """language -> text for one translatable column of one row."""
    return {
        header.language: cells[header.text]
        for header in headers
        if header.base == base and header.language and cells.get(header.text)
    }


def compress_rows(rows: list[int]) -> str:
    """[3, 4, 5, 9] -> '3–5, 9'."""
    parts: list[str] = []
    start = previous = rows[0]
    for row in [*rows[1:], 0]:
        if row == previous + 1:
            previous = row
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = row
    return ", ".join(parts)


def bare_language(sheets: Iterable[Sheet | None], default_language: str) -> str:
    """The language of bare ``label``/``hint`` columns.

    As in pyxform: the settings' default_language when no ``::`` column names
    that language, else the unnamed "default".
    """
    if not default_language:
        return DEFAULT
    for sheet in sheets:
        if sheet is None:
            continue
        for index, text in enumerate(sheet.headers):
            if text and parse_header(text, index).language == default_language:
                return DEFAULT
    return default_language
