"""Slack calls whose failure is a value: `sent` awaits one call (or a few, in a coroutine of
your own) and answers what Slack answered, or `Failed`, with one warning line in your log.

    from bot.slackkit.posting import Failed, sent

    log = logging.getLogger(__name__)

    posted = await sent(
        slack.chat_postMessage(channel=channel, **message.payload()),
        log, "could not post in the thread",
    )
    if isinstance(posted, Failed):
        return None  # logged as "could not post in the thread: not_in_channel"
    return str(posted["ts"])

- A convenience that may fail (a thread's details, a message brought up to date) passes
  `log` and `what`, and goes on whatever happens: `await sent(slack.chat_update(...), log,
  "could not update the alert")`.
- A call whose failure needs no log line (a permalink that only makes words nicer) omits
  them: `await sent(slack.chat_getPermalink(...))`.
- A failure the person must hear about is re-raised, after any cleanup, for the listener's
  `answered`/`sentence_for` to word: `raise failed.cause`.
- Several calls that stand or fall together go in one coroutine: `sent` stops at the first
  failure, as one `try` around them would.

The log line is `what` and Slack's error code (`slack_error`), never the exception's text:
that can carry a response_url or what was posted. So `what` says which call failed, not
what it carried. The logger is the caller's, so the line is filed under the feature it
belongs to. Only Slack's failures (SLACK_FAILURES) become a value; anything else (Redis,
a bug, cancellation) goes through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from bot.slackkit.failures import SLACK_FAILURES, slack_error

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Failed:
    """A Slack call that did not go through: Slack refused it, or never answered."""

    cause: BaseException
    """What the call raised (one of SLACK_FAILURES), for a caller that re-raises it."""

    @property
    def error(self) -> str:
        """Slack's error code (`not_in_channel`), or `unreachable` when Slack never answered."""
        return slack_error(self.cause)


async def sent(call: Awaitable[T], log: logging.Logger | None = None, what: str = "") -> T | Failed:
    """`call`'s answer, or Failed when Slack refused it or could not be reached; with `log`,
    a failure is one warning in it: "`what`: `error`"."""
    try:
        return await call
    except SLACK_FAILURES as exc:
        failed = Failed(exc)
        if log is not None:
            log.warning("%s: %s", what, failed.error)
        return failed
