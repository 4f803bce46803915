"""The parsed form of an expression: a small immutable tree, and what a form checker asks of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Number:
    value: float
    position: int


@dataclass(frozen=True)
class Text:
    value: str
    position: int


@dataclass(frozen=True)
class Reference:
    """``${name}``: the answer to another question."""

    name: str
    position: int


@dataclass(frozen=True)
class Column:
    """A bare name in a choice filter: that column of the choice being filtered."""

    name: str
    position: int


@dataclass(frozen=True)
class Current:
    """``.``: the answer being checked by a constraint."""

    position: int


@dataclass(frozen=True)
class Negation:
    operand: Node
    position: int


@dataclass(frozen=True)
class Operation:
    """Operators of one precedence level applied left to right: ``first op1 x1 op2 x2 …``.

    Flat rather than nested so that a long sum is a shallow tree.
    """

    first: Node
    rest: tuple[tuple[str, Node], ...]
    position: int


@dataclass(frozen=True)
class Call:
    name: str
    arguments: tuple[Node, ...]
    position: int


Node = Number | Text | Reference | Column | Current | Negation | Operation | Call

# Functions that read ``.`` when called without arguments, as XPath's string-length() does.
READS_CURRENT = frozenset({"string-length"})


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Negation):
        return (node.operand,)
    if isinstance(node, Operation):
        return (node.first, *(operand for _, operand in node.rest))
    if isinstance(node, Call):
        return node.arguments
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, each before its children, operands left to right."""
    # A stack rather than recursion: the walk must not depend on the caller's stack depth.
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def too_deep(node: Node, limit: int) -> Node | None:
    """The first node (in the order of ``walk``) deeper in the tree than ``limit``."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return current
        stack.extend((child, depth + 1) for child in reversed(children(current)))
    return None


@dataclass(frozen=True)
class Expression:
    """A parsed expression; build it with ``parse()``."""

    source: str
    tree: Node = field(repr=False)

    def references(self) -> frozenset[str]:
        """The question names used as ``${name}``."""
        return frozenset(n.name for n in walk(self.tree) if isinstance(n, Reference))

    def columns(self) -> frozenset[str]:
        """The choices-sheet columns a choice filter uses as bare names."""
        return frozenset(n.name for n in walk(self.tree) if isinstance(n, Column))

    def functions(self) -> frozenset[str]:
        """The names of the functions called, as written."""
        return frozenset(n.name for n in walk(self.tree) if isinstance(n, Call))

    def uses_current(self) -> bool:
        """Whether ``.`` (the current answer) is used, also implicitly by ``string-length()``."""
        return any(
            isinstance(n, Current)
            or (isinstance(n, Call) and n.name in READS_CURRENT and not n.arguments)
            for n in walk(self.tree)
        )
