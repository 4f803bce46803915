"""Splits expression text into tokens one at a time, so that the first mistake is reported."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from survey.logic.errors import ExpressionError, ExpressionMessage, shown


class Kind(Enum):
    NUMBER = auto()
    STRING = auto()
    REFERENCE = auto()
    NAME = auto()
    DOT = auto()
    OPERATOR = auto()
    OPEN = auto()
    CLOSE = auto()
    COMMA = auto()
    END = auto()


# XPath 1.0 whitespace. Other spaces (a non-breaking space pasted from a document)
# are reported, not skipped: they are invisible in a cell and other tools refuse them.
WHITESPACE = " \t\r\n"
# Only ASCII digits: str.isdigit() would also accept the digits of other scripts.
DIGITS = "0123456789"
OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*")
CURLY_QUOTES = "‘’“”"

# What authors coming from spreadsheets type, and what to write instead.
SPREADSHEET_OPERATORS = {
    "<>": '!= for "not equal"',
    "==": "a single = to compare",
    "&&": "and",
    "||": "or",
    "&": "concat(a, b) to join text",
    "!": "!= to compare, or not(…) to negate",
    "/": "div to divide",
}
PATHS = ("..", "//", "@", "[", "]", "|")
PUNCTUATION = {"(": Kind.OPEN, ")": Kind.CLOSE, ",": Kind.COMMA, ".": Kind.DOT}
# Longest first, so that "!=" is not read as "!" and ".." not as ".".
SYMBOLS = sorted(
    {*OPERATORS, *SPREADSHEET_OPERATORS, *PATHS, *PUNCTUATION}, key=lambda s: (-len(s), s)
)


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # as written in the expression
    position: int
    value: str  # a string's content, a reference's name; else the text


def is_digit(char: str) -> bool:
    return len(char) == 1 and char in DIGITS


def starts_name(char: str) -> bool:
    return char != "" and (char.isalpha() or char == "_")


def continues_name(char: str) -> bool:
    return char.isalnum() or char in "_-."


def is_name(text: str) -> bool:
    """Whether text follows the XLSForm name rules."""
    return starts_name(text[:1]) and all(continues_name(c) for c in text)


class Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0

    def next(self) -> Token:
        source = self.source
        while self.index < len(source) and source[self.index] in WHITESPACE:
            self.index += 1
        start = self.index
        if start == len(source):
            return Token(Kind.END, "", start, "")
        char = source[start]
        if is_digit(char) or (char == "." and is_digit(source[start + 1 : start + 2])):
            return self._number(start)
        if char in "'\"":
            return self._string(start, char)
        if char == "$":
            return self._reference(start)
        if starts_name(char):
            return self._name(start)
        for text in SYMBOLS:
            if source.startswith(text, start):
                return self._symbol(text)
        if char in CURLY_QUOTES:
            raise self._error(ExpressionMessage.CURLY_QUOTE, quote=char)
        if not char.isprintable() or char.isspace():
            raise self._error(ExpressionMessage.INVISIBLE, code=f"U+{ord(char):04X}")
        raise self._error(ExpressionMessage.UNEXPECTED, text=char)

    def _symbol(self, text: str) -> Token:
        if text in SPREADSHEET_OPERATORS:
            instead = SPREADSHEET_OPERATORS[text]
            raise self._error(ExpressionMessage.SPREADSHEET_OPERATOR, text=text, instead=instead)
        if text in PATHS:
            raise self._error(ExpressionMessage.PATH, text=text)
        return self._token(PUNCTUATION.get(text, Kind.OPERATOR), len(text))

    def _token(self, kind: Kind, length: int, value: str | None = None) -> Token:
        start = self.index
        self.index += length
        text = self.source[start : self.index]
        return Token(kind, text, start, text if value is None else value)

    def _error(self, kind: ExpressionMessage, **values: object) -> ExpressionError:
        return ExpressionError(kind, self.source, self.index, **values)

    def _number(self, start: int) -> Token:
        end = start
        while is_digit(self.source[end : end + 1]):
            end += 1
        if self.source.startswith(".", end):
            end += 1
            while is_digit(self.source[end : end + 1]):
                end += 1
        return self._token(Kind.NUMBER, end - start)

    def _string(self, start: int, quote: str) -> Token:
        end = self.source.find(quote, start + 1)
        if end == -1:
            raise self._error(ExpressionMessage.UNCLOSED_QUOTE)
        return self._token(Kind.STRING, end + 1 - start, self.source[start + 1 : end])

    def _reference(self, start: int) -> Token:
        if not self.source.startswith("${", start):
            raise self._error(ExpressionMessage.LONE_DOLLAR)
        end = self.source.find("}", start + 2)
        name = self.source[start + 2 : end]
        # A "${" inside means this reference ran into the next one: its "}" is missing.
        if end == -1 or "${" in name:
            raise self._error(ExpressionMessage.UNCLOSED_REFERENCE)
        if name == "":
            raise self._error(ExpressionMessage.EMPTY_REFERENCE)
        if not is_name(name):
            raise self._error(ExpressionMessage.INVALID_NAME, name=shown(name))
        return self._token(Kind.REFERENCE, end + 1 - start, name)

    def _name(self, start: int) -> Token:
        end = self._name_end(start)
        # A prefixed function name such as jr:choice-name, so that check() can name it.
        if self.source.startswith(":", end) and starts_name(self.source[end + 1 : end + 2]):
            end = self._name_end(end + 1)
        return self._token(Kind.NAME, end - start)

    def _name_end(self, start: int) -> int:
        end = start + 1
        while end < len(self.source) and continues_name(self.source[end]):
            end += 1
        return end
