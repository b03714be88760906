"""Triage's own messages (pure): the one that stands for a burst, and a resolved report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

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
    return _app_failure(
        app_id,
        label,
        reason,
        f"Okta could not authenticate to {escape(label)}'s API, so no change reaches "
        f"{escape(label)} until its provisioning credentials are fixed.",
    )


def rate_limited(app_id: str, label: str, reason: str) -> Message:
    return _app_failure(
        app_id,
        label,
        reason,
        f"{escape(label)}'s API is refusing Okta for its rate limit: changes reach "
        f"{escape(label)} late, and pushes that ran out of tries need a retry.",
    )


def integration_failure(app_id: str, label: str, reason: str) -> Message:
    return _app_failure(
        app_id,
        label,
        reason,
        f"Okta's calls to {escape(label)}'s API are failing, so changes may not reach "
        f"{escape(label)}.",
    )


APP_FAILURES: Final[Mapping[str, Callable[[str, str, str], Message]]] = {
    "credentials": auth_failure,
    "rate_limit": rate_limited,
    "integration": integration_failure,
}
"""The message for each cause of an app's API failing (triggers.APP_FAILURES)."""


def _app_failure(app_id: str, label: str, reason: str, text: str) -> Message:
    return Message(
        text,
        (
            section(f":rotating_light: *{text}*"),
            context(f"Okta said: {escape(reason)}"),
            actions(button(f"Scan {label}", SCAN, app_id, primary=True)),
        ),
    )
