"""One question -> one report in the channel: dedupe, diagnose, offer fixes, post, thread."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.reports import render
from bot.services import Services
from bot.slackkit.blockkit import Message, escape, notice
from bot.slackkit.failures import REDIS_DOWN
from bot.slackkit.posting import Failed, sent
from bot.store.diagnoses import Earlier, FixOffer
from checks.diagnose import diagnose
from checks.errors import AttrsyncError, OktaError
from checks.facts import Facts
from checks.model import Question, Report

log = logging.getLogger(__name__)

Reply = Callable[[Message], Awaitable[None]]
"""Says something to the person who asked, and to nobody else."""

# Slack's answers when the bot may not post in the channel: the response_url still can.
_CANNOT_POST = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
)


@dataclass(frozen=True, slots=True)
class Asked:
    question: Question
    text: str
    """What was asked, as typed (or what triage asked)."""
    team: str | None
    channel: str
    requester: str
    thread_ts: str | None = None
    """Answer in this thread (a mention); None posts in the channel (a slash command)."""
    response_url: str | None = None
    retry: bool = False
    """Slack redelivered this request: a duplicate is dropped silently."""
    recheck: bool = False
    """Someone asked to diagnose again (after a manual fix): no duplicate guard."""


async def answer(services: Services, asked: Asked, reply: Reply) -> None:
    why = asked.question
    if asked.recheck:
        await _diagnose_and_post(services, asked, reply, claim=None)
        return
    try:
        claim = await services.store.claim(
            asked.team or "",
            asked.channel,
            why.user.casefold(),
            why.app.casefold(),
            (why.attribute or "").casefold(),
        )
    except RedisError:
        log.warning("redis unreachable while deduplicating")
        await reply(notice(REDIS_DOWN))
        return
    if isinstance(claim, Earlier):
        if asked.retry:
            log.info(
                "Slack delivered a question again; it is answered once, so this copy is dropped"
            )
        else:
            await reply(_earlier(asked, claim))
        return
    await _diagnose_and_post(services, asked, reply, claim=claim)


async def _diagnose_and_post(
    services: Services, asked: Asked, reply: Reply, *, claim: str | None
) -> None:
    why = asked.question
    try:
        report = await diagnose(
            Facts(
                services.okta,
                why.user,
                why.app,
                why.attribute,
                now=services.clock(),
                # A re-check follows a change someone just made: read Okta, not the cache.
                cache=None if asked.recheck else services.store.facts,
            )
        )
        posted = await sent(post_report(services, asked, report), log, "slack refused the report")
    except AttrsyncError as exc:
        await _release(services, claim)
        await reply(notice(escape(_what_to_do(exc))))
        return
    except RedisError:
        log.warning("redis unreachable while answering", exc_info=True)
        await reply(notice(REDIS_DOWN))
        return
    if isinstance(posted, Failed):
        await _release(services, claim)
        await reply(notice(f"Slack refused the report ({posted.error})."))
        return
    with contextlib.suppress(RedisError):  # the report is out; these only help later
        await _remember(services, asked, report, claim, posted.permalink)


async def _remember(
    services: Services, asked: Asked, report: Report, claim: str | None, permalink: str
) -> None:
    if claim is not None:
        await services.store.answered(claim, permalink)
    await services.store.remember_diagnosis(
        asked.requester,
        {
            "asked": asked.text,
            "verdict": report.verdict.summary,
            "permalink": permalink,
            "at": services.clock().isoformat(timespec="seconds"),
        },
    )


async def _release(services: Services, claim: str | None) -> None:
    if claim is not None:
        await services.store.release(claim)


@dataclass(frozen=True, slots=True)
class Posted:
    ts: str
    """The report's message ("" when it went out through the response_url)."""
    permalink: str


async def post_report(
    services: Services,
    asked: Asked,
    report: Report,
    metadata: dict[str, Any] | None = None,
) -> Posted:
    """Post the report with its fix buttons (and its overflow in the thread); `metadata` is
    Slack message metadata that finds the message again."""
    offers = {
        f.check: await services.store.save_offer(
            FixOffer(
                check=f.check,
                fix_id=f.fix.id,
                automated=f.fix.automated,
                user_id=report.user.id,
                app_id=report.app.id,
                attribute=asked.question.attribute,
                channel=asked.channel,
                requester=asked.requester,
                asked=asked.text,
            )
        )
        for f in report.findings
        if f.fix is not None and report.user is not None and report.app is not None
    }
    rendered = render.report(report, asked=asked.text, requester=asked.requester, fix_ids=offers)
    slack = services.slack
    posted = await sent(
        slack.chat_postMessage(
            channel=asked.channel,
            thread_ts=asked.thread_ts,
            metadata=metadata,
            **rendered.report.payload(),
        )
    )
    if isinstance(posted, Failed):
        if posted.error not in _CANNOT_POST or not asked.response_url:
            raise posted.cause
        # Not a member of the channel: the slash command's response_url can still post there
        # (without a thread to continue in, so the overflow follows as messages of its own).
        webhook = AsyncWebhookClient(asked.response_url, session=slack.session)
        for message in (rendered.report, *rendered.thread):
            said = await webhook.send_dict({"response_type": "in_channel", **message.payload()})
            if said.status_code != 200:
                raise posted.cause
        return Posted("", "")
    ts = str(posted["ts"])
    # The report is out: from here a Slack failure loses a detail, never the answer (and
    # is not "Slack refused the report", after which asking again would post it twice).
    for message in rendered.thread:
        threaded = slack.chat_postMessage(channel=asked.channel, thread_ts=ts, **message.payload())
        if isinstance(await sent(threaded, log, "the report's thread could not be posted"), Failed):
            break
    link = await sent(
        slack.chat_getPermalink(channel=asked.channel, message_ts=ts),
        log,
        "no permalink for the report",
    )
    if isinstance(link, Failed):
        return Posted(ts, "")
    return Posted(ts, str(link.get("permalink") or ""))


def _earlier(asked: Asked, earlier: Earlier) -> Message:
    subject = f"{escape(asked.question.user)} in {escape(asked.question.app)}"
    if earlier.permalink:
        return notice(
            f"{subject} was diagnosed here moments ago: <{earlier.permalink}|see that report>."
        )
    if earlier.answered:
        return notice(f"{subject} was diagnosed here moments ago; see the report above.")
    return notice(f"{subject} is being diagnosed already; the report will appear here.")


def _what_to_do(exc: AttrsyncError) -> str:
    if isinstance(exc, OktaError):
        return f"{exc} Nothing was changed; try again in a minute."
    return str(exc)
