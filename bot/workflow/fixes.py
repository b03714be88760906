"""The states of a fix request and every move between them, in one table.

    PENDING -> APPROVED -> RUNNING -> DONE | FAILED
                           RUNNING <-> STALLED   (a step that must finish keeps failing)
    PENDING -> REJECTED | EXPIRED | WITHDRAWN

Each move is one Redis script (store.py) that checks the state, makes the move and does the
side effects it implies, all at once: approving queues the job, finishing acknowledges it,
stalling schedules the retry and raises the alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    RUNNING = "RUNNING"
    STALLED = "STALLED"
    DONE = "DONE"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


FINAL = frozenset({State.DONE, State.FAILED, State.REJECTED, State.EXPIRED, State.WITHDRAWN})
OPEN = frozenset(State) - FINAL


@dataclass(frozen=True, slots=True)
class Move:
    """One allowed transition: from which states, to which, by whom, and what it implies."""

    sources: frozenset[State]
    to: State
    by: str
    enqueue: bool = False
    """Put the job on the workers' stream."""
    ack: bool = False
    """Acknowledge the job that was running it."""
    retry: bool = False
    """Schedule the job to run again later (and keep the request on the attention list)."""
    attention: bool | None = None
    """True puts the request on the attention list (App Home), False takes it off."""
    fenced: bool = False
    """Only the worker holding the run's lease may make it."""


APPROVE = Move(frozenset({State.PENDING}), State.APPROVED, "an approver", enqueue=True)
REJECT = Move(frozenset({State.PENDING}), State.REJECTED, "an approver or the requester")
EXPIRE = Move(frozenset(), State.EXPIRED, "attrsync, once the request is past its expiry")
WITHDRAW = Move(frozenset({State.PENDING}), State.WITHDRAWN, "attrsync, when Slack lost the post")
START = Move(frozenset({State.APPROVED, State.STALLED}), State.RUNNING, "the worker", fenced=True)
FINISH = Move(
    frozenset({State.RUNNING}), State.DONE, "the worker", ack=True, attention=False, fenced=True
)
FAIL = Move(
    frozenset({State.RUNNING}), State.FAILED, "the worker", ack=True, attention=False, fenced=True
)
STALL = Move(
    frozenset({State.RUNNING}),
    State.STALLED,
    "the worker",
    ack=True,
    retry=True,
    attention=True,
    fenced=True,
)
