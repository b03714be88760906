"""One escaping rule for everything sent to Slack: whatever Okta or a person wrote reaches
Slack inert, in the notification `text` as in the blocks, from every message builder."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.audit import Audit
from bot.fixes.render import (
    approval_request,
    home_view,
    manual_fix,
    stall_resolved,
    stalled_alert,
    verification,
)
from bot.reports import render
from bot.slackkit.blockkit import Message
from bot.store.approvals import Approval
from bot.workflow.fixes import State
from checks.model import App, Finding, Fix, Report, Status, User, Verdict
from checks.remediation.model import Plan, Probe, Step
from tests.harness import builders as b

HOSTILE = (
    "<!channel>",
    "<!here|here>",
    "<@U0ADMIN>",
    "<#C0SECRET>",
    "<https://evil.example|click here>",
    "<mailto:x@evil.example|mail>",
)
"""What must never reach Slack as written: each would ping, link or mention."""
EVIL = " ".join(HOSTILE) + " &amp; *bold* `code`"


def leaks(payload: Any) -> list[str]:
    said = json.dumps(payload)
    return [h for h in HOSTILE if json.dumps(h)[1:-1] in said]


def hostile_report() -> Report:
    user = b.user(profile={"login": f"x{EVIL}@example.com"})
    findings = tuple(
        Finding(
            check,
            status,
            f"{EVIL} title",
            f"{EVIL} detail",
            Fix("mapping", True, f"{EVIL} fix"),
            "https://acme.okta.com/admin?x=<!channel>|y",
            tuple((f"{EVIL} label {i}", f"{EVIL} value {i}") for i in range(12)),
        )
        for check, status in (("mapping", Status.PROBLEM), ("preview", Status.UNKNOWN))
    )
    return Report(
        user=User(user.id, EVIL, "ACTIVE", None, user.profile, None, EVIL),
        app=App("0oa1", EVIL, EVIL, "ACTIVE", "SAML_2_0", frozenset()),
        verdict=Verdict("mapping", f"{EVIL} verdict"),
        findings=findings,
    )


def hostile_approval(state: State = State.STALLED) -> Approval:
    step = Step(
        f"{EVIL} step",
        "POST",
        f"/api/v1/mappings/prm1{EVIL}",
        {"properties": {EVIL: EVIL}},
        probe=Probe("/api/v1/mappings/prm1"),
    )
    plan = Plan(
        fix="mapping",
        check="mapping",
        user_id="00u1",
        user_login=EVIL,
        app_id="0oa1",
        app_label=EVIL,
        summary=f"{EVIL} summary",
        affects=f"{EVIL} affects",
        risk=f"{EVIL} risk",
        steps=(step,),
        manual=f"{EVIL} manual",
    )
    return Approval(
        id="a1",
        state=state,
        plan=plan,
        digest=plan.digest(),
        requester="U0BOB",
        channel="C0HELP",
        thread_ts="1.2",
        created=0.0,
        expires=3600.0,
        approver="U0APPROVER",
        result=f"{EVIL} result",
        stalls=2,
    )


def _manual_finding() -> Finding:
    fix = Fix("m", False, EVIL)
    return Finding("mapping", Status.PROBLEM, EVIL, EVIL, fix, f"https://x/<!channel>|{EVIL}")


def _given(message: Message) -> Callable[[], Message]:
    return lambda: message


def _messages() -> dict[str, Callable[[], Message | dict[str, Any]]]:
    finding = Finding("mapping", Status.SKIPPED, f"{EVIL} skipped")
    rendered = render.report(hostile_report(), asked=EVIL, requester="U0BOB", fix_ids={})
    return {
        "report": lambda: rendered.report,
        **{f"continued-{i}": _given(m) for i, m in enumerate(rendered.thread)},
        "approval_request": lambda: approval_request(hostile_approval(State.PENDING)),
        "manual_fix": lambda: manual_fix(_manual_finding(), "o1", EVIL),
        "manual_fix_detail": lambda: manual_fix(_manual_finding(), "o", None),
        "verification": lambda: verification("mapping", finding, [finding]),
        "stalled_alert": lambda: stalled_alert(hostile_approval(), [EVIL], 90),
        "stall_resolved": lambda: stall_resolved(hostile_approval(State.DONE)),
        "home": lambda: home_view(
            True,
            [hostile_approval(State.PENDING)],
            [{"asked": EVIL, "verdict": EVIL, "permalink": "", "at": "now"}],
            [hostile_approval()],
        ),
    }


@pytest.mark.parametrize("name", list(_messages()))
def test_every_message_builder_sends_okta_text_inert(name: str) -> None:
    built = _messages()[name]()
    payload = built.payload() if isinstance(built, Message) else built
    assert not leaks(payload), name
    if isinstance(built, Message):
        assert not leaks(payload["text"]), f"{name}: the notification text"


def test_the_report_spills_into_its_thread_so_the_overflow_is_tested_too() -> None:
    rendered = render.report(hostile_report(), asked=EVIL, requester=None, fix_ids={})
    assert rendered.thread


class _Slack:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    async def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.posted.append(kwargs)
        return {"ok": True}


async def test_the_audit_channel_gets_inert_text(redis: Redis) -> None:
    slack = _Slack()
    audit = Audit(redis, slack, "C0AUDIT", "attrsync-test-escaping:", lambda: datetime.now(UTC))  # type: ignore[arg-type]
    try:
        await audit.record("stalled", hostile_approval(), actor="U0APPROVER", result=EVIL)
    finally:
        await redis.delete("attrsync-test-escaping:audit")
    [post] = slack.posted
    assert not leaks(post)
