"""The modal of the message shortcut (pure): who, which app, which attribute, pre-filled with
what attrsync could tell from the message, for a person to confirm or correct."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.slack.blockkit import clip, escape
from checks.model import App

USER, APP, ATTRIBUTE = "user", "app", "attribute"
"""Block ids, and the action ids of their inputs."""
EXCERPT = 300


def diagnose_modal(
    *,
    author: str | None,
    email: str | None,
    login: str | None,
    apps: Sequence[App],
    attribute: str | None,
    excerpt: str,
    metadata: str,
) -> dict[str, Any]:
    who = f"<@{author}>" if author else "the author"
    if login:
        user_hint = f"The Okta user of {who}, found by their Slack profile's email."
    elif email:
        user_hint = f"No one Okta user has {who}'s email ({email}): name their Okta login."
    else:
        user_hint = f"Slack has no email for {who}: name their Okta login, email or short name."
    if not apps:
        app_hint = "The message names no app of the org: name it (its label or name, as in Okta)."
    elif len(apps) == 1:
        app_hint = "Named in the message."
    else:
        app_hint = f"Named in the message, as are: {', '.join(a.label for a in apps[1:4])}."
    view = View(
        type="modal",
        callback_id="diagnose_message",
        title=PlainTextObject(text="Diagnose with attrsync"),
        submit=PlainTextObject(text="Diagnose"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f"> {escape(clip(excerpt, EXCERPT)) or '(no text)'}")
                ]
            ),
            _input(USER, "Okta user", login, user_hint),
            _input(APP, "App", apps[0].label if apps else None, app_hint),
            _input(
                ATTRIBUTE,
                "Attribute (optional)",
                attribute,
                "The app attribute in question, e.g. lastName; empty compares every mapped one.",
                optional=True,
            ),
        ],
    )
    return view.to_dict()


def _input(
    block_id: str, label: str, initial: str | None, hint: str, *, optional: bool = False
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(action_id=block_id, initial_value=initial),
        hint=PlainTextObject(text=clip(hint, 2000)),
        optional=optional,
    )


def submitted_value(view: dict[str, Any], block_id: str) -> str | None:
    """The stripped text a person entered in an input of the submitted modal, or None."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(block_id) if isinstance(values, dict) else None
    entry = block.get(block_id) if isinstance(block, dict) else None
    value = entry.get("value") if isinstance(entry, dict) else None
    return value.strip() or None if isinstance(value, str) else None
