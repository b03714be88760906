"""A scan's running count of affected users by cause: small and the same size whatever the
app's size (a few examples per cause, never the users themselves), so it can be saved after
every page and a scan resumed from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from checks.model import Fix
from checks.registry import VERDICT_RANK

EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Outcome:
    """One scanned user: the cause that explains them (None when nothing is wrong)."""

    user_id: str
    login: str
    check: str | None
    summary: str
    fix: Fix | None = None


@dataclass(frozen=True, slots=True)
class Cause:
    check: str
    count: int
    examples: tuple[str, ...]
    """Logins of the first affected users, at most EXAMPLES."""
    title: str
    """The first affected user's finding: what this cause looks like for one person."""
    fix: Fix | None
    automatable: int
    """How many of them have an automated fix (a group assignment can rule it out per user)."""


@dataclass(frozen=True, slots=True)
class Tally:
    listed: int = 0
    """App users Okta listed so far."""
    scanned: int = 0
    """Of those, the users that could be diagnosed."""
    pages: int = 0
    causes: Mapping[str, Cause] = field(default_factory=dict)

    def plus(self, outcomes: Iterable[Outcome]) -> Tally:
        """This tally with one more page of outcomes."""
        causes = dict(self.causes)
        listed = scanned = 0
        for outcome in outcomes:
            listed += 1
            scanned += outcome.login != "?"
            if outcome.check is None:
                continue
            automated = int(outcome.fix is not None and outcome.fix.automated)
            known = causes.get(outcome.check)
            if known is None:
                causes[outcome.check] = Cause(
                    outcome.check, 1, (outcome.login,), outcome.summary, outcome.fix, automated
                )
                continue
            examples = known.examples
            if len(examples) < EXAMPLES:
                examples += (outcome.login,)
            fix = known.fix if known.fix is not None and known.fix.automated else outcome.fix
            causes[outcome.check] = replace(
                known,
                count=known.count + 1,
                examples=examples,
                fix=fix or known.fix,
                automatable=known.automatable + automated,
            )
        return Tally(self.listed + listed, self.scanned + scanned, self.pages + 1, causes)

    @property
    def affected(self) -> int:
        return sum(cause.count for cause in self.causes.values())

    def ordered(self) -> tuple[Cause, ...]:
        """Largest first; among equals, in the order causes explain each other."""
        return tuple(
            sorted(self.causes.values(), key=lambda c: (-c.count, VERDICT_RANK.index(c.check)))
        )

    def to_record(self) -> dict[str, Any]:
        """The record bot/store/scans.py keeps between pages, JSON-ready. Not the contract's
        scan report (checks/json_shapes.py): the two may part, and records already in Redis
        must still read back, so its keys stay as they are."""
        return {
            "listed": self.listed,
            "scanned": self.scanned,
            "pages": self.pages,
            "causes": [_cause_record(c) for c in self.causes.values()],
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Tally:
        causes = {}
        for raw in data.get("causes", ()):
            fix = raw.get("fix")
            causes[raw["check"]] = Cause(
                check=raw["check"],
                count=int(raw["count"]),
                examples=tuple(raw["examples"]),
                title=raw["title"],
                fix=Fix(fix["id"], bool(fix["automated"]), fix["summary"]) if fix else None,
                automatable=int(raw["automatable"]),
            )
        return cls(int(data["listed"]), int(data["scanned"]), int(data["pages"]), causes)


def _cause_record(cause: Cause) -> dict[str, Any]:
    fix = cause.fix
    return {
        "check": cause.check,
        "count": cause.count,
        "examples": list(cause.examples),
        "title": cause.title,
        "fix": {"id": fix.id, "automated": fix.automated, "summary": fix.summary} if fix else None,
        "automatable": cause.automatable,
    }
