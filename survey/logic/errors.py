"""Every message the expression language shows to a form author, in one place.

Messages count characters from 1, as Excel's MID and FIND do; the ``position``
attribute of ExpressionError counts from 0, for programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Long literals would drown the message; the position says where the rest is.
_SHOWN_CHARACTERS = 30


class ExpressionMessage(Enum):
    # Syntax errors, raised by parse() as ExpressionError.
    EMPTY = "The expression is empty"
    UNEXPECTED = 'Unexpected "{text}" {where}'
    INVISIBLE = "Unexpected invisible character {code} {where}: delete it"
    BARE_WORD = (
        "Unexpected word \"{word}\" {where}: write text in quotes ('{word}') "
        "and questions as ${{{word}}}"
    )
    BARE_FUNCTION = 'Unexpected word "{word}" {where}: a function needs brackets, as in {word}()'
    EXPECTED_OPERAND = 'Expected an expression after "{after}" {where}'
    EXPECTED_OPERATOR = 'Expected an operator such as =, and, or, + before "{text}" {where}'
    EXPECTED_COMMA = 'Expected "," or ")" in {function}() {where}, found "{text}"'
    UNCLOSED_BRACKET = 'The bracket "(" {where} is never closed: add ")"'
    UNCLOSED_QUOTE = "Unclosed quote starting {where}"
    CURLY_QUOTE = (
        "Curly quote {quote} {where}: type straight quotes ' or \" around text "
        "(spreadsheets often curl them automatically)"
    )
    EMPTY_REFERENCE = "${{}} {where} is empty: write the name of a question between the braces"
    UNCLOSED_REFERENCE = (
        'The question reference "${{" {where} is never closed: add "}}" after the name'
    )
    INVALID_NAME = (
        '"${{{name}}}" {where} is not a valid question name: a name starts with a letter or _ '
        "and has only letters, digits, _, - and ."
    )
    LONE_DOLLAR = '"$" {where} must be followed by a question name in braces, as in ${{age}}'
    SPREADSHEET_OPERATOR = '"{text}" {where} is not an operator in XLSForm: write {instead}'
    PATH = '"{text}" {where}: XPath paths are not supported; refer to questions as ${{name}}'
    TOO_DEEP = (
        "The expression is nested too deeply {where} (more than {limit} levels): "
        "split it into several calculations"
    )

    # Problems found by check(), reported as Problem.
    UNKNOWN_REFERENCE = "unknown question ${{{name}}}"
    UNKNOWN_COLUMN = 'unknown column "{name}" of the choices sheet'
    UNKNOWN_FUNCTION = "unknown function {name}()"
    UNKNOWN_FUNCTION_CASE = (
        "unknown function {name}(): function names are lower case, as in {known}()"
    )
    WRONG_ARITY = "function {name}() takes {expected}, got {got}"
    INVALID_REGEX = "invalid pattern '{pattern}' in regex(): {reason}"

    def format(self, **values: object) -> str:
        return self.value.format(**values)


def shown(text: str) -> str:
    """A piece of the expression as quoted in a message: shortened, invisible characters named."""
    if len(text) > _SHOWN_CHARACTERS:
        text = text[: _SHOWN_CHARACTERS - 1] + "…"
    return "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in text)


class ExpressionError(Exception):
    """A syntax error: ``message`` for the form author, ``position`` counted from 0."""

    def __init__(
        self, kind: ExpressionMessage, source: str, position: int, **values: object
    ) -> None:
        self.kind = kind
        self.position = position
        where = f"at character {position + 1}" if position < len(source) else "at the end"
        self.message = kind.format(where=where, **values)
        super().__init__(self.message)


@dataclass(frozen=True)
class Problem:
    """Something check() found that would stop the form from working as its author intends."""

    message: str
