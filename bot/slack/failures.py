"""What a Slack Web API call raises, in one place, and how to name it in one word."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)
"""Slack refused the call (SlackApiError), or could not be reached at all."""


def slack_error(exc: BaseException) -> str:
    """Slack's error code (`not_in_channel`), or `unreachable` when Slack never answered."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "error")
    return "unreachable"
