"""The one error translator of the Slack side: what Slack and Redis calls raise, and the one
sentence the person who clicked or asked gets for it."""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
from redis.exceptions import RedisError, ResponseError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slackkit.blockkit import Message, notice

SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)
"""Slack refused the call (SlackApiError), or could not be reached at all."""


def slack_error(exc: BaseException) -> str:
    """Slack's error code (`not_in_channel`), or `unreachable` when Slack never answered."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "error")
    return "unreachable"


REDIS_DOWN = (
    "attrsync cannot reach its Redis, so it cannot answer right now; "
    "an admin should check REDIS_URL."
)
REDIS_REFUSED = (
    "attrsync's Redis refused the change, so nothing happened; try again, and if it keeps "
    "refusing an admin should look at the Redis at REDIS_URL."
)


def sentence_for(exc: BaseException, doing: str) -> str:
    """What to tell the person when `doing` (e.g. "the approval request") failed with `exc`."""
    if isinstance(exc, ResponseError):  # Redis answered, but refused (a wrong key type, OOM)
        return REDIS_REFUSED
    if isinstance(exc, RedisError):
        return REDIS_DOWN
    if isinstance(exc, SLACK_FAILURES):
        return f"Slack refused {doing} ({slack_error(exc)}); try again."
    raise exc


async def answered(work: Awaitable[Message], doing: str) -> Message:
    """`work`'s answer, or the one sentence for a Redis or Slack failure on the way."""
    try:
        return await work
    except (RedisError, *SLACK_FAILURES) as exc:
        return notice(sentence_for(exc, doing))
