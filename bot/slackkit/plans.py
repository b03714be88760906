"""A fix's plan in Block Kit: every call it makes, and bodies too long for the request."""

from __future__ import annotations

import json

from bot.slackkit.blockkit import MAX_BLOCKS, MAX_SECTION_TEXT, Message, clip, escape, section
from checks.remediation.model import Plan, Step

SHORT_BODY = 300
"""A request body up to this long is shown in the request itself; a longer one in the thread."""


def calls_text(plan: Plan) -> str:
    """Every call the plan makes, always whole (method and path); each step's words share
    what room is left, and a body too long for the request is posted in the thread."""
    head = "*What will change* (the exact Okta calls):"
    calls = [f"`{escape(step.method)} {escape(step.path)}`{_body(step)}" for step in plan.steps]
    room = (MAX_SECTION_TEXT - len(head) - sum(len(c) + 12 for c in calls)) // len(calls)
    lines = [
        f"{i}. {escape(clip(step.summary, max(room, 20)))}\n    {call}"
        for i, (step, call) in enumerate(zip(plan.steps, calls, strict=True), 1)
    ]
    return "\n".join([head, *lines])


def _body(step: Step) -> str:
    if step.body is None:
        return ""
    body = json.dumps(step.body, sort_keys=True)
    if len(body) > SHORT_BODY:
        return f" (its body of {len(body)} characters is in full just above, in the thread)"
    return f" `{escape(body)}`"


def plan_details(plan: Plan) -> tuple[Message, ...]:
    """The request bodies too long for the request itself, in full, for its thread."""
    long = [
        (i, step)
        for i, step in enumerate(plan.steps, 1)
        if step.body is not None and len(json.dumps(step.body)) > SHORT_BODY
    ]
    messages = []
    for i, step in long:
        body = json.dumps(step.body, sort_keys=True, indent=1)
        title = f"Step {i}, `{escape(step.method)} {escape(step.path)}`, sends:"
        chunks = [body[n : n + CHUNK] for n in range(0, len(body), CHUNK)]
        blocks = [section(f"```{escape(chunk)}```") for chunk in chunks]
        for start in range(0, len(blocks), MAX_BLOCKS - 1):
            part = blocks[start : start + MAX_BLOCKS - 1]
            messages.append(
                Message(f"Step {i} of the fix request, in full", (section(title), *part))
            )
    return tuple(messages)


CHUNK = MAX_SECTION_TEXT - 10
"""Characters of a body per section (room for the code fence)."""
