"""The syntax tree the parser builds and the evaluator walks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Literal:
    value: object


@dataclass(frozen=True, slots=True)
class Ref:
    path: tuple[str, ...]
    """A dotted name: `user.email` is ("user", "email"), a bare `email` is ("email",)."""


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    """Dotted as written: "String.len", "isMemberOfGroup", "user.getGroups"."""
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """`.name` or `.name(args)` on a computed value (a Java property or method)."""

    target: Node
    name: str
    args: tuple[Node, ...] | None


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "!", "-" or "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "or", "and", a comparison, "matches", or an arithmetic operator
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary:
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Elvis:
    value: Node
    fallback: Node


@dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLiteral:
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Projection:
    """`target.![expression]`: the expression applied to each element."""

    target: Node
    expression: Node


Node = (
    Literal | Ref | Call | Member | Unary | Binary | Ternary | Elvis | Index | ListLiteral
    | MapLiteral | Projection
)  # fmt: skip


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Call(_, args):
            return args
        case Member(target, _, args):
            return (target, *(args or ()))
        case Unary(_, operand):
            return (operand,)
        case Binary(_, left, right) | Index(left, right) | Elvis(left, right):
            return (left, right)
        case Projection(target, expression):
            return (target, expression)
        case Ternary(condition, then, otherwise):
            return (condition, then, otherwise)
        case ListLiteral(items):
            return items
        case MapLiteral(entries):
            return tuple(part for entry in entries for part in entry)
    return ()


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in children(node):
        yield from walk(child)
