"""`attrsync serve`: Slack's Events API over HTTP (`POST /slack/events`) and `GET /healthz`.

`/slack/events` checks what it can before Bolt sees a request, because Bolt parses first and
verifies afterwards: a body that is not JSON, a JSON array or a timestamp that is not a number
made it raise, answering 500 with a traceback in the log. Here each such request gets its
answer and one log line (never the body, the signature or the secret):

- 401: the timestamp or signature header is missing, repeated or malformed, the timestamp is
  more than five minutes away from now, or the signature does not match the body;
- 400 (only once the signature matched): the body is not UTF-8, not JSON or a form, not an
  object, or not an event, interaction or slash command;
- 413: the body is larger than aiohttp accepts (1 MiB; Slack's payloads are far smaller).

Then Bolt dispatches it, verifying the signature once more (its own check stays on).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import RequestPayloadError
from multidict import CIMultiDictProxy
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.logs import new_request_id
from bot.runtime.okta_hook import add_okta_hook
from bot.services import Services

log = logging.getLogger(__name__)

MAX_SKEW = 5 * 60
"""Seconds a request's timestamp may be away from now (Slack's advice, and Bolt's check)."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; Slack sends nothing else
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # version 0: a hex HMAC-SHA256


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    reason: str


def web_app(bolt: AsyncApp, services: Services) -> web.Application:
    quiet_parse_errors()
    verifier = RawBodyVerifier(services.settings.require_slack().signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        tag = new_request_id()
        checked = await _read_checked(verifier, request)
        if isinstance(checked, Refusal):
            return _refuse(request, checked)
        text, body = checked
        bolt_request = _bolt_request(request, text, body, tag)
        if bolt_request is None:
            return _refuse(request, Refusal(400, "the payload's fields are not of Slack's types"))
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(request: web.Request) -> web.Response:
        redis = "ok"
        try:
            async with asyncio.timeout(2):
                await services.store.ping()
        except (RedisError, OSError, TimeoutError):
            redis = "down"
        body = {"redis": redis, "okta": services.okta.health}
        return web.json_response(body, status=200 if redis == "ok" else 503)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=services.metrics.exposition(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    add_okta_hook(app, services)
    return app


async def _read_checked(
    verifier: SignatureVerifier, request: web.Request
) -> tuple[str, dict[str, Any]] | Refusal:
    """The body's text and payload once they are known to be Slack's; else why not."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return Refusal(413, f"the body is over {request.client_max_size} bytes")
    refusal = signature_refusal(verifier, request.headers, raw)
    return refusal or parse_payload(raw, request.content_type)


class RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier (its time window, its constant-time comparison), signing the exact
    bytes Slack signed: the SDK's own decodes a bytes body as UTF-8 first, which raises on a body
    that is not UTF-8 (never Slack's, but anyone can send one)."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body if isinstance(body, bytes) else body.encode()
        base = b"v0:" + timestamp.encode() + b":" + raw
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return f"v0={digest}"


def signature_refusal(
    verifier: SignatureVerifier,
    headers: CIMultiDictProxy[str],
    raw: bytes,
    now: float | None = None,
) -> Refusal | None:
    """Why this is not a request Slack signed within the last five minutes, or None.

    Each header is checked for the form Slack sends before anything parses it: the SDK's
    `int(timestamp)` raises on `abc`, and its `hmac.compare_digest` on a non-ASCII signature.
    A header sent twice is refused too: Bolt would check the last copy, this check the first.
    """
    timestamps = headers.getall("X-Slack-Request-Timestamp", [])
    signatures = headers.getall("X-Slack-Signature", [])
    if len(timestamps) != 1 or len(signatures) != 1:
        return Refusal(401, "X-Slack-Request-Timestamp and X-Slack-Signature must come once each")
    timestamp, signature = timestamps[0], signatures[0]
    if not _TIMESTAMP.fullmatch(timestamp):
        return Refusal(401, "X-Slack-Request-Timestamp is not a Unix time in seconds")
    if not _SIGNATURE.fullmatch(signature):
        return Refusal(401, "X-Slack-Signature is not of the form v0=<64 hex digits>")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW:
        return Refusal(
            401, "the request is more than five minutes old (replayed, or a clock is off)"
        )
    if not verifier.is_valid(raw, timestamp, signature):
        return Refusal(401, "the signature does not match the body and the signing secret")
    return None


def parse_payload(raw: bytes, content_type: str) -> tuple[str, dict[str, Any]] | Refusal:
    """The body's text and the payload in it, or a 400 saying why it cannot be Slack's.

    Slack sends the Events API as JSON, interactions as a form with one `payload` field (JSON),
    slash commands as a form of plain fields. Bolt also reads any body starting with `{` as
    JSON, whatever its content type; so does this.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "the body is not UTF-8")
    if content_type == "application/json" or text.startswith("{"):
        body = _json_object(text, "the body")
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        body = _json_object(form["payload"], "the payload field") if "payload" in form else form
    if isinstance(body, Refusal):
        return body
    if not _is_slack_payload(body):
        return Refusal(400, "the body is not an event, an interaction or a slash command")
    return text, body


def _json_object(text: str, what: str) -> dict[str, Any] | Refusal:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        return Refusal(400, f"{what} is not JSON")
    if not isinstance(value, dict):
        return Refusal(400, f"{what} is not a JSON object")
    return value


def _is_slack_payload(body: dict[str, Any]) -> bool:
    """Events and interactions name their type; slash commands their command; Slack's check of
    a slash command's certificate is `ssl_check=1` (Bolt answers it)."""
    kind, command = body.get("type"), body.get("command")
    return bool(
        (isinstance(kind, str) and kind)
        or (isinstance(command, str) and command)
        or body.get("ssl_check") == "1"
    )


def _bolt_request(
    request: web.Request, text: str, body: dict[str, Any], tag: str
) -> AsyncBoltRequest | None:
    """Bolt's request for the same body, or None when Bolt cannot read the payload's fields
    (it assumes Slack's types: a string `enterprise` or `authorizations` raises as it reads)."""
    seed = {"request_id": tag}
    try:
        bolt_request = AsyncBoltRequest(
            body=text, query=request.query_string, headers=dict(request.headers), context=seed
        )
        if bolt_request.body != body:
            # Bolt takes any form in which the word "payload" appears (a user, a channel or an
            # app named so) for an interaction, finds no payload field and reads {}: the command
            # would go unanswered. Give it the fields Slack sent.
            bolt_request.body = body
            bolt_request.context = build_async_context(AsyncBoltContext(seed), body)
    except (TypeError, AttributeError, LookupError, ValueError):
        return None
    return bolt_request


def _refuse(request: web.Request, refusal: Refusal) -> web.Response:
    log.warning(
        "refused a request to %s from %s: %s (%d)",
        request.path,
        request.remote or "unknown",
        refusal.reason,
        refusal.status,
    )
    return web.json_response({"error": refusal.reason}, status=refusal.status)


class _OneLineParseErrors(logging.Filter):
    """aiohttp logs a request its parser refuses (a control byte in a header, a body it
    cannot decode) with a traceback that quotes the raw header line, a secret included:
    one line without either is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(
            error, HttpProcessingError | ClientPayloadError | RequestPayloadError | zlib.error
        ):
            record.msg, record.args = (
                "a malformed HTTP request was refused (%s)",
                (type(error).__name__,),
            )
            record.exc_info, record.exc_text, record.levelno = None, None, logging.WARNING
            record.levelname = "WARNING"
        return True


def quiet_parse_errors() -> None:
    """Install the one-line log of malformed HTTP requests on aiohttp's server logger."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _OneLineParseErrors) for f in server.filters):
        server.addFilter(_OneLineParseErrors())
