"""Reads expression text into a tree, with errors a form author can act on."""

from __future__ import annotations

from survey.logic.errors import ExpressionError, ExpressionMessage, shown
from survey.logic.functions import FUNCTIONS
from survey.logic.lexer import Kind, Lexer, Token
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
    too_deep,
)

# Deeper than any real form needs; shallow enough that neither parsing nor
# evaluating comes near Python's recursion limit.
MAX_DEPTH = 100

# XPath 1.0 precedence, loosest first.
LEVELS = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}
# Operators spelled as words; XPath reads them as names where an operand is expected.
KEYWORDS = frozenset({"and", "or", "div", "mod"})
OPERAND_STARTS = frozenset(
    {Kind.NUMBER, Kind.STRING, Kind.REFERENCE, Kind.NAME, Kind.DOT, Kind.OPEN}
)


def parse(text: str, *, choice_filter: bool = False) -> Expression:
    """The expression written in text; raises ExpressionError, and nothing else, if there is none.

    With ``choice_filter`` a bare name is a column of the choices sheet, as in the
    XLSForm choice filter ``country = ${country}``; otherwise it is an error.
    """
    try:
        tree = _Parser(text, choice_filter).parse()
    except RecursionError:
        # Nesting is capped far below the stack limit: only a caller already deep in its own
        # stack gets here, and it still deserves an ExpressionError.
        raise ExpressionError(ExpressionMessage.TOO_DEEP, text, 0, limit=MAX_DEPTH) from None
    deep = too_deep(tree, MAX_DEPTH)
    if deep is not None:
        raise ExpressionError(ExpressionMessage.TOO_DEEP, text, deep.position, limit=MAX_DEPTH)
    return Expression(text, tree)


class _Parser:
    """Recursive descent, with precedence climbing for the binary operators."""

    def __init__(self, source: str, choice_filter: bool) -> None:
        self.source = source
        self.choice_filter = choice_filter
        self.lexer = Lexer(source)
        self.token = self.lexer.next()
        self.nesting = 0

    def parse(self) -> Node:
        if self.at(Kind.END):
            raise ExpressionError(ExpressionMessage.EMPTY, self.source, 0)
        node = self.binary(0)
        if not self.at(Kind.END):
            raise self.unexpected_after_operand()
        return node

    def at(self, kind: Kind) -> bool:
        return self.token.kind is kind

    def advance(self) -> Token:
        token = self.token
        self.token = self.lexer.next()
        return token

    def error(
        self, kind: ExpressionMessage, token: Token | None = None, **values: object
    ) -> ExpressionError:
        position = (token or self.token).position
        return ExpressionError(kind, self.source, position, **values)

    def level(self) -> int | None:
        """The precedence of the current token if it is a binary operator."""
        token = self.token
        if token.kind is Kind.OPERATOR or (token.kind is Kind.NAME and token.text in KEYWORDS):
            return LEVELS[token.text]
        return None

    def starts_operand(self) -> bool:
        token = self.token
        if token.kind is Kind.NAME:
            return token.text not in KEYWORDS
        return token.kind in OPERAND_STARTS or (token.kind is Kind.OPERATOR and token.text == "-")

    def binary(self, minimum: int) -> Node:
        """Operands joined by operators of at least the given precedence."""
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(ExpressionMessage.TOO_DEEP, limit=MAX_DEPTH)
        left = self.unary()
        while (level := self.level()) is not None and level >= minimum:
            position = self.token.position
            rest: list[tuple[str, Node]] = []
            while self.level() == level:
                operator = self.advance()
                rest.append((operator.text, self.operand_after(operator, level + 1)))
            left = Operation(left, tuple(rest), position)
        self.nesting -= 1
        return left

    def operand_after(self, operator: Token, minimum: int) -> Node:
        if not self.starts_operand():
            raise self.error(ExpressionMessage.EXPECTED_OPERAND, after=operator.text)
        return self.binary(minimum)

    def unary(self) -> Node:
        # A loop, not recursion: "- - - 1" must not cost stack frames.
        minuses: list[Token] = []
        while self.at(Kind.OPERATOR) and self.token.text == "-":
            minuses.append(self.advance())
        if minuses and not self.starts_operand():
            raise self.error(ExpressionMessage.EXPECTED_OPERAND, after="-")
        node = self.primary()
        for minus in reversed(minuses):
            node = Negation(node, minus.position)
        return node

    def primary(self) -> Node:
        token = self.token
        if token.kind is Kind.NAME and token.text not in KEYWORDS:
            return self.name()
        if token.kind is Kind.OPEN:
            return self.group()
        if token.kind is Kind.NUMBER:
            self.advance()
            return Number(float(token.text), token.position)
        if token.kind is Kind.STRING:
            self.advance()
            return Text(token.value, token.position)
        if token.kind is Kind.REFERENCE:
            self.advance()
            return Reference(token.value, token.position)
        if token.kind is Kind.DOT:
            self.advance()
            return Current(token.position)
        raise self.error(ExpressionMessage.UNEXPECTED, text=shown(token.text))

    def group(self) -> Node:
        opening = self.advance()
        if self.at(Kind.END):
            raise self.error(ExpressionMessage.UNCLOSED_BRACKET, opening)
        if self.at(Kind.CLOSE):
            raise self.error(ExpressionMessage.EXPECTED_OPERAND, after="(")
        node = self.binary(0)
        self.close(opening, None)
        return node

    def name(self) -> Node:
        token = self.advance()
        if self.at(Kind.OPEN):
            return self.call(token)
        if self.choice_filter:
            return Column(token.text, token.position)
        if token.text in FUNCTIONS:
            raise self.error(ExpressionMessage.BARE_FUNCTION, token, word=shown(token.text))
        raise self.error(ExpressionMessage.BARE_WORD, token, word=shown(token.text))

    def call(self, name: Token) -> Node:
        opening = self.advance()
        arguments: list[Node] = []
        if self.at(Kind.CLOSE):
            self.advance()
            return Call(name.text, (), name.position)
        after = opening
        while True:
            if not self.starts_operand():
                if after is not opening:
                    raise self.error(ExpressionMessage.EXPECTED_OPERAND, after=",")
                if self.at(Kind.END):
                    raise self.error(ExpressionMessage.UNCLOSED_BRACKET, opening)
                raise self.error(ExpressionMessage.UNEXPECTED, text=shown(self.token.text))
            arguments.append(self.binary(0))
            if not self.at(Kind.COMMA):
                break
            after = self.advance()
        self.close(opening, name.text)
        return Call(name.text, tuple(arguments), name.position)

    def close(self, opening: Token, function: str | None) -> None:
        """Consume the ")" matching ``opening`` (of ``function``'s arguments, if given)."""
        if self.at(Kind.CLOSE):
            self.advance()
        elif self.at(Kind.END):
            raise self.error(ExpressionMessage.UNCLOSED_BRACKET, opening)
        elif function is not None:
            raise self.error(
                ExpressionMessage.EXPECTED_COMMA, function=function, text=shown(self.token.text)
            )
        else:
            raise self.unexpected_after_operand()

    def unexpected_after_operand(self) -> ExpressionError:
        text = shown(self.token.text)
        if self.starts_operand():
            return self.error(ExpressionMessage.EXPECTED_OPERATOR, text=text)
        return self.error(ExpressionMessage.UNEXPECTED, text=text)
