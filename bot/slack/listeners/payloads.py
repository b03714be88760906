"""Reading Slack's payloads without trusting their shape.

Slack signs what it sends, but a signature says who sent a payload, not that it has every field:
listeners read the fields they need through `field` and say what is missing; `unroutable`
catches the few shapes on which Bolt itself raises before any listener runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import new_request_id, request_id

log = logging.getLogger(__name__)

# Payloads whose `actions[0]` Bolt reads to match a listener (`to_action`).
_WITH_ACTIONS = frozenset({"block_actions", "interactive_message"})


def field(payload: object, *path: str) -> str | None:
    """The non-empty string at `path` (`field(body, "user", "id")`), or None when any step of
    the way is missing, empty or not what Slack sends."""
    value = payload
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value if isinstance(value, str) and value else None


def describe(body: Mapping[str, Any]) -> str:
    """What a payload is, for a log line: its type and what routes it, never its content."""
    if isinstance(body.get("command"), str):
        return f"slash command {body['command']}"
    kind = field(body, "type") or "payload without a type"
    actions = body.get("actions")
    if kind in _WITH_ACTIONS and isinstance(actions, list) and actions:
        return f"{kind} {field(actions[0], 'action_id') or '(no action_id)'}"
    event = field(body, "event", "type")
    return f"{kind} {event}" if event else kind


def unroutable(body: Mapping[str, Any]) -> str | None:
    """Why Bolt would raise on this payload before any listener runs (it indexes
    `actions[0]["action_id"]`, calls `event.get`, matches `callback_id` against patterns and
    reads `view["type"]` for every request), or None."""
    kind = body.get("type")
    if "event" in body and not isinstance(body["event"], Mapping):
        return "its event is not an object"
    if kind in _WITH_ACTIONS and "actions" in body:
        actions = body["actions"]
        if not isinstance(actions, list) or not actions:
            return "it has no action"
        if not isinstance(actions[0], Mapping) or not isinstance(actions[0].get("action_id"), str):
            return "its action has no action_id"
    if body.get("callback_id") is not None and not isinstance(body["callback_id"], str):
        return "its callback_id is not a string"
    view = body.get("view")
    if view is not None and not isinstance(view, Mapping):
        return "its view is not an object"
    if kind == "view_submission" and isinstance(view, Mapping) and "type" not in view:
        return "its view has no type"
    return None


class Intake(AsyncMiddleware):
    """The first of our middleware (Bolt's `before_authorize`, so before Bolt's own
    authorization and self-event filter read the payload): tags the request for the logs, and
    acknowledges a payload Bolt cannot route, with one log line instead of a traceback.

    Acknowledged with 200, not refused: the request is signed, so it is Slack's, and Slack
    retries an event that was not answered 2xx (and turns off event delivery for an app that
    keeps failing). Nobody is waiting for an answer to a payload that names no action."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        # The HTTP edge has already tagged the request (and logged with that id); Socket Mode
        # requests start here.
        known = req.context.get("request_id")
        if isinstance(known, str):
            request_id.set(known)
        else:
            req.context["request_id"] = new_request_id()
        problem = unroutable(req.body)
        if problem is None:
            return await next()
        log.warning("acknowledged and ignored this %s: %s", describe(req.body), problem)
        return BoltResponse(status=200, body="")
