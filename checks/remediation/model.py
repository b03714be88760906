"""A fix's plan: the exact Okta API calls, who they affect, and the risk a person approves."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from checks.errors import AttrsyncError
from checks.model import App, User


class NotAutomatable(AttrsyncError):
    """This fix cannot be made safely through the API now; str() says why and what to do."""


class NothingToDo(AttrsyncError):
    """What the fix would change is already as it should be."""


@dataclass(frozen=True, slots=True)
class Probe:
    """A read that says whether a step's change is in Okta already.

    After a crash or an answer that never came, Okta may or may not have applied a request:
    the probe decides, so the step is neither guessed done nor sent twice. The change is in
    place when GET `path` answers 404 (`absent`) or answers with every `expect` field (a dotted
    path into the JSON) equal to its value.
    """

    path: str
    expect: tuple[tuple[str, Any], ...] = ()
    absent: bool = False

    def holds(self, found: Any) -> bool:
        """Whether an answer (None for 404) shows the change in place."""
        if found is None:
            return self.absent
        return not self.absent and all(_dig(found, name) == value for name, value in self.expect)


@dataclass(frozen=True, slots=True)
class Step:
    summary: str
    method: str
    path: str
    body: Any = None
    keep_nulls: bool = False
    until: str | None = None
    """For a GET: repeat it (bounded) until the answer has this field set."""
    probe: Probe | None = None
    """How to tell, without sending it again, whether this change already happened."""
    restores: int | None = None
    """The index of the step whose effect this one gives back (a reassign after an unassign,
    Deactivate Users switched back on). Once that step may have happened, this one must
    finish: it runs even after a failure and is retried until Okta accepts it."""
    gone_is_done: bool = False
    """A 404 means the step's work is already done (an unassign, repeated after a crash)."""

    def call(self) -> str:
        body = f" {json.dumps(self.body, sort_keys=True)}" if self.body is not None else ""
        return f"{self.method} {self.path}{body}"

    @property
    def changes(self) -> bool:
        return self.method != "GET"


@dataclass(frozen=True, slots=True)
class Plan:
    fix: str
    check: str
    user_id: str
    user_login: str
    app_id: str
    app_label: str
    summary: str
    affects: str
    risk: str
    steps: tuple[Step, ...]
    manual: str = ""
    """What a person does in the admin console if a step that must finish keeps failing."""
    holds_app: bool = False
    """The run is only safe while the app's settings stay as planned (a relink's unassign
    needs Deactivate Users off), so it holds the whole app, not just the one assignment."""

    @classmethod
    def of(
        cls,
        fix: str,
        check: str,
        user: User,
        app: App,
        *,
        summary: str,
        affects: str,
        risk: str,
        steps: tuple[Step, ...],
        manual: str = "",
        holds_app: bool = False,
    ) -> Plan:
        """A plan for `fix` (offered by `check`) for this user in this app."""
        return cls(
            fix, check, user.id, user.login, app.id, app.label, summary, affects, risk, steps,
            manual, holds_app,
        )  # fmt: skip

    def digest(self) -> str:
        """Changes whenever what would be done changes: an approval is for this digest only."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def scopes(self) -> tuple[str, ...]:
        """What a run holds exclusively: always the (app, user) assignment, and the whole app
        when a step changes something every user of the app shares (a setting, a mapping) or
        the plan relies on the app's settings staying put."""
        user_paths = (f"/api/v1/apps/{self.app_id}/users", f"/api/v1/apps/{self.app_id}/users/")
        shared = self.holds_app or any(
            step.changes and not step.path.startswith(user_paths) for step in self.steps
        )
        pair = f"{self.app_id}:{self.user_id}"
        return (pair, self.app_id) if shared else (pair,)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Plan:
        data = json.loads(raw)
        return cls(**{**data, "steps": tuple(_step(s) for s in data["steps"])})


def _step(data: dict[str, Any]) -> Step:
    probe = data.get("probe")
    if probe is not None:
        expect = tuple((str(name), value) for name, value in probe.get("expect") or ())
        probe = Probe(probe["path"], expect, bool(probe.get("absent")))
    return Step(**{**data, "probe": probe})


def _dig(found: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(name)
    return found
