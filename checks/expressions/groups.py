"""Group functions of Okta's EL reference, over the user's groups (id and name only)
(https://developer.okta.com/docs/reference/okta-expression-language/#group-functions).

Okta does not say whether group names match case-insensitively, so a name test answers only
when matching with and without case gives the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from checks.expressions.errors import Refused
from checks.expressions.java import Unordered, describe
from checks.expressions.regex import METACHARACTERS
from checks.expressions.strings import integer, text
from checks.model import Group

NameTest = Callable[[str, str], bool]
"""(group name, argument) -> match."""


class GroupScope(Protocol):
    @property
    def groups(self) -> Sequence[Group]: ...

    def for_group(self, expression: str, group: Group) -> object:
        """Evaluate a getFilteredGroups group expression with `group` bound."""


def _named(scope: GroupScope, wanted: str, test: NameTest, function: str) -> bool:
    exact = any(test(group.name, wanted) for group in scope.groups)
    folded = any(test(group.name.casefold(), wanted.casefold()) for group in scope.groups)
    if exact != folded:
        raise Refused(f"{function} depends on whether Okta matches group names ignoring case")
    return exact


def member_of_name(scope: GroupScope, args: list[object]) -> bool:
    return _named(scope, text(args[0]), str.__eq__, "isMemberOfGroupName")


def member_of_name_starting(scope: GroupScope, args: list[object]) -> bool:
    return _named(scope, text(args[0]), str.startswith, "isMemberOfGroupNameStartsWith")


def member_of_name_containing(scope: GroupScope, args: list[object]) -> bool:
    return _named(scope, text(args[0]), str.__contains__, "isMemberOfGroupNameContains")


def member_of(scope: GroupScope, args: list[object]) -> bool:
    wanted = text(args[0], "group id")
    return any(group.id == wanted for group in scope.groups)


def member_of_any(scope: GroupScope, args: list[object]) -> bool:
    wanted = {text(arg, "group id") for arg in args}
    return any(group.id in wanted for group in scope.groups)


def filtered(scope: GroupScope, args: list[object]) -> Unordered:
    """getFilteredGroups(allowlist, group_expression, limit), per the guide "Customize tokens
    returned from Okta with a static allowlist"."""
    allowlist = _ids(args[0])
    expression = text(args[1], "group expression")
    limit = integer(args[2], "limit")
    if not 1 <= limit <= 100:
        raise Refused(f"getFilteredGroups limit {limit}: the guide documents 1 through 100")
    matched = [group for group in scope.groups if group.id in allowlist]
    if len(matched) > limit:
        raise Refused("more groups than the limit: Okta returns an error")
    if not matched:
        raise Refused("getFilteredGroups with no allowed group: empty list or null is undocumented")
    return Unordered(scope.for_group(expression, group) for group in matched)


def _ids(value: object) -> frozenset[str]:
    if not isinstance(value, list | Unordered):
        raise Refused(
            f"getFilteredGroups allowlist must be an array of group ids, got {describe(value)}"
        )
    return frozenset(text(item, "group id") for item in value)


GroupTest = Callable[[Group, int], bool]
"""(group, name-matching reading) -> match."""

# Readings of a group.profile.name value that Okta's docs leave open, index for index: a plain
# prefix, or a prefix written with a trailing ".*" (Okta support: "Regex Expression Support
# With user.getGroups Function"), each with and without case.
_STARTS_WITH: tuple[Callable[[str, str], bool], ...] = (
    lambda name, value: name.startswith(value),
    lambda name, value: name.startswith(value.removesuffix(".*")),
    lambda name, value: name.casefold().startswith(value.casefold()),
    lambda name, value: name.casefold().startswith(value.removesuffix(".*").casefold()),
)
_EXACT: tuple[Callable[[str, str], bool], ...] = (
    str.__eq__,
    str.__eq__,
    lambda name, value: name.casefold() == value.casefold(),
    lambda name, value: name.casefold() == value.casefold(),
)


def get_groups(scope: GroupScope, args: list[object]) -> Unordered:
    """user.getGroups({key: values}, ...): every criterion must hold ("Get groups for users")."""
    tests = [_criterion(arg) for arg in args]
    readings = {
        frozenset(g.id for g in scope.groups if all(test(g, reading) for test in tests))
        for reading in range(len(_STARTS_WITH))
    }
    if len(readings) > 1:
        raise Refused(
            "user.getGroups: the name criterion matches differently as a prefix, with '.*', or "
            "ignoring case; Okta does not settle which"
        )
    (ids,) = readings
    return Unordered(g for g in scope.groups if g.id in ids)


def _criterion(value: object) -> GroupTest:
    if not isinstance(value, dict):
        raise Refused(f"user.getGroups takes maps of search criteria, got {describe(value)}")
    criteria: Mapping[str, object] = value
    keys = set(criteria) - {"operator"}
    if len(keys) != 1:
        raise Refused("user.getGroups with several keys in one criterion is undocumented")
    (key,) = keys
    wanted = _strings(criteria[key])
    if key == "group.profile.name":
        return _name_criterion(wanted, criteria.get("operator", "STARTS_WITH"))
    if "operator" in criteria:
        raise Refused("user.getGroups: operators apply only to group.profile.name")
    if key == "group.id":
        return lambda group, _: group.id in wanted
    if key in ("group.type", "group.source.id"):
        raise Refused(f"user.getGroups by {key}: attrsync knows only a group's id and name")
    raise Refused(f"user.getGroups criterion {key!r} is not documented")


def _name_criterion(wanted: frozenset[str], operator: object) -> GroupTest:
    if operator not in ("EXACT", "STARTS_WITH"):
        raise Refused(f"user.getGroups operator {operator!r} is not documented")
    # Okta support says regex is not supported here, without saying what happens instead.
    if any(METACHARACTERS & set(value.removesuffix(".*")) for value in wanted):
        raise Refused("user.getGroups name values with regex characters are not supported")
    readings = _EXACT if operator == "EXACT" else _STARTS_WITH
    return lambda group, reading: any(readings[reading](group.name, v) for v in wanted)


def _strings(value: object) -> frozenset[str]:
    items = value if isinstance(value, list | Unordered) else [value]
    return frozenset(text(item, "criterion value") for item in items)


def project(groups: Sequence[object], attribute: tuple[str, ...]) -> Unordered:
    """`.![name]`, `.![profile.name]` or `.![id]` over groups from user.getGroups."""
    fields: dict[tuple[str, ...], Callable[[Group], str]] = {
        ("name",): lambda g: g.name,
        ("profile", "name"): lambda g: g.name,
        ("id",): lambda g: g.id,
    }
    if attribute not in fields or not all(isinstance(g, Group) for g in groups):
        raise Refused(f"projection .![{'.'.join(attribute)}]: attrsync knows a group's id and name")
    return Unordered(fields[attribute](g) for g in groups if isinstance(g, Group))


Function = Callable[[GroupScope, list[object]], object]
FUNCTIONS: dict[str, tuple[int, int | None, Function]] = {
    "isMemberOfGroupName": (1, 1, member_of_name),
    "isMemberOfGroup": (1, 1, member_of),
    "isMemberOfAnyGroup": (1, None, member_of_any),
    "isMemberOfGroupNameStartsWith": (1, 1, member_of_name_starting),
    "isMemberOfGroupNameContains": (1, 1, member_of_name_containing),
    "getFilteredGroups": (3, 3, filtered),
    "user.getGroups": (1, None, get_groups),
}
"""name -> (fewest arguments, most or None, implementation)."""
