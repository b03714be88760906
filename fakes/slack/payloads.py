"""Slack's wire formats, both ways: what Slack sends an app, and the Block Kit it accepts back.

The `*_payload` functions give the parsed payload (what a Socket Mode envelope carries);
`slash_command`, `block_action`, `home_block_action` and `app_mention` give the exact HTTP body
Slack would POST to `/slack/events`. Sign it with `sign` or send it with `post_signed`.
`check_blocks` is Slack's Block Kit validation (FakeSlack applies it to every message and view;
render tests can call it directly).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final, ParamSpec
from urllib.parse import urlencode

import aiohttp

JSON = dict[str, Any]
P = ParamSpec("P")

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


def _find_button(
    blocks: list[JSON], action_id: str, value: str | None = None
) -> tuple[str, str] | None:
    """(block_id, button text) of the element with `action_id` in posted blocks: the one with
    `value` too when there is one (buttons in different blocks may share an action_id, as the
    Approve buttons in App Home do), else the first."""
    matches = [
        (block, element)
        for block in blocks
        for element in [*block.get("elements", []), block.get("accessory")]
        if isinstance(element, dict) and element.get("action_id") == action_id
    ]
    exact = [(b, e) for b, e in matches if value is not None and e.get("value") == value]
    chosen = exact or matches
    if not chosen:
        return None
    block, element = chosen[0]
    return str(block.get("block_id", "")), str(element.get("text", {}).get("text", ""))


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
    selected: str | None = None,
) -> JSON:
    """A `block_actions` interaction: someone clicked a button in a message, or (`selected`:
    the option's text) chose the option valued `value` in a static select menu.

    Pass the clicked `message` (e.g. the `message` the fake answered chat.postMessage with) so
    the payload carries its real text, blocks, block_id and button label, as Slack's does.
    """
    blocks: list[JSON] = list(message.get("blocks", [])) if message else []
    found = _find_button(blocks, action_id, value)
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
        "user": _clicker(user_id, team_id),
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
            _button_action(action_id, value, block_id, button_text, found)
            if selected is None
            else _select_action(action_id, value, selected, block_id, found)
        ],
    }


def _select_action(
    action_id: str, value: str, text: str, block_id: str | None, found: tuple[str, str] | None
) -> JSON:
    """A static select's action: Slack sends the chosen option, not a `value`."""
    return {
        "type": "static_select",
        "action_id": action_id,
        "block_id": block_id or (found[0] if found else "actions"),
        "selected_option": {
            "text": {"type": "plain_text", "text": text, "emoji": True},
            "value": value,
        },
        "action_ts": action_ts(),
    }


def home_block_action_payload(
    action_id: str, value: str, *, user_id: str, view: Mapping[str, Any], team_id: str = TEAM_ID
) -> JSON:
    """A `block_actions` interaction from App Home: someone clicked a button in the Home `view`
    (the `view` the fake answered views.publish with). Unlike a click in a message, Slack sends
    the whole view and its id as the container, and no channel, message or response_url:
    https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
    """
    blocks: list[JSON] = list(view.get("blocks", []))
    found = _find_button(blocks, action_id, value)
    return {
        "type": "block_actions",
        "user": _clicker(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": dict(view),
        "actions": [_button_action(action_id, value, None, None, found)],
    }


def _clicker(user_id: str, team_id: str) -> JSON:
    name = user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _button_action(
    action_id: str,
    value: str,
    block_id: str | None,
    button_text: str | None,
    found: tuple[str, str] | None,
) -> JSON:
    return {
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


def _encoded(
    build: Callable[P, Mapping[str, Any]], encode: Callable[[Any], str]
) -> Callable[P, str]:
    """The HTTP body of a payload builder, taking the builder's own arguments."""

    def body(*args: P.args, **kwargs: P.kwargs) -> str:
        return encode(build(*args, **kwargs))

    return body


slash_command = _encoded(slash_command_payload, urlencode)
"""The form-encoded body Slack POSTs for a slash command."""
block_action = _encoded(block_action_payload, lambda p: urlencode({"payload": json.dumps(p)}))
"""The form body (`payload=<json>`) Slack POSTs for a button click."""
home_block_action = _encoded(
    home_block_action_payload, lambda p: urlencode({"payload": json.dumps(p)})
)
"""The form body Slack POSTs for a button click in App Home."""
app_mention = _encoded(app_mention_envelope_payload, json.dumps)
"""The JSON body Slack POSTs to the Events API URL for an @-mention of the bot."""


def app_home_opened(user: str) -> str:
    """The Events API body Slack POSTs when `user` opens the bot's App Home tab."""
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": event,
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": 1700000000,
            "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}],
        }
    )


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


# Block Kit, as far as the bot uses it; Slack's own wording, pointing at the offending value.
_BLOCK_TYPES: Final = frozenset(
    {"section", "context", "actions", "header", "divider", "rich_text", "input"}
)
_ELEMENT_TYPES: Final = frozenset(
    {
        "button",
        "image",
        "overflow",
        "static_select",
        "users_select",
        "conversations_select",
        "plain_text_input",
    }
)


class _Blocks:
    """Slack's uniqueness rules: a block_id is unique in its message or view ("block_id should
    be unique for each message and each iteration of a message",
    https://docs.slack.dev/reference/block-kit/blocks/actions-block); an action_id only among
    the elements of its block ("Should be unique among all other action_ids in the containing
    block", https://docs.slack.dev/tools/node-slack-sdk/reference/types/interfaces/Button).
    So one message or Home view may repeat an action_id in different blocks, as App Home does
    with each pending request's Approve button."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.seen: dict[str, set[str]] = {"block_id": set(), "action_id": set()}

    def fail(self, what: str, pointer: str) -> None:
        self.errors.append(f"{what} [json-pointer:{pointer}]")

    def length(self, value: Any, limit: int, pointer: str) -> None:
        if not isinstance(value, str):
            self.fail("must be a string", pointer)
        elif not value:
            self.fail("must be more than 0 characters", pointer)
        elif len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", pointer)

    def items(self, value: Any, limit: int, pointer: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail("must provide an array with at least 1 item", pointer)
            return []
        if len(value) > limit:
            self.fail(f"no more than {limit} items allowed", pointer)
        return value

    def unique(self, obj: JSON, key: str, pointer: str) -> None:
        if key in obj:
            self.length(obj[key], 255, f"{pointer}/{key}")
            if str(obj[key]) in self.seen[key]:
                self.fail(f"{key} {obj[key]!r} already exists", f"{pointer}/{key}")
            self.seen[key].add(str(obj[key]))

    def text(self, obj: Any, limit: int, pointer: str, *, plain: bool = False) -> None:
        kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            self.fail(f"must be a text object of type {' or '.join(kinds)}", pointer)
        else:
            self.length(obj.get("text"), limit, f"{pointer}/text")

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, dict) or element.get("type") not in _ELEMENT_TYPES:
            self.fail("unsupported element type", f"{pointer}/type")
            return
        self.unique(element, "action_id", pointer)
        if element["type"] == "button":
            self.text(element.get("text"), 75, f"{pointer}/text", plain=True)
            for key, limit in (("value", 2000), ("url", 3000)):
                if key in element:
                    self.length(element[key], limit, f"{pointer}/{key}")
            if element.get("style", "primary") not in ("primary", "danger"):
                self.fail("must be primary or danger", f"{pointer}/style")
        if element["type"] == "plain_text_input" and "initial_value" in element:
            initial = element["initial_value"]
            if not isinstance(initial, str) or len(initial) > 3000:
                self.fail("must be a string of at most 3000 characters", f"{pointer}/initial_value")
        if element["type"] == "static_select":
            self.static_select(element, pointer)

    def static_select(self, element: JSON, pointer: str) -> None:
        """https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element and
        https://docs.slack.dev/reference/block-kit/composition-objects/option-object: at most
        100 options, each a plain_text text of at most 75 characters and a unique value of at
        most 150; an initial_option that exactly matches one of the options."""
        if "placeholder" in element:
            self.text(element["placeholder"], 150, f"{pointer}/placeholder", plain=True)
        options = self.items(element.get("options"), 100, f"{pointer}/options")
        values: set[str] = set()
        for i, option in enumerate(options):
            at = f"{pointer}/options/{i}"
            if not isinstance(option, dict):
                self.fail("must be an option object", at)
                continue
            self.text(option.get("text"), 75, f"{at}/text", plain=True)
            self.length(option.get("value"), 150, f"{at}/value")
            if str(option.get("value")) in values:
                self.fail("option values must be unique", f"{at}/value")
            values.add(str(option.get("value")))
        if "initial_option" in element and element["initial_option"] not in options:
            self.fail("must exactly match one of the options", f"{pointer}/initial_option")

    def block(self, block: Any, pointer: str) -> None:
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(block, dict) or kind not in _BLOCK_TYPES:
            self.fail(f"unsupported block type {kind!r}", f"{pointer}/type")
            return
        self.unique(block, "block_id", pointer)
        self.seen["action_id"] = set()  # action_ids are unique per block only
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail("must provide either text or fields", pointer)
            if "text" in block:
                self.text(block["text"], 3000, f"{pointer}/text")
            if "fields" in block:
                for i, item in enumerate(self.items(block["fields"], 10, f"{pointer}/fields")):
                    self.text(item, 2000, f"{pointer}/fields/{i}")
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text(block.get("text"), 150, f"{pointer}/text", plain=True)
        elif kind == "context":
            for i, item in enumerate(self.items(block.get("elements"), 10, f"{pointer}/elements")):
                if not (isinstance(item, dict) and item.get("type") == "image"):
                    self.text(item, 3000, f"{pointer}/elements/{i}")
        elif kind == "actions":
            for i, item in enumerate(self.items(block.get("elements"), 25, f"{pointer}/elements")):
                self.element(item, f"{pointer}/elements/{i}")
        elif kind == "rich_text":
            self.items(block.get("elements"), 100, f"{pointer}/elements")
        elif kind == "input":  # modals only (Slack: "input blocks are not allowed" elsewhere)
            self.text(block.get("label"), 2000, f"{pointer}/label", plain=True)
            if "hint" in block:
                self.text(block["hint"], 2000, f"{pointer}/hint", plain=True)
            self.element(block.get("element"), f"{pointer}/element")


def check_blocks(blocks: Any, pointer: str = "/blocks", *, max_blocks: int = 50) -> list[str]:
    """What Slack's Block Kit validation would object to (empty when it accepts the blocks)."""
    check = _Blocks()
    if not isinstance(blocks, list):
        check.fail("must be an array", pointer)
        return check.errors
    if len(blocks) > max_blocks:
        check.fail(f"no more than {max_blocks} items allowed", pointer)
    for i, block in enumerate(blocks):
        check.block(block, f"{pointer}/{i}")
    return check.errors


def message_shortcut_payload(
    callback_id: str,
    *,
    user_id: str,
    channel_id: str,
    message: Mapping[str, Any],
    response_url: str,
    team_id: str = TEAM_ID,
) -> JSON:
    """A `message_action`: someone chose the app's message shortcut on `message` (its `ts`,
    `user`, `text`, and `thread_ts` when it is a reply), as Slack sends it:
    https://docs.slack.dev/reference/interaction-payloads/shortcuts-interaction-payload"""
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": action_ts(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "name": user_id.lower(), "team_id": team_id},
        "channel": {"id": channel_id, "name": channel_name(channel_id)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": new_trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": {"type": "message", **message},
    }


def view_submission_payload(
    view: Mapping[str, Any], values: Mapping[str, str], *, user_id: str, team_id: str = TEAM_ID
) -> JSON:
    """A `view_submission`: `user_id` submitted the modal `view` (as views.open answered it)
    with `values` by action_id, in Slack's `state.values[block_id][action_id]` shape:
    https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload

    A text input's value is the text; a static select's is the `value` of the option chosen
    (a person can choose only an option the menu offers), which Slack sends as the whole
    option in `selected_option`, the initial one when the menu was left alone, else null."""
    state: dict[str, dict[str, JSON]] = {}
    for block in view.get("blocks", []):
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        action_id = element.get("action_id", "")
        entry: JSON = {"type": element.get("type")}
        if element.get("type") == "static_select":
            entry["selected_option"] = _chosen(element, values.get(action_id))
        elif action_id in values:
            entry["value"] = values[action_id] or None
        state[block["block_id"]] = {action_id: entry}
    submitted = {**view, "state": {"values": state}}
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _clicker(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def _chosen(select: JSON, value: str | None) -> JSON | None:
    if value is None:
        initial = select.get("initial_option")
        return dict(initial) if isinstance(initial, dict) else None
    for option in select.get("options", []):
        if option.get("value") == value:
            return dict(option)
    raise ValueError(f"the menu {select.get('action_id')!r} offers no option valued {value!r}")


message_shortcut = _encoded(
    message_shortcut_payload, lambda p: urlencode({"payload": json.dumps(p)})
)
"""The form body Slack POSTs for a message shortcut."""
view_submission = _encoded(view_submission_payload, lambda p: urlencode({"payload": json.dumps(p)}))
"""The form body Slack POSTs when a modal is submitted."""
