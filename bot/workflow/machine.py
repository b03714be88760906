"""The one shape of every workflow: a machine of states, its final states and its moves.

Fixes, scans and bulk fixes are each a `Machine` (fixes.py, scans.py, bulk.py). A `Move` says
from which states to which, who makes it and what it implies; `store/moves.py` makes any move
of any machine in one Redis script, so the check, the move and its side effects are one
atomic step, and no state name is spelled in Lua.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Move(Generic[S]):
    """One allowed transition: from which states, to which, by whom, and what it implies."""

    name: str
    sources: frozenset[S]
    to: S
    by: str
    enqueue: bool = False
    """Put the record's job on the workers' stream."""
    ack: bool = False
    """Acknowledge the job that was running it."""
    retry: bool = False
    """Schedule the job to run again later."""
    attention: bool | None = None
    """True puts the record on the attention list (App Home), False takes it off."""
    fenced: bool = False
    """Only the worker holding the run's lease may make it."""


@dataclass(frozen=True, slots=True)
class Machine(Generic[S]):
    """A workflow's states and moves; `kind` names its jobs on the stream and its records."""

    kind: str
    states: type[S]
    initial: S
    final: frozenset[S]
    moves: tuple[Move[S], ...]
    lapse: S | None = None
    """The state a record still in `initial` past its `expires` field falls into first."""

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ValueError(f"the {self.kind} machine is wrong: " + "; ".join(problems))

    @property
    def open(self) -> frozenset[S]:
        return frozenset(self.states) - self.final

    def move(self, name: str) -> Move[S]:
        return next(m for m in self.moves if m.name == name)


def _problems(machine: Machine[S]) -> Iterable[str]:
    names = [m.name for m in machine.moves]
    if len(set(names)) != len(names):
        yield "two moves share a name"
    if machine.initial in machine.final:
        yield "it starts in a final state"
    for move in machine.moves:
        if move.sources & machine.final:
            yield f"{move.name} leaves a final state"
    reached = {machine.initial}
    while True:
        more = {m.to for m in machine.moves if m.sources & reached or not m.sources} - reached
        if not more:
            break
        reached |= more
    for state in frozenset(machine.states) - reached:
        yield f"{state} cannot be reached"
    for state in machine.open:
        if not any(state in m.sources and m.to != state for m in machine.moves):
            yield f"{state} has no way out"
    if machine.lapse is not None and machine.lapse not in machine.final:
        yield "a lapsed record must end"
