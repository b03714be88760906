"""The states of a fix request and every move between them, in one table.

    PENDING -> APPROVED -> RUNNING -> DONE | FAILED
                           RUNNING <-> STALLED   (a step that must finish keeps failing)
    PENDING -> REJECTED | EXPIRED | WITHDRAWN

Each move is made by the one move script of store/moves.py, which checks the state, makes
the move and does the side effects it implies, all at once: approving queues the job,
finishing acknowledges it, stalling schedules the retry and raises the alert. A PENDING
request past its expiry lapses to EXPIRED before any move is judged.
"""

from __future__ import annotations

from enum import StrEnum

from bot.workflow.machine import Machine, Move


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


_WORKER = "the worker"
APPROVE = Move("approve", frozenset({State.PENDING}), State.APPROVED, "an approver", enqueue=True)
REJECT = Move("reject", frozenset({State.PENDING}), State.REJECTED, "an approver or the requester")
EXPIRE = Move("expire", frozenset(), State.EXPIRED, "attrsync, once the request is past its expiry")
"""Made only by the lapse: no state is a source of it."""
WITHDRAW = Move(
    "withdraw", frozenset({State.PENDING}), State.WITHDRAWN, "attrsync, when Slack lost the post"
)
START = Move(
    "start", frozenset({State.APPROVED, State.STALLED}), State.RUNNING, _WORKER, fenced=True
)
FINISH = Move(
    "finish",
    frozenset({State.RUNNING}),
    State.DONE,
    _WORKER,
    ack=True,
    attention=False,
    fenced=True,
)
FAIL = Move(
    "fail",
    frozenset({State.RUNNING}),
    State.FAILED,
    _WORKER,
    ack=True,
    attention=False,
    fenced=True,
)
STALL = Move(
    "stall",
    frozenset({State.RUNNING}),
    State.STALLED,
    _WORKER,
    ack=True,
    retry=True,
    attention=True,
    fenced=True,
)

FIX = Machine(
    kind="approval",
    states=State,
    initial=State.PENDING,
    final=frozenset({State.DONE, State.FAILED, State.REJECTED, State.EXPIRED, State.WITHDRAWN}),
    moves=(APPROVE, REJECT, EXPIRE, WITHDRAW, START, FINISH, FAIL, STALL),
    lapse=State.EXPIRED,
)
FINAL = FIX.final
OPEN = FIX.open
