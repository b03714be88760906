"""Block Kit rendering: Slack's limits hold for any report, and Okta text stays inert."""

from __future__ import annotations

from dataclasses import replace

import pytest
from slack_sdk.models.blocks import Block

from bot.fixes.render import approval_request, manual_fix
from bot.reports import render
from bot.slackkit.blockkit import (
    MAX_BLOCKS,
    Message,
    actions,
    button,
    context,
    escape,
    link,
    section,
)
from bot.slackkit.plans import plan_details
from bot.store.approvals import Approval
from bot.workflow.fixes import State
from checks.diagnose import diagnose
from checks.model import Finding, Fix, Report, Status, Verdict
from checks.remediation.model import Plan, Step
from tests.harness import builders as b


def test_escape_makes_mentions_and_links_inert() -> None:
    assert escape("<!channel> & <@U1|x> <https://evil|click>") == (
        "&lt;!channel&gt; &amp; &lt;@U1|x&gt; &lt;https://evil|click&gt;"
    )


def test_link_cannot_be_broken_out_of() -> None:
    assert link("https://a.example/x|y>z", "<b>") == "<https://a.example/x%7Cy%3Ez|&lt;b&gt;>"


def test_more_than_fifty_blocks_are_cut_with_a_note() -> None:
    blocks: tuple[Block, ...] = tuple(context(f"line {i}") for i in range(80))
    payload = Message("fallback", blocks).payload()
    assert len(payload["blocks"]) == MAX_BLOCKS
    assert "31 more blocks left out" in payload["blocks"][-1]["elements"][0]["text"]


def test_long_section_text_is_clipped_to_3000() -> None:
    payload = Message("x", (section("y" * 5000),)).payload()
    assert len(payload["blocks"][0]["text"]["text"]) == 3000


def test_duplicate_action_ids_in_one_block_are_refused_across_blocks_allowed() -> None:
    """Slack's rule: an action_id is unique within its block (App Home repeats Approve)."""
    same_block = (actions(button("Fix", "fix:a", "1"), button("Fix", "fix:a", "2")),)
    with pytest.raises(ValueError, match="appears twice"):
        Message("x", same_block).payload()
    two_blocks = (
        section("a", button("Fix", "fix:a", "1")),
        section("b", button("Fix", "fix:a", "2")),
    )
    assert len(Message("x", two_blocks).payload()["blocks"]) == 2


def test_fallback_text_is_required() -> None:
    with pytest.raises(ValueError, match="fallback"):
        Message("  ", (section("a"),)).payload()


def test_button_value_over_2000_is_refused() -> None:
    with pytest.raises(ValueError, match="2000"):
        button("Fix", "fix:a", "v" * 2001)


async def test_report_shows_problems_with_evidence_and_one_line_of_passes() -> None:
    report = await diagnose(b.facts(app_user=b.app_user(external_id=None)))
    rendered = render.report(
        report, asked="/attrsync why jdoe box", requester="U1", fix_ids={"external_id": "offer-1"}
    )
    payload = rendered.report.payload()
    texts = [block.get("text", {}).get("text", "") for block in payload["blocks"]]
    assert texts[0].startswith(":red_circle: *Cause:* Jane Doe's Box assignment has no external ID")
    [problem] = [block for block in payload["blocks"] if "accessory" in block]
    assert "External ID: (none)" in problem["text"]["text"]
    assert problem["accessory"] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Fix it…", "emoji": True},
        "action_id": "fix:external_id",
        "value": "offer-1",
        "style": "primary",
    }
    passed = payload["blocks"][-1]["elements"][0]["text"]
    assert passed.startswith(":white_check_mark: Passed: `user` · `app`")
    assert not rendered.thread


def test_many_evidence_rows_continue_in_the_thread() -> None:
    rows = tuple((f"row {i}", "x" * 400) for i in range(30))
    finding = Finding("push_errors", Status.PROBLEM, "Pushes failed.", evidence=rows)
    report = Report(None, None, Verdict("push_errors", "Pushes failed."), (finding,))
    rendered = render.report(report, asked="/attrsync why a b", requester=None, fix_ids={})
    shown = rendered.report.payload()["blocks"][3]["text"]["text"]
    assert len(shown) <= 3000
    assert "more in the thread" in shown
    continued = [m.payload() for m in rendered.thread]
    rest = "".join(block["text"]["text"] for m in continued for block in m["blocks"])
    assert rest.count("• row") + shown.count("• row") == 30


def test_manual_fix_escapes_okta_text_and_offers_recheck() -> None:
    fix = Fix("relink", False, "Unassign <jdoe>")
    finding = Finding("external_id", Status.PROBLEM, "t", "detail <!here>", fix)
    message = manual_fix(finding, "offer-1", None).payload()
    assert "<!here>" not in str(message)
    assert "&lt;jdoe&gt;" in message["blocks"][0]["text"]["text"]
    [recheck] = message["blocks"][1]["elements"]
    assert (recheck["action_id"], recheck["value"]) == ("recheck:external_id", "offer-1")


def _section_texts(message: Message) -> list[str]:
    return [b["text"]["text"] for b in message.payload()["blocks"] if b.get("type") == "section"]


def test_a_huge_detail_never_cuts_the_pointer_or_the_console_link() -> None:
    finding = Finding(
        "mapping",
        Status.PROBLEM,
        "T" * 400,
        "D" * 6000,
        link="https://acme.okta.com/admin/app/boxnet",
        evidence=tuple((f"row {i}", "v" * 200) for i in range(30)),
    )
    result = Report(None, None, Verdict("mapping", "x"), (finding,))
    rendered = render.report(result, asked="why x y", requester=None, fix_ids={})
    text = next(t for t in _section_texts(rendered.report) if t.startswith(":red_circle: *T"))
    assert len(text) <= 3000
    assert "more in the thread_" in text
    assert text.endswith("<https://acme.okta.com/admin/app/boxnet|Open in the Okta admin console>")
    thread = "".join(t for message in rendered.thread for t in _section_texts(message))
    assert thread.count("D") == 6000  # the detail is whole in the thread, split, not clipped
    assert "row 29" in thread


def _wide_mapping_approval() -> Approval:
    names = [f"attribute{i:03d}_{'x' * 30}" for i in range(300)]
    described = "; ".join(f"{n} from user.{n} on create and update" for n in names)
    step = Step(
        f"Update the Okta to Box mapping: {described}",
        "POST",
        "/api/v1/mappings/prm1box0000000000001",
        {"properties": {n: {"expression": f"user.{n}", "pushStatus": "PUSH"} for n in names}},
    )
    plan = Plan(
        "mapping", "mapping", "00u1", "jdoe@example.com", "0oa1", "Box",
        f"In the Okta to Box mapping, map {described}.", "Every user of Box.", "A push.", (step,),
    )  # fmt: skip
    return Approval("a1", State.PENDING, plan, plan.digest(), "U0BOB", "C1", "1.2", 0.0, 9.0)


def test_an_approval_request_always_shows_every_call_and_its_body() -> None:
    approval = _wide_mapping_approval()
    texts = _section_texts(approval_request(approval))
    calls = next(t for t in texts if t.startswith("*What will change*"))
    assert len(calls) <= 3000
    assert "`POST /api/v1/mappings/prm1box0000000000001`" in calls
    assert "is in full just above, in the thread" in calls
    details = plan_details(approval.plan)
    posted = "".join(t for message in details for t in _section_texts(message))
    for name in approval.plan.steps[0].body["properties"]:
        assert name in posted
    assert all(len(m.payload()["blocks"]) <= MAX_BLOCKS for m in details)


def test_a_short_body_is_shown_in_the_request_itself() -> None:
    step = Step("Turn on", "PUT", "/api/v1/apps/0oa1/features/USER_PROVISIONING", {"a": 1})
    plan = replace(_wide_mapping_approval().plan, steps=(step,), summary="Turn on.")
    approval = Approval("a1", State.PENDING, plan, plan.digest(), "U0BOB", "C1", None, 0.0, 9.0)
    assert '`{"a": 1}`' in "".join(_section_texts(approval_request(approval)))
    assert plan_details(plan) == ()
