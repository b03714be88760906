"""Which apps a change to users' Okta profiles concerns: triage diagnoses those, and only those,
once the change has had time to reach them. An app it cannot rule out is looked at: a missed
sync failure costs more than a diagnosis that finds nothing."""

from __future__ import annotations

from collections.abc import Iterable

from checks import parse
from checks.attributes import EQUIVALENTS
from checks.common import might_provision
from checks.errors import AttrsyncError
from checks.expressions import CannotEvaluate, referenced_attributes
from checks.facts import Facts
from checks.model import App


async def concerns(facts: Facts, changed: frozenset[str]) -> bool:
    """Whether a change of the user's Okta attributes `changed` concerns the facts' app: its
    mapping reads one of them, or maps an app attribute of that name (or a known equivalent's).
    When the change named none, or the mapping cannot be read, it may."""
    if not changed:
        return True  # and the mapping is not even read
    try:
        mapping = await facts.mapping()
    except AttrsyncError:
        return True
    if mapping is None:
        return True  # no mapping at all: the diagnosis says so
    reads = {EQUIVALENTS.get(name, name) for name in mapping.properties}
    for mapped in mapping.properties.values():
        try:
            reads |= referenced_attributes(mapped.expression)
        except CannotEvaluate:
            return True  # an expression it cannot read may read any of them
    return bool(reads & changed)


def bulk_concerned(listed: Iterable[object]) -> list[App]:
    """Of Okta's listed apps, those a bulk change concerns, whatever it changed: each is
    scanned once rather than each user's mappings read, so every app that may push to its
    users is. An object that is no app (without an Okta id) is left out: there
    is nothing to scan it by."""
    apps = []
    for raw in listed:
        try:
            app = parse.app(raw)
        except AttrsyncError:
            continue
        if might_provision(app):
            apps.append(app)
    return apps
