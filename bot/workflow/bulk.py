"""The states of a bulk fix and every move between them.

    PENDING -> CANARY -> CONFIRM -> RUNNING -> DONE | STOPPED | FAILED
    PENDING | CONFIRM -> REJECTED          CANARY -> FAILED | STOPPED

Approving (PENDING -> CANARY, CONFIRM -> RUNNING) queues the bulk's job in the same move, which
also checks that the canary is the one the approver was shown and, where the rest need another
approver, that the confirmer did not approve the canary (store/bulk.py sets those guards).
The worker's moves are fenced by the bulk's lease.
"""

from __future__ import annotations

from enum import StrEnum

from bot.workflow.machine import Machine, Move


class BulkState(StrEnum):
    PENDING = "PENDING"
    CANARY = "CANARY"
    CONFIRM = "CONFIRM"
    RUNNING = "RUNNING"
    DONE = "DONE"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"

    @property
    def ended(self) -> bool:
        return self in BULK.final


_APPROVER = "an approver"
_WORKER = "the worker"
_RUNS = frozenset({BulkState.CANARY, BulkState.RUNNING})
APPROVE_CANARY = Move(
    "approve_canary", frozenset({BulkState.PENDING}), BulkState.CANARY, _APPROVER, enqueue=True
)
APPROVE_REST = Move(
    "approve_rest", frozenset({BulkState.CONFIRM}), BulkState.RUNNING, _APPROVER, enqueue=True
)
REJECT = Move(
    "reject",
    frozenset({BulkState.PENDING, BulkState.CONFIRM}),
    BulkState.REJECTED,
    "an approver or the requester",
)
VERIFIED = Move("verified", frozenset({BulkState.CANARY}), BulkState.CONFIRM, _WORKER, fenced=True)
FINISH = Move("finish", frozenset({BulkState.RUNNING}), BulkState.DONE, _WORKER, fenced=True)
STOP = Move("stop", _RUNS, BulkState.STOPPED, _WORKER, fenced=True)
FAIL = Move("fail", _RUNS, BulkState.FAILED, _WORKER, fenced=True)

BULK = Machine(
    kind="bulk",
    states=BulkState,
    initial=BulkState.PENDING,
    final=frozenset({BulkState.DONE, BulkState.STOPPED, BulkState.FAILED, BulkState.REJECTED}),
    moves=(APPROVE_CANARY, APPROVE_REST, REJECT, VERIFIED, FINISH, STOP, FAIL),
)
APPROVALS = {BulkState.PENDING: APPROVE_CANARY, BulkState.CONFIRM: APPROVE_REST}
"""The approval each state waits for: the canary's, then the rest's."""
