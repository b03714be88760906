"""Walks a parsed expression for one user, the way Okta would for an Okta-to-app mapping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from checks.expressions import groups, java, regex, unavailable
from checks.expressions.errors import Refused
from checks.expressions.functions import FUNCTIONS, check_arity
from checks.expressions.java import Unordered, describe
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
from checks.expressions.parser import parse
from checks.expressions.strings import integer, text
from checks.model import Group

NEEDS_GROUPS = "needs the user's groups"
OKTA_USER_ROOTS = ("user", "source")
"""In an Okta-to-app mapping `source` is the Okta user (help.okta.com, "Modify attributes
with expressions": source refers to the object on the left)."""
APP_USER_ROOTS = ("appuser", "appUser")
"""The developer reference spells it appuser, the Profile Editor help appUser."""


UNSURE = object()
"""A default in `Scope.defaults` that may or may not apply (the user's profile source is
unknown): reading the attribute unset is refused, never guessed."""


@dataclass(frozen=True, slots=True)
class Scope:
    user: Mapping[str, object]
    appuser: Mapping[str, object] | None
    groups: Sequence[Group] | None
    defaults: Mapping[str, object] = field(default_factory=dict)
    """What the language sees for an attribute the profile leaves unset (null or absent),
    where Okta applies a default the Users API does not show (checks.sources.el_defaults)."""


def run(tree: Node, scope: Scope) -> object:
    """The expression's value; refused where it would depend on what attrsync cannot know."""
    first = Evaluator(scope, ints_as_doubles=False)
    result = first.eval(tree)
    if first.integral_reads:
        # A whole number in the profile JSON is a Java Integer for an `integer` attribute and
        # a Double for a `number` one ("x" + 3 is "x3", "x" + 3.0 "x3.0"); answer only when
        # both give the same result.
        names = ", ".join(sorted(first.integral_reads))
        why = f"the result depends on whether {names} is an integer or a number attribute"
        try:
            other = Evaluator(scope, ints_as_doubles=True).eval(tree)
        except Refused as exc:
            raise Refused(f"{why} ({exc})") from exc
        if not _same(result, other):
            raise Refused(why)
    return _output(result)


class Evaluator:
    def __init__(self, scope: Scope, *, ints_as_doubles: bool, group: Group | None = None) -> None:
        self.scope = scope
        self.ints_as_doubles = ints_as_doubles
        self.group = group
        self.integral_reads: set[str] = set()

    def eval(self, node: Node) -> object:
        match node:
            case Literal(value):
                return value
            case Ref(path):
                return self.reference(path)
            case Call(function, args):
                return self.call(function, args)
            case Member(target, name, args):
                value = self.eval(target)  # a refusal of the target says more
                kind = "method" if args is not None else "property"
                raise Refused(f"Java {kind} .{name} on {describe(value)} is not supported")
            case Unary(op, operand):
                return self.unary(op, operand)
            case Binary(op, left, right):
                return self.binary(op, left, right)
            case Ternary(condition, then, otherwise):
                return self.eval(then if self.boolean(condition, "?: condition") else otherwise)
            case Elvis(value, fallback):
                # Okta's reference: the default applies when the value is null or "".
                result = self.eval(value)
                return self.eval(fallback) if result is None or result == "" else result
            case Index(target, index):
                return _index(self.eval(target), self.eval(index))
            case ListLiteral(items):
                return [self.eval(item) for item in items]
            case MapLiteral(entries):
                return {_key(key): self.eval(value) for key, value in entries}
            case Projection(target, Ref(path)):
                return groups.project(_collection(self.eval(target), "projection"), path)
            case Projection():
                raise Refused("projections other than .![name], .![profile.name], .![id]")
        raise AssertionError(f"unhandled node {node!r}")

    # -- references ----------------------------------------------------------------------

    def reference(self, path: tuple[str, ...]) -> object:
        if path[0] == "group" and self.group is not None:
            return self.group_field(path[1:])
        if len(path) == 2:
            root, name = path
            if root in OKTA_USER_ROOTS:
                return self.okta_user(name)
            if root in APP_USER_ROOTS:
                if self.scope.appuser is None:
                    raise Refused("needs the app user's profile")
                return self.profile_value(self.scope.appuser, name)
        raise Refused(unavailable.reference(path))

    def okta_user(self, name: str) -> object:
        if name == "displayName" and name not in self.scope.user:
            return self.display_name_default()
        default = self.scope.defaults.get(name)
        if default is not None and self.scope.user.get(name) is None:
            if default is UNSURE:
                raise Refused(
                    f"{name} is unset, and whether Okta reads it as a default depends on the "
                    "user's profile source, which could not be read"
                )
            return default
        return self.profile_value(self.scope.user, name)

    def display_name_default(self) -> str:
        # Okta support, "Okta Display Name and Group Rules": a displayName never edited is not
        # in the Users API's profile but holds firstName + " " + lastName.
        first = self.profile_value(self.scope.user, "firstName")
        last = self.profile_value(self.scope.user, "lastName")
        if not isinstance(first, str) or not isinstance(last, str):
            raise Refused("displayName is unset and Okta's default needs firstName and lastName")
        return f"{first} {last}"

    def profile_value(self, profile: Mapping[str, object], name: str) -> object:
        return self.java_value(profile.get(name), name)

    def java_value(self, value: object, name: str) -> object:
        if isinstance(value, list):
            return [self.java_value(item, name) for item in value]
        if isinstance(value, int) and not isinstance(value, bool):
            self.integral_reads.add(name)
            return float(value) if self.ints_as_doubles else value
        if isinstance(value, dict):
            raise Refused(f"{name} holds an object, which is not a profile attribute type")
        return value

    def group_field(self, path: tuple[str, ...]) -> str:
        assert self.group is not None
        if path == ("id",):
            return self.group.id
        if path == ("name",):
            return self.group.name
        raise Refused(f"group.{'.'.join(path)}: attrsync knows only a group's id and name")

    # -- groups.GroupScope ---------------------------------------------------------------

    @property
    def groups(self) -> Sequence[Group]:
        if self.scope.groups is None:
            raise Refused(NEEDS_GROUPS)
        return self.scope.groups

    def for_group(self, expression: str, group: Group) -> object:
        nested = Evaluator(self.scope, ints_as_doubles=self.ints_as_doubles, group=group)
        nested.integral_reads = self.integral_reads
        return nested.eval(parse(expression))

    # -- calls and operators -------------------------------------------------------------

    def call(self, function: str, arg_nodes: tuple[Node, ...]) -> object:
        if function in groups.FUNCTIONS:
            if self.scope.groups is None:  # say so before any argument is refused
                raise Refused(NEEDS_GROUPS)
            low, high, implementation = groups.FUNCTIONS[function]
            args = [self.eval(arg) for arg in arg_nodes]
            check_arity(function, len(args), low, high)
            return implementation(self, args)
        if function not in FUNCTIONS:
            raise Refused(unavailable.function(function))
        spec = FUNCTIONS[function]
        args = [self.eval(arg) for arg in arg_nodes]
        spec.check(function, args)
        return spec.run(args)

    def unary(self, op: str, operand: Node) -> object:
        if op == "!":
            return not self.boolean(operand, "operand of !")
        value = self.eval(operand)
        if op == "-":
            return java.negate(value)
        if not java.is_number(value):
            raise Refused(f"unary + on {describe(value)}")
        return value

    def binary(self, op: str, left: Node, right: Node) -> object:
        # SpEL's and/or short-circuit and insist on booleans.
        if op == "and":
            return self.boolean(left, "operand of and") and self.boolean(right, "operand of and")
        if op == "or":
            return self.boolean(left, "operand of or") or self.boolean(right, "operand of or")
        a, b = self.eval(left), self.eval(right)
        if op in ("==", "!="):
            return java.equals(a, b) == (op == "==")
        if op in ("<", "<=", ">", ">="):
            return java.compare(op, a, b)
        if op == "matches":
            return _matches(a, b)
        if op == "+":
            return java.plus(a, b)
        return java.arithmetic(op, a, b)

    def boolean(self, node: Node, role: str) -> bool:
        value = self.eval(node)
        if value is None:
            raise Refused(f"the {role} is null, which SpEL fails to evaluate")
        if not isinstance(value, bool):
            raise Refused(f"the {role} must be a boolean, got {describe(value)}")
        return value


def _matches(subject: object, pattern: object) -> bool:
    # SpEL's `matches`: Pattern.compile(pattern).matcher(subject).matches(), a whole match.
    subject_text, pattern_text = text(subject, "left of matches"), text(pattern, "regex")
    regex.check_subject(subject_text)
    return regex.java_regex(pattern_text).fullmatch(subject_text) is not None


def _key(node: Node) -> str:
    # SpEL reads an unquoted map key as its name.
    if isinstance(node, Literal) and isinstance(node.value, str):
        return node.value
    if isinstance(node, Ref) and len(node.path) == 1:
        return node.path[0]
    raise Refused("map keys other than names and strings are not supported")


def _collection(value: object, role: str) -> Sequence[object]:
    if not isinstance(value, list | Unordered):
        raise Refused(f"{role} of {describe(value)}")
    return value


def _index(target: object, index: object) -> object:
    position = integer(index, "index")
    if isinstance(target, str):
        if any(ord(char) > 0xFFFF for char in target):
            raise Refused("indexing text with characters past U+FFFF (Java counts UTF-16 units)")
        items: Sequence[object] = target
    else:
        items = _collection(target, "indexing")
        if isinstance(items, Unordered) and len(items) > 1:
            raise Refused("indexing a collection whose order Okta does not document")
    if not 0 <= position < len(items):
        raise Refused(f"index {position} of {len(items)} items: SpEL fails to evaluate it")
    return items[position]


def _same(left: object, right: object) -> bool:
    pair = java.numbers(left, right)
    if pair is not None:
        return pair[0] == pair[1]
    if isinstance(left, list | Unordered) and isinstance(right, list | Unordered):
        return len(left) == len(right) and all(map(_same, left, right))
    return type(left) is type(right) and left == right


def _output(value: object) -> object:
    if isinstance(value, Unordered):
        if len(value) > 1:
            raise Refused("the result is a list in an order Okta does not document")
        return [_output(item) for item in value]
    if isinstance(value, list):
        return [_output(item) for item in value]
    if isinstance(value, Group):
        raise Refused("the result is a group object, not a value a mapping sends")
    if isinstance(value, dict):
        raise Refused("the result is a map, not a value a mapping sends")
    return value
