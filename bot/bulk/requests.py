"""The people's side of a bulk fix: "Fix N users" on a scan summary, the two approvals
(the canary, then the rest) and Stop. Each answer is one sentence for the person who clicked."""

from __future__ import annotations

import logging

from bot.approvers import refusal
from bot.bulk.render import Shown, bulk_message
from bot.services import Services
from bot.slackkit.blockkit import Message, escape, notice
from bot.store.bulk import BulkRecord, Target
from bot.workflow.bulk import APPROVALS, REJECT, BulkState
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.remediation.model import NotAutomatable, NothingToDo, Plan
from checks.remediation.registry import PER_USER_FIXES, plan_fix
from checks.scan_tally import Outcome

CANARY_CANDIDATES = 5
"""How many of the first affected users are tried as the canary (a group-assigned one cannot
be relinked automatically, say): the canary is the first whose fix can be planned."""

log = logging.getLogger(__name__)


async def request_bulk(services: Services, scan_id: str, check: str, clicker: str) -> Message:
    scan = await services.store.scans.get(scan_id)
    if scan is None:
        return notice("This scan has expired; scan the app again.")
    cause = scan.tally.causes.get(check)
    if cause is None or cause.fix is None or cause.fix.id not in PER_USER_FIXES:
        return notice("This cause has no fix attrsync can run user by user.")
    targets = _targets(await services.store.scans.rows(scan_id), check)
    if not targets:
        return notice("The scan kept no users for this cause.")
    found = await _canary(services, cause.fix.id, scan.app_id, targets)
    if isinstance(found, str):
        return notice(found)
    canary, plan = found
    ordered = [canary, *(t for t in targets if t != canary)]
    bulks = services.store.bulks
    created = await bulks.create(
        scan_id=scan_id,
        check=check,
        fix_id=cause.fix.id,
        app_id=scan.app_id,
        app_label=scan.app_label,
        channel=scan.channel,
        thread_ts=scan.message_ts,
        requester=clicker,
        targets=ordered,
    )
    record = await bulks.get(created.bulk_id)
    if record is None:
        return notice("The bulk fix vanished from Redis; ask again.")
    if not created.new:
        return notice(f"A bulk fix of this cause is {record.state.value.lower()} in the thread.")
    posted = await services.slack.chat_postMessage(
        channel=record.channel,
        thread_ts=record.thread_ts,
        **bulk_message(
            record, ordered, plan, distinct=services.settings.bulk_distinct_approvers
        ).payload(),
    )
    await bulks.note(record.id, message_ts=str(posted["ts"]))
    await services.audit.record_bulk("requested", record, actor=clicker)
    return notice("Bulk fix requested in the thread; an approver has to approve the canary.")


async def decide_bulk(
    services: Services,
    bulk_id: str,
    user: str,
    *,
    approving: bool,
    shown: Shown | None = None,
) -> Message:
    """Approve or reject; `shown` is what the message clicked showed the approver (None when
    the click cannot say: then only the canary first proposed can be approved)."""
    bulks = services.store.bulks
    record = await bulks.get(bulk_id)
    if record is None:
        return notice("This bulk fix no longer exists.")
    refused = await refusal(services, record.requester, user, approving=approving)
    if refused:
        return notice(refused)
    if approving:
        source = shown.state if shown is not None else record.state
        move = APPROVALS.get(source)
        if move is None:
            return notice(f"This bulk fix is {record.state.value.lower()}; nothing to approve.")
        to = move.to
        who = {"approver" if to is BulkState.CANARY else "confirmer": user}
        distinct = to is BulkState.RUNNING and services.settings.bulk_distinct_approvers
        said = await bulks.move(
            bulk_id,
            move,
            fields=who,
            canary=shown.canary if shown is not None else None,
            canary_unchanged=shown is None and source is BulkState.PENDING,
            not_by=user if distinct else None,
        )
        event = "approved" if to is BulkState.CANARY else "confirmed"
    else:
        said = await bulks.move(bulk_id, REJECT, fields={"result": f"Rejected by <@{user}>."})
        event = "rejected"
    if said == "canary":
        return await _stale_canary(services, record)
    if said == "same":
        return notice("You approved the canary, so another approver has to approve the rest.")
    if said != "moved":
        if shown is not None and said in APPROVALS:
            # The bulk went on to its other approval: this click meant the step before it.
            return notice(
                "This message is out of date: the bulk fix has moved on to its next "
                "approval; read the request in the thread again before approving."
            )
        return notice(f"This bulk fix is {said.lower()} already; nothing more to do here.")
    decided = await bulks.get(bulk_id) or record
    await services.audit.record_bulk(event, decided, actor=user)
    await show_bulk(services, decided)
    if not approving:
        return notice("Rejected: nothing more will be changed.")
    if decided.state is BulkState.CANARY:
        return notice("Approved: the canary is fixed first, and the thread shows how it goes.")
    return notice("Approved: the other users are fixed one at a time now.")


async def _stale_canary(services: Services, record: BulkRecord) -> Message:
    """The refusal of an approval given on a message whose canary has changed since."""
    targets = await services.store.bulks.targets(record.id)
    now = targets[0].login if targets else "another user"
    return notice(
        f"Not approved: the canary is now {escape(now)}, not the user the message you clicked "
        "showed; read the updated request in the thread before approving."
    )


async def stop_bulk(services: Services, bulk_id: str, user: str) -> Message:
    state = await services.store.bulks.request_stop(bulk_id, user)
    if state is None:
        return notice("This bulk fix no longer exists.")
    if state.ended:
        return notice("This bulk fix has ended already.")
    log.info("bulk %s: stop asked by %s", bulk_id, user)
    return notice("The bulk fix stops once the user in progress is done.")


async def choose_canary(services: Services, choice: str, user: str) -> Message:
    """The requester (or an approver) names another affected user as the canary."""
    bulk_id, _, user_id = choice.partition(":")
    bulks = services.store.bulks
    record = await bulks.get(bulk_id)
    if record is None:
        return notice("This bulk fix no longer exists.")
    if user != record.requester and await refusal(services, record.requester, user, approving=True):
        return notice("Only whoever asked for the bulk fix, or an approver, can choose its canary.")
    if user_id not in {t.user_id for t in await bulks.targets(bulk_id)}:
        return notice("That user is not one of this bulk fix's users.")
    facts = Facts(services.okta, user_id, record.app_id, now=services.clock())
    try:
        async with facts:
            plan = await plan_fix(record.fix_id, facts)
    except (NotAutomatable, NothingToDo) as exc:
        return notice(f"That user cannot be the canary: {escape(exc)}")
    except AttrsyncError as exc:
        return notice(f"Could not plan that user's fix: {escape(exc)}")
    said = await bulks.choose_canary(bulk_id, user_id)
    if said != "moved":
        return notice("The canary can only change before it is approved.")
    await show_bulk(services, record, plan)
    await services.audit.record_bulk("canary-chosen", record, actor=user, result=user_id)
    return notice("Canary changed; the request in the thread shows its calls.")


async def show_bulk(services: Services, record: BulkRecord, plan: Plan | None = None) -> None:
    """Bring the bulk fix's message in the thread up to date."""
    if not record.message_ts:
        return
    targets = await services.store.bulks.targets(record.id)
    await services.slack.chat_update(
        channel=record.channel,
        ts=record.message_ts,
        **bulk_message(
            record, targets, plan, distinct=services.settings.bulk_distinct_approvers
        ).payload(),
    )


def _targets(rows: list[Outcome], check: str) -> list[Target]:
    """The users of one cause among a scan's affected users."""
    return [Target(row.user_id, row.login) for row in rows if row.check == check]


async def _canary(
    services: Services, fix_id: str, app_id: str, targets: list[Target]
) -> tuple[Target, Plan] | str:
    """The first of the first users whose fix can be planned now, with its plan; else why not."""
    reasons = []
    for target in targets[:CANARY_CANDIDATES]:
        facts = Facts(services.okta, target.user_id, app_id, now=services.clock())
        try:
            async with facts:
                return target, await plan_fix(fix_id, facts)
        except (NotAutomatable, NothingToDo) as exc:
            reasons.append(f"{target.login}: {exc}")
        except AttrsyncError as exc:
            return f"Could not plan the canary's fix: {escape(exc)}"
    return "None of the first users can be fixed automatically: " + escape("; ".join(reasons))
