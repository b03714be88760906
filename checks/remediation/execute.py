"""Run an approved plan step by step, resumable after a crash, settings always restored.

Every step is idempotent (a PUT of a setting, a repeated unassign answered 404, an assignment
made again), so resuming re-runs the step that was in flight and skips the ones the journal
says are done. Steps marked `always` (giving an assignment back, restoring Deactivate Users)
run whatever happened before them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from checks.errors import OktaError, OktaNotFound, OktaRateLimited, OktaUnavailable
from checks.okta import OktaClient
from checks.remediation.model import Plan, Step

ATTEMPTS = 3
WAIT_LIMIT = 60.0
POLL_INTERVAL = 2.0


class Journal(Protocol):
    """Which steps of one run are done, kept where a crash cannot lose it."""

    async def completed(self) -> Mapping[int, str]: ...

    async def record(self, index: int, request_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    error: str | None
    request_ids: tuple[str, ...]


async def execute(
    okta: OktaClient,
    plan: Plan,
    journal: Journal,
    *,
    wait_limit: float = WAIT_LIMIT,
    poll_interval: float = POLL_INTERVAL,
) -> Outcome:
    done = dict(await journal.completed())
    error: str | None = None
    last_done = max(done, default=-1)
    for index, step in enumerate(plan.steps):
        if index in done:
            continue
        if error is None and index < last_done:
            # Steps run in order, so a later step being done means this one failed (or was
            # passed over) in an earlier attempt: carry on as that attempt did, running only
            # the `always` steps, never an unassign after its reassign.
            error = f"{step.summary} did not succeed in an earlier attempt of this run."
        if error is not None and not step.always:
            continue
        try:
            done[index] = await _run(okta, step, wait_limit, poll_interval)
        except OktaError as exc:
            failed = f"{step.summary} failed: {exc}"
            error = failed if error is None else f"{error} {failed}"
            continue
        await journal.record(index, done[index])
    ids = tuple(done[i] for i in sorted(done) if done[i])
    return Outcome(error is None, error, ids)


async def _run(okta: OktaClient, step: Step, wait_limit: float, poll_interval: float) -> str:
    """Run one step (retrying what Okta may answer next time); return Okta's request id."""
    if step.until:  # bounded by wait_limit as a whole, never retried past it
        return await _poll(okta, step, wait_limit, poll_interval)
    for attempt in range(ATTEMPTS):
        try:
            response = await okta.request(
                step.method, step.path, body=step.body, keep_nulls=step.keep_nulls
            )
            return response.request_id or ""
        except OktaNotFound:
            if step.gone_is_done:
                return ""
            raise
        except (OktaUnavailable, OktaRateLimited):
            if attempt == ATTEMPTS - 1:
                raise
            await asyncio.sleep(poll_interval * (attempt + 1))
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
