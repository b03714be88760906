"""Local evaluator for Okta Expression Language (EL) mapping expressions: exact or refused.

Okta EL is a subset of Spring SpEL plus Okta's functions. This package parses SpEL's grammar
(`parser`), applies Java value semantics (`java`) and the functions of Okta's reference
(`strings`, `arrays`, `groups`), and refuses with a reason (`CannotEvaluate`) wherever the
result depends on something attrsync does not have (`unavailable`) or Okta does not document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache

from checks.expressions import evaluator
from checks.expressions.errors import CannotEvaluate, Refused
from checks.expressions.groups import FUNCTIONS as GROUP_FUNCTIONS
from checks.expressions.nodes import Call, Node, Ref, walk
from checks.expressions.parser import parse as parse_source
from checks.model import Group

UNSURE = evaluator.UNSURE

__all__ = ["UNSURE", "CannotEvaluate", "evaluate", "needs_groups", "referenced_attributes"]


def evaluate(
    expression: str,
    user: Mapping[str, object],
    appuser: Mapping[str, object] | None = None,
    *,
    groups: Sequence[Group] | None = None,
    defaults: Mapping[str, object] | None = None,
) -> object:
    """The value Okta's mapping gives for this user: str, int, float, bool, None or a list.

    `user` is the Okta user's profile as the Users API returns it, `appuser` the app user's
    profile, `groups` the user's groups (needed only when `needs_groups(expression)`),
    `defaults` what Okta reads for attributes left unset (`checks.sources.el_defaults`)."""
    # Not _reported_as: a scan evaluates every mapping expression for every user.
    try:
        scope = evaluator.Scope(
            user, appuser, tuple(groups) if groups is not None else None, defaults or {}
        )
        return evaluator.run(parse(expression), scope)
    except (Refused, RecursionError) as exc:
        raise _cannot(expression, exc) from exc


@lru_cache(maxsize=4096)
def referenced_attributes(expression: str) -> frozenset[str]:
    """Names of the Okta user attributes the expression reads (`user.x` or `source.x`)."""
    with _reported_as(expression):
        return frozenset(name for node in walk(parse(expression)) for name in _reads(node))


@lru_cache(maxsize=4096)
def needs_groups(expression: str) -> bool:
    """Whether evaluating may call a group function, so the caller fetches the user's groups
    only then. False for an expression that does not parse (evaluate says why)."""
    try:
        with _reported_as(expression):
            tree = parse(expression)
            return any(
                isinstance(node, Call) and node.function in GROUP_FUNCTIONS for node in walk(tree)
            )
    except CannotEvaluate:
        return False


@lru_cache(maxsize=4096)
def parse(expression: str) -> Node:
    """The expression's tree, parsed once per process: a scan evaluates an app's few mapping
    expressions for every one of its users (the trees are immutable; a refusal is not kept)."""
    return parse_source(expression)


def _reads(node: Node) -> tuple[str, ...]:
    if not isinstance(node, Ref) or len(node.path) < 2:
        return ()
    root, name = node.path[:2]
    if root not in evaluator.OKTA_USER_ROOTS:
        return ()
    # An unset displayName reads as firstName + " " + lastName (see evaluator).
    return (name, "firstName", "lastName") if name == "displayName" else (name,)


@contextmanager
def _reported_as(expression: str) -> Iterator[None]:
    try:
        yield
    except (Refused, RecursionError) as exc:
        raise _cannot(expression, exc) from exc


def _cannot(expression: str, exc: Refused | RecursionError) -> CannotEvaluate:
    reason = "too deeply nested" if isinstance(exc, RecursionError) else str(exc)
    return CannotEvaluate(expression, reason)
