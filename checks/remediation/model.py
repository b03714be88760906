"""A fix's plan: the exact Okta API calls, who they affect, and the risk a person approves."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from checks.errors import AttrsyncError


class NotAutomatable(AttrsyncError):
    """This fix cannot be made safely through the API now; str() says why and what to do."""


class NothingToDo(AttrsyncError):
    """What the fix would change is already as it should be."""


@dataclass(frozen=True, slots=True)
class Step:
    summary: str
    method: str
    path: str
    body: Any = None
    keep_nulls: bool = False
    until: str | None = None
    """For a GET: repeat it (bounded) until the answer has this field set."""
    always: bool = False
    """Runs even after an earlier step failed (giving an assignment back, restoring a setting)."""
    gone_is_done: bool = False
    """A 404 means the step's work is already done (an unassign, repeated after a crash)."""

    def call(self) -> str:
        body = f" {json.dumps(self.body, sort_keys=True)}" if self.body is not None else ""
        return f"{self.method} {self.path}{body}"


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

    def digest(self) -> str:
        """Changes whenever what would be done changes: an approval is for this digest only."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Plan:
        data = json.loads(raw)
        return cls(**{**data, "steps": tuple(Step(**s) for s in data["steps"])})
