"""Requests the way Slack sends them to an app: signed HTTP bodies and Socket Mode payloads.

The `*_payload` functions give the parsed payload (what a Socket Mode envelope carries); the
others give the exact HTTP body Slack would POST to `/slack/events`. Sign it with `sign` or send
it with `post_signed`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

JSON = dict[str, Any]

TEAM_ID: Final = "T0001"
TEAM_DOMAIN: Final = "acme"
APP_ID: Final = "A0001"
BOT_USER_ID: Final = "U0BOT"
BOT_ID: Final = "B0BOT"
# Slack still sends the deprecated verification token; apps must not rely on it.
VERIFICATION_TOKEN: Final = "verification-token-deprecated"
FORM: Final = "application/x-www-form-urlencoded"
JSON_TYPE: Final = "application/json"

_NAMES: Final = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}
_CHANNELS: Final = {"C0HELP": "helpdesk", "C0AUDIT": "attrsync-audit"}


def sign(
    body: str, secret: str, timestamp: int | None = None, *, content_type: str | None = None
) -> dict[str, str]:
    """Headers of Slack's v0 request signature over `body` (and its content type)."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type or _content_type(body),
    }


def _content_type(body: str) -> str:
    # Events API bodies are JSON; commands and interactions are form-encoded.
    return JSON_TYPE if body.lstrip().startswith("{") else FORM


def user_name(user_id: str) -> str:
    return _NAMES.get(user_id, user_id.lower())


def channel_name(channel_id: str) -> str:
    return _CHANNELS.get(channel_id, channel_id.lower())


def new_trigger_id() -> str:
    """A fresh id shaped like Slack's (`<13 digits>.<10 digits>.<32 hex>`)."""
    return f"{secrets.randbelow(10**13):013d}.{secrets.randbelow(10**10):010d}.{uuid.uuid4().hex}"


def action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_payload(
    text: str,
    *,
    response_url: str,
    user_id: str = "U0ALICE",
    channel_id: str = "C0HELP",
    command: str = "/attrsync",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
) -> dict[str, str]:
    """A slash command's fields as Socket Mode delivers them: Slack's form fields, all strings."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name(channel_id),
        "user_id": user_id,
        "user_name": user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def slash_command(
    text: str,
    *,
    response_url: str,
    user_id: str = "U0ALICE",
    channel_id: str = "C0HELP",
    command: str = "/attrsync",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
) -> str:
    """The form-encoded body Slack POSTs for a slash command."""
    return urlencode(
        slash_command_payload(
            text,
            response_url=response_url,
            user_id=user_id,
            channel_id=channel_id,
            command=command,
            team_id=team_id,
            trigger_id=trigger_id,
        )
    )


def _find_button(blocks: list[JSON], action_id: str) -> tuple[str, str] | None:
    """(block_id, button text) of the element with `action_id` in a posted message's blocks."""
    for block in blocks:
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                label = element.get("text", {}).get("text", "")
                return str(block.get("block_id", "")), str(label)
    return None


def block_action_payload(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    team_id: str = TEAM_ID,
    thread_ts: str | None = None,
    message: Mapping[str, Any] | None = None,
    block_id: str | None = None,
    button_text: str | None = None,
    is_ephemeral: bool = False,
) -> JSON:
    """A `block_actions` interaction: someone clicked a button in a message.

    Pass the clicked `message` (e.g. the `message` the fake answered chat.postMessage with) so
    the payload carries its real text, blocks, block_id and button label, as Slack's does.
    """
    blocks: list[JSON] = list(message.get("blocks", [])) if message else []
    found = _find_button(blocks, action_id)
    container: JSON = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    clicked: JSON = {
        "type": "message",
        "subtype": "bot_message",
        "text": message.get("text", "") if message else "",
        "ts": message_ts,
        "bot_id": BOT_ID,
        "user": BOT_USER_ID,
        "blocks": blocks,
    }
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
        clicked["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_name(user_id),
            "name": user_name(user_id),
            "team_id": team_id,
        },
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name(channel_id)},
        "message": clicked,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id or (found[0] if found else "actions"),
                "text": {
                    "type": "plain_text",
                    "text": button_text or (found[1] if found else action_id),
                    "emoji": True,
                },
                "value": value,
                "type": "button",
                "action_ts": action_ts(),
            }
        ],
    }


def block_action(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    team_id: str = TEAM_ID,
    thread_ts: str | None = None,
    message: Mapping[str, Any] | None = None,
    block_id: str | None = None,
) -> str:
    """The form body (`payload=<json>`) Slack POSTs for a button click."""
    payload = block_action_payload(
        action_id,
        value,
        user_id=user_id,
        channel_id=channel_id,
        message_ts=message_ts,
        response_url=response_url,
        team_id=team_id,
        thread_ts=thread_ts,
        message=message,
        block_id=block_id,
    )
    return urlencode({"payload": json.dumps(payload)})


def app_mention_envelope_payload(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    ts: str,
    event_id: str,
    team_id: str = TEAM_ID,
    thread_ts: str | None = None,
) -> JSON:
    """An Events API `event_callback` carrying an `app_mention`; `text` is taken verbatim,
    so include the mention (`"<@U0BOT> why jdoe box"`)."""
    event: JSON = {
        "type": "app_mention",
        "user": user_id,
        "text": text,
        "ts": ts,
        "team": team_id,
        "channel": channel_id,
        "event_ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "mention",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ],
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def app_mention(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    ts: str,
    event_id: str,
    team_id: str = TEAM_ID,
    thread_ts: str | None = None,
) -> str:
    """The JSON body Slack POSTs to the Events API URL for an @-mention of the bot."""
    payload = app_mention_envelope_payload(
        text,
        user_id=user_id,
        channel_id=channel_id,
        ts=ts,
        event_id=event_id,
        team_id=team_id,
        thread_ts=thread_ts,
    )
    return json.dumps(payload)


def url_verification(challenge: str) -> str:
    """The handshake Slack sends when the Events API request URL is saved."""
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return json.dumps(body)


async def post_signed(
    session: aiohttp.ClientSession,
    url: str,
    body: str,
    secret: str,
    *,
    timestamp: int | None = None,
    content_type: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> tuple[int, str, float]:
    """POST `body` signed like Slack; returns (status, response text, seconds to the answer)."""
    headers = sign(body, secret, timestamp, content_type=content_type)
    headers.update(extra_headers or {})
    started = time.monotonic()
    async with session.post(url, data=body.encode(), headers=headers) as response:
        text = await response.text()
        return response.status, text, time.monotonic() - started
