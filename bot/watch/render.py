"""Triage's own messages (pure): the one that stands for a burst, and a resolved report."""

from __future__ import annotations

from bot.slack.blockkit import Message, actions, button, context, escape, section

SCAN = "scan:start"
"""Scan the app (value: its id), from a burst's message."""


def burst(app_id: str, label: str, cause: str, summary: str, count: int) -> Message:
    text = (
        f"{count} users of {escape(label)} failed to sync within minutes, for one cause "
        f"(`{cause}`): likely an app-level problem or a bulk change."
    )
    return Message(
        text,
        (
            section(f":rotating_light: *{text}*"),
            context(f"For example: {escape(summary)}"),
            actions(button(f"Scan {label}", SCAN, app_id, primary=True)),
        ),
    )


def resolved(summary: str) -> Message:
    text = "Resolved by itself: a later push to the app succeeded."
    shown = f":white_check_mark: *{text}*"
    if summary:
        shown += f"\nIt said: {escape(summary)}"
    return Message(text, (section(shown), context("The details are in the thread.")))


def auth_failure(app_id: str, label: str, reason: str) -> Message:
    text = (
        f"Okta could not authenticate to {escape(label)}'s API, so no change reaches "
        f"{escape(label)} until its provisioning credentials are fixed."
    )
    return Message(
        text,
        (
            section(f":rotating_light: *{text}*"),
            context(f"Okta said: {escape(reason)}"),
            actions(button(f"Scan {label}", SCAN, app_id, primary=True)),
        ),
    )
