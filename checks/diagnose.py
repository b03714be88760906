"""Run every check concurrently over shared facts and rank the findings into a verdict."""

from __future__ import annotations

import asyncio
import logging

from checks.errors import (
    FATAL_OKTA_ERRORS,
    AppNotFound,
    NotAssigned,
    OktaError,
    Unresolved,
    UsageError,
    UserNotFound,
)
from checks.facts import Facts
from checks.model import App, Finding, Report, Status, User, Verdict
from checks.registry import CHECKS, VERDICT_RANK, Check

log = logging.getLogger(__name__)

_SKIP_REASONS: tuple[tuple[type[Unresolved], str], ...] = (
    (UserNotFound, "the Okta user was not found"),
    (AppNotFound, "the app was not found"),
    (NotAssigned, "the user is not assigned to the app"),
)


async def diagnose(facts: Facts) -> Report:
    """The report for one user and app, the facts' last use: whatever they still fetch is
    stopped before it returns. Raises the Okta error when nothing could be read (token
    rejected, Okta unreachable) and UsageError for an attribute the app lacks."""
    async with facts:
        user, app = await asyncio.gather(facts.user(), facts.app(), return_exceptions=True)
        for outcome in (user, app):
            if isinstance(outcome, FATAL_OKTA_ERRORS):
                raise outcome
        try:
            # Unlike gather, a task group stops the other checks when one raises.
            async with asyncio.TaskGroup() as group:
                running = [
                    group.create_task(run_check(check_id, run, facts)) for check_id, run in CHECKS
                ]
        except* UsageError as errors:
            raise errors.exceptions[0] from None
    ran = [task.result() for task in running]
    findings = tuple(finding for finding, _ in ran)
    return Report(
        user=user if isinstance(user, User) else None,
        app=app if isinstance(app, App) else None,
        verdict=verdict(findings),
        findings=findings,
        faults=tuple(dict.fromkeys(fault for _, fault in ran if fault)),
    )


async def run_check(check_id: str, run: Check, facts: Facts) -> tuple[Finding, str | None]:
    """The check's finding, and the Okta fault that kept it from being checked, if any."""
    try:
        return await run(facts), None
    except UsageError:
        raise
    except Unresolved as exc:
        reason = next((r for kind, r in _SKIP_REASONS if isinstance(exc, kind)), str(exc))
        return Finding(check_id, Status.SKIPPED, f"Skipped: {reason}."), None
    except OktaError as exc:
        return Finding(check_id, Status.UNKNOWN, "Could not be checked.", str(exc)), str(exc)
    except Exception:  # a bug in one check must not cost the whole report
        log.exception("check %s failed", check_id)
        fault = "attrsync hit an internal error; the log has the details."
        return Finding(check_id, Status.UNKNOWN, "Could not be checked.", fault), fault


def verdict(findings: tuple[Finding, ...]) -> Verdict:
    """The highest-ranked problem; else say why nothing is named."""
    by_check = {f.check: f for f in findings}
    for check_id in VERDICT_RANK:
        finding = by_check.get(check_id)
        if finding is not None and finding.status is Status.PROBLEM:
            return Verdict(check_id, finding.title)
    for check_id in ("sync_state", "profile_source"):  # a change on its way, or at risk
        pending = by_check.get(check_id)
        if pending is not None and pending.status is Status.WARNING:
            return Verdict(None, f"No cause found yet: {pending.title}")
    if any(f.status is Status.UNKNOWN for f in findings):
        return Verdict(None, "No cause found in what could be checked; some checks could not run.")
    return Verdict(None, "No cause found: Okta's settings, mapping and sync state all look right.")
