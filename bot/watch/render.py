"""Triage's own messages (pure): the one that stands for a burst, and a resolved report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.slackkit.blockkit import Message, actions, button, context, escape, section
from bot.slackkit.ids import SCAN_START

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
            actions(button(f"Scan {label}", SCAN_START, app_id, primary=True)),
        ),
    )


def resolved(summary: str) -> Message:
    text = "Resolved by itself: a later push to the app succeeded."
    shown = f":white_check_mark: *{text}*"
    if summary:
        shown += f"\nIt said: {escape(summary)}"
    return Message(text, (section(shown), context("The details are in the thread.")))


APP_FAILURES: Final[Mapping[str, str]] = {
    "credentials": "Okta could not authenticate to {app}'s API, so no change reaches {app} "
    "until its provisioning credentials are fixed.",
    "rate_limit": "{app}'s API is refusing Okta for its rate limit: changes reach {app} late, "
    "and pushes that ran out of tries need a retry.",
    "integration": "Okta's calls to {app}'s API are failing, so changes may not reach {app}.",
}
"""What each cause of an app's API failing means (triggers.APP_FAILURES' causes)."""


def app_failure(cause: str, app_id: str, label: str, reason: str) -> Message:
    """The one message for an app whose API keeps failing for `cause`."""
    text = APP_FAILURES[cause].format(app=escape(label))
    return Message(
        text,
        (
            section(f":rotating_light: *{text}*"),
            context(f"Okta said: {escape(reason)}"),
            actions(button(f"Scan {label}", SCAN_START, app_id, primary=True)),
        ),
    )
