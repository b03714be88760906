"""Recursive-descent parser following the grammar of SpEL's InternalSpelExpressionParser.

Precedence, loosest first: ternary `?:` and Elvis `?:` (right-associative), `or`/`||`,
`and`/`&&`, one comparison (SpEL's relational rule takes a single operator, so `a < b == c`
is a syntax error), `+ -`, `* / %`, unary `! - +`, then `.name`, `.method()`, `[index]`,
`.![projection]` after a primary.
"""

from __future__ import annotations

from functools import lru_cache

from checks.expressions.errors import Refused
from checks.expressions.lexer import Token, tokenize
from checks.expressions.nodes import (
    Binary,
    Call,
    Elvis,
    Index,
    ListLiteral,
    Literal,
    MapLiteral,
    Member,
    Node,
    Projection,
    Ref,
    Ternary,
    Unary,
)

_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_WORD_COMPARISONS = frozenset({"matches", "instanceof", "between"})
_CONSTANTS: dict[str, object] = {"true": True, "false": False, "null": None}


@lru_cache(maxsize=1024)
def parse(source: str) -> Node:
    parser = _Parser(tokenize(source))
    node = parser.expression()
    parser.expect_end()
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    # -- token helpers -------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def accept(self, op: str) -> bool:
        if self.token.kind == "op" and self.token.value == op:
            self.pos += 1
            return True
        return False

    def accept_word(self, *words: str) -> str | None:
        if self.token.kind == "name" and self.token.text.lower() in words:
            self.pos += 1
            return self.tokens[self.pos - 1].text.lower()
        return None

    def expect(self, op: str) -> None:
        if not self.accept(op):
            raise self.error(f"expected {op!r}")

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.error("expected the end of the expression")

    def error(self, expected: str) -> Refused:
        found = self.token.text or "the end"
        return Refused(f"syntax error: {expected} at {self.token.pos}, found {found!r}")

    # -- grammar -------------------------------------------------------------------------

    def expression(self) -> Node:
        node = self.logical_or()
        if self.accept("?:"):
            return Elvis(node, self.expression())
        if self.accept("?"):
            then = self.expression()
            self.expect(":")
            return Ternary(node, then, self.expression())
        return node

    def logical_or(self) -> Node:
        node = self.logical_and()
        while self.accept_word("or") or self.accept("||"):
            node = Binary("or", node, self.logical_and())
        return node

    def logical_and(self) -> Node:
        node = self.comparison()
        while self.accept_word("and") or self.accept("&&"):
            node = Binary("and", node, self.comparison())
        return node

    def comparison(self) -> Node:
        left = self.sum()
        op = self.comparison_operator()
        if op is None:
            return left
        node = Binary(op, left, self.sum())
        if self.comparison_operator() is not None:
            raise Refused(
                f"syntax error: comparisons do not chain in SpEL (a second comparison at "
                f"{self.tokens[self.pos - 1].pos}); add parentheses"
            )
        return node

    def comparison_operator(self) -> str | None:
        if self.token.kind == "op" and self.token.value in _COMPARISONS:
            self.pos += 1
            return str(self.tokens[self.pos - 1].value)
        word = self.accept_word(*_WORD_COMPARISONS)
        if word in ("instanceof", "between"):
            raise Refused(f"the {word} operator is not supported")
        return word

    def sum(self) -> Node:
        node = self.product()
        while (op := self.binary_operator("+-")) is not None:
            node = Binary(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while (op := self.binary_operator("*/%")) is not None:
            node = Binary(op, node, self.unary())
        return node

    def binary_operator(self, ops: str) -> str | None:
        for op in ops:
            if self.accept(op):
                return op
        return None

    def unary(self) -> Node:
        for op in "!-+":
            if self.accept(op):
                return Unary(op, self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.token
        if token.kind in ("int", "real", "str"):
            self.pos += 1
            return Literal(token.value)
        if token.kind == "name":
            return self.name()
        if self.accept("("):
            node = self.expression()
            self.expect(")")
            return node
        if self.accept("{"):
            return self.inline_list_or_map()
        raise self.error("expected a value")

    def name(self) -> Node:
        word = self.token.text
        self.pos += 1
        if word.lower() in _CONSTANTS:  # SpEL reads true/false/null in any letter case
            return Literal(_CONSTANTS[word.lower()])
        if word == "new" or (word == "T" and self.token.value == "("):
            raise Refused("constructors and type references are not supported")
        if self.accept("("):
            return Call(word, self.arguments())
        return Ref((word,))

    def postfix(self, node: Node) -> Node:
        while True:
            if self.accept("["):
                index = self.expression()
                self.expect("]")
                node = Index(node, index)
            elif self.accept("."):
                node = self.dotted(node)
            else:
                return node

    def dotted(self, node: Node) -> Node:
        if self.accept("!["):
            expression = self.expression()
            self.expect("]")
            return Projection(node, expression)
        if self.token.kind != "name":
            raise self.error("expected a name after '.'")
        name = self.token.text
        self.pos += 1
        args = self.arguments() if self.accept("(") else None
        if isinstance(node, Ref):
            # `String.len(...)` and `user.getGroups(...)` are functions; `user.email` a reference.
            return (
                Ref((*node.path, name)) if args is None else Call(f"{_dotted(node)}.{name}", args)
            )
        return Member(node, name, args)

    def arguments(self) -> tuple[Node, ...]:
        """The arguments after an opening parenthesis, up to and including the closing one."""
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.expression())
            while self.accept(","):
                args.append(self.expression())
            self.expect(")")
        return tuple(args)

    def inline_list_or_map(self) -> Node:
        if self.accept("}"):
            return ListLiteral(())
        if self.accept(":"):
            self.expect("}")
            return MapLiteral(())
        first = self.expression()
        if self.accept(":"):
            return self.inline_map(first)
        items = [first]
        while self.accept(","):
            items.append(self.expression())
        self.expect("}")
        return ListLiteral(tuple(items))

    def inline_map(self, first_key: Node) -> Node:
        entries = [(first_key, self.expression())]
        while self.accept(","):
            key = self.expression()
            self.expect(":")
            entries.append((key, self.expression()))
        self.expect("}")
        return MapLiteral(tuple(entries))


def _dotted(node: Ref) -> str:
    return ".".join(node.path)
