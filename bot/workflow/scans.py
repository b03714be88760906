"""The states of a scan and every move between them.

    QUEUED -> RUNNING -> DONE | STOPPED | INCOMPLETE | FAILED   (every move by the worker)

Starting a scan queues its job; each page read saves the cursor, the tally and the page's rows
with the READ move, and only the holder of the scan's lease can make any move: a worker that
lost it can never count a page twice. Ending frees the app for its next scan.
"""

from __future__ import annotations

from enum import StrEnum

from bot.workflow.machine import Machine, Move


class ScanState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    """Every page read."""
    STOPPED = "STOPPED"
    """Someone pressed Stop."""
    INCOMPLETE = "INCOMPLETE"
    """Okta would not give a page."""
    FAILED = "FAILED"
    """The scan could not start (the app is gone, Okta refused the token)."""

    @property
    def ended(self) -> bool:
        return self in SCAN.final


_UNDER_WAY = frozenset({ScanState.QUEUED, ScanState.RUNNING})
_WORKER = "the worker"
READ = Move("read", _UNDER_WAY, ScanState.RUNNING, _WORKER, fenced=True)
FINISH = Move("finish", _UNDER_WAY, ScanState.DONE, _WORKER, fenced=True)
STOP = Move("stop", _UNDER_WAY, ScanState.STOPPED, _WORKER, fenced=True)
GIVE_UP = Move("give_up", _UNDER_WAY, ScanState.INCOMPLETE, _WORKER, fenced=True)
FAIL = Move("fail", _UNDER_WAY, ScanState.FAILED, _WORKER, fenced=True)

SCAN = Machine(
    kind="scan",
    states=ScanState,
    initial=ScanState.QUEUED,
    final=frozenset(ScanState) - _UNDER_WAY,
    moves=(READ, FINISH, STOP, GIVE_UP, FAIL),
)
ENDINGS = {m.to: m for m in (FINISH, STOP, GIVE_UP, FAIL)}
"""The move that ends a scan in each final state."""
