"""Run an approved plan step by step with a write-ahead journal, resumable after any crash.

Before a change is sent, the journal records the intent; after Okta answers, the outcome. A
step found with an intent but no outcome may or may not have reached Okta: its probe reads
Okta to decide, so it is neither repeated nor guessed done. Steps that give something back
(`restores`: the reassign after an unassign, Deactivate Users switched back on) run once the
step they undo may have happened, whatever failed in between, and are never given up: if Okta
keeps refusing them, the outcome says the run is stalled and the caller tries again later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from checks.errors import AttrsyncError, OktaError, OktaNotFound, OktaRateLimited, OktaUnavailable
from checks.okta import OktaClient
from checks.remediation.model import Plan, Step
from checks.retry import Backoff

WAIT_LIMIT = 60.0
POLL_INTERVAL = 2.0
STEP_RETRY = Backoff(initial=1.0, factor=2.0, cap=2.0, attempts=3)
"""Tries of a step's change, and of each read of its probe, in poll intervals (scaled by the
one execute is given)."""

Phase = Literal["sent", "done", "failed"]


class LeaseLost(AttrsyncError):
    """Another worker holds this run now: stop at once, send nothing more."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the journal knows of one step: `sent` (the intent: it may have reached Okta),
    `done` (with Okta's request id, empty when the probe found it in place) or `failed`."""

    phase: Phase
    note: str = ""


class Journal(Protocol):
    """The steps of one run, kept where a crash cannot lose them. Every write raises
    LeaseLost when the run is no longer this process's to write."""

    async def entries(self) -> Mapping[int, Entry]: ...

    async def write(self, index: int, entry: Entry) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    error: str | None
    request_ids: tuple[str, ...]
    stalled: str | None = None
    """Set when a step that must finish (a restore) has not: what Okta said. The run is
    neither done nor failed: run the plan again later, it resumes there."""


async def execute(
    okta: OktaClient,
    plan: Plan,
    journal: Journal,
    *,
    wait_limit: float = WAIT_LIMIT,
    poll_interval: float = POLL_INTERVAL,
) -> Outcome:
    entries = dict(await journal.entries())
    failures = [entries[i].note for i in sorted(entries) if entries[i].phase == "failed"]
    error = " ".join(failures) or None
    stalled: list[str] = []
    for index, step in enumerate(plan.steps):
        entry = entries.get(index)
        if entry is not None and entry.phase != "sent":
            continue
        if (error is not None or stalled) and not _must_finish(step, entries):
            continue
        try:
            request_id = await _apply(okta, step, journal, index, entry, wait_limit, poll_interval)
        except OktaError as exc:
            said = f"{step.summary} failed: {exc}"
            if step.restores is not None:
                entries[index] = Entry("sent", said)
                await journal.write(index, entries[index])
                stalled.append(said)
                continue
            entries[index] = Entry("failed", said)
            await journal.write(index, entries[index])
            error = said if error is None else f"{error} {said}"
            continue
        entries[index] = Entry("done", request_id)
        await journal.write(index, entries[index])
    ids = tuple(e.note for _, e in sorted(entries.items()) if e.phase == "done" and e.note)
    return Outcome(error is None and not stalled, error, ids, " ".join(stalled) or None)


def _must_finish(step: Step, entries: Mapping[int, Entry]) -> bool:
    """A restore runs whenever the step it undoes may have happened."""
    return step.restores is not None and step.restores in entries


async def _apply(
    okta: OktaClient,
    step: Step,
    journal: Journal,
    index: int,
    entry: Entry | None,
    wait_limit: float,
    poll_interval: float,
) -> str:
    """Make one step's change (or find it made); return Okta's request id."""
    if step.until:  # a bounded wait, read-only: nothing to journal before it
        return await _poll(okta, step, wait_limit, poll_interval)
    retry = STEP_RETRY.scaled(poll_interval)
    # A restore checks first whether there is anything to give back (the unassign may have
    # been refused); any step found mid-flight checks whether Okta applied it.
    unsure = entry is not None or step.restores is not None
    if unsure and await _in_place(okta, step, retry):
        return ""
    failure: OktaError | None = None
    for attempt in retry.tries():
        await journal.write(index, Entry("sent"))
        try:
            response = await okta.request(
                step.method, step.path, body=step.body, keep_nulls=step.keep_nulls
            )
            return response.request_id or ""
        except OktaNotFound:
            if step.gone_is_done:
                return ""
            raise
        except (OktaRateLimited, OktaUnavailable) as exc:  # refused for now, or no answer
            failure = exc
        if not attempt.last:
            await asyncio.sleep(attempt.pause)
        if await _in_place(okta, step, retry):
            return ""
    if isinstance(failure, OktaUnavailable):
        raise OktaUnavailable(f"{failure} Okta may or may not have applied it.")
    raise failure or AssertionError("unreachable")


async def _in_place(okta: OktaClient, step: Step, retry: Backoff) -> bool:
    """Whether Okta shows the step's change made (False for a step with no probe)."""
    if step.probe is None:
        return False
    for attempt in retry.tries():
        try:
            found = await okta.get(step.probe.path)
        except OktaNotFound:
            found = None
        except (OktaUnavailable, OktaRateLimited):
            if attempt.last:
                raise
            await asyncio.sleep(attempt.pause)
            continue
        return step.probe.holds(found)
    raise AssertionError("unreachable")


async def _poll(okta: OktaClient, step: Step, wait_limit: float, poll_interval: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_limit
    while True:
        try:
            response = await okta.request("GET", step.path)
        except (OktaUnavailable, OktaRateLimited):
            if loop.time() + poll_interval > deadline:
                raise
        else:
            if isinstance(response.body, dict) and response.body.get(step.until or ""):
                return str(response.request_id or "")
            if loop.time() + poll_interval > deadline:
                raise OktaUnavailable(
                    f"Okta did not report {step.until} within {wait_limit:g} s; "
                    "the assignment is in place, re-check in a few minutes."
                )
        await asyncio.sleep(poll_interval)
