"""`GET/POST /okta/events`: Okta's Event Hook, on when ATTRSYNC_EVENT_HOOK_SECRET is set.

Okta verifies the endpoint once with a GET carrying `X-Okta-Verification-Challenge` and expects
the value back as `{"verification": …}`. Deliveries are POSTs of an envelope whose
`data.events` are System Log events, authenticated only by the header the admin named and its
secret (ATTRSYNC_EVENT_HOOK_HEADER, ATTRSYNC_EVENT_HOOK_SECRET; there is no signature): its
raw bytes are compared in constant time, and anything else gets 401 with nothing queued (Okta
does not retry a 4xx, so the refusal's log line names the header it expected). A delivery is
answered as soon as its events are queued in Redis (Okta wants an answer within seconds and
retries once); an event seen before, by its `uuid`, is not queued again. A malformed envelope
gets 400; a Redis that cannot take the events, 503 (Okta retries).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import RequestPayloadError
from redis.exceptions import RedisError

from bot.services import Services

log = logging.getLogger(__name__)

CHALLENGE = "X-Okta-Verification-Challenge"
MAX_CHALLENGE = 200
MAX_UUID = 64
"""Okta's event uuids are 36 characters; a longer one is not Okta's."""


def add_okta_hook(app: web.Application, services: Services) -> None:
    secret = services.settings.event_hook_secret
    if secret is None:
        return
    expected = secret.encode()
    header = services.settings.event_hook_header
    wanted = header.casefold().encode()
    missing = f"the configured {header} header (ATTRSYNC_EVENT_HOOK_HEADER) with its secret"

    def given(request: web.Request) -> list[bytes]:
        # The raw bytes: whatever a client sends (non-ASCII included) is compared, never decoded.
        return [value for name, value in request.raw_headers if name.lower() == wanted]

    def authentic(request: web.Request) -> bool:
        values = given(request)
        return len(values) == 1 and hmac.compare_digest(values[0], expected)

    async def verify(request: web.Request) -> web.Response:
        challenge = request.headers.get(CHALLENGE, "")
        if given(request) and not authentic(request):
            return _refuse(401, f"an Okta hook verification without {missing}")
        if not (0 < len(challenge) <= MAX_CHALLENGE and challenge.isascii()):
            return _refuse(400, f"an Okta hook verification without a usable {CHALLENGE}")
        return web.json_response({"verification": challenge})

    async def deliver(request: web.Request) -> web.Response:
        # The body is read whoever sends it, so that one aiohttp cannot decode (a bad
        # Content-Encoding) fails here, with an answer, not later while aiohttp drains it.
        body, status, unreadable = None, 400, ""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            status, unreadable = 413, "over the size limit"
        except (RequestPayloadError, ClientPayloadError, HttpProcessingError):
            unreadable = "whose body cannot be decoded"
        if not authentic(request):
            return _refuse(401, f"an Okta hook delivery without {missing}")
        if body is None:
            return _refuse(status, f"an Okta hook delivery {unreadable}")
        try:
            events = _events(json.loads(body))
        except (ValueError, RecursionError):
            events = None
        if events is None:
            return _refuse(400, "an Okta hook delivery that is not Okta's event envelope")
        try:
            queued = await services.store.okta_events.enqueue(events)
        except RedisError:
            log.warning("redis unreachable: an Okta hook delivery was refused (Okta retries it)")
            return web.json_response({"error": "not queued"}, status=503)
        log.info("okta hook: %d events, %d new", len(events), queued)
        return web.Response(status=200)

    app.router.add_get("/okta/events", verify)
    app.router.add_post("/okta/events", deliver)


def _events(envelope: Any) -> list[Mapping[str, Any]] | None:
    """The envelope's events, each with a uuid and an eventType; None if it is not one."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return None
    for event in events:
        if not (
            isinstance(event, dict)
            and isinstance(event.get("uuid"), str)
            and 0 < len(event["uuid"]) <= MAX_UUID
            and event["uuid"].isascii()  # Okta's are; a lone surrogate could not be a key
            and isinstance(event.get("eventType"), str)
        ):
            return None
    return events


def _refuse(status: int, why: str) -> web.Response:
    log.warning("%s: answered %d", why, status)
    return web.json_response({"error": why}, status=status)
