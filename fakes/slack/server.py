"""FakeSlack: an aiohttp server that answers like Slack's Web API, response_url and Socket Mode.

The real slack_sdk clients and Bolt run against it unchanged::

    async with serve_slack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        assert slack.block_errors == [] and slack.missing_fallback == []
"""

# The waits take `timeout=` on purpose: tests call them bare, with a default that fails fast.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import quote

from aiohttp import WSCloseCode, WSMsgType, web

from fakes.serving import serving
from fakes.slack.payloads import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    check_blocks,
)

__all__ = ["FakeSlack", "Hold", "ResponsePost", "SlackCall", "UploadedFile", "serve_slack"]

JSON = dict[str, Any]
_TRIGGER: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9a-f]+")
"""A trigger_id as Slack makes them (and as the payload helpers do)."""
# Slack allows a response_url five uses within 30 minutes.
_RESPONSE_URL_USES: Final = 5
# files.getUploadURLExternal: snippets are limited to 1MB, alt text to 1000 characters.
_SNIPPET_MAX_BYTES: Final = 1_048_576
_ALT_TXT_MAX: Final = 1000


@dataclass(slots=True)
class SlackCall:
    """One Web API call as the fake saw it; `status`/`answer` are what it replied."""

    method: str
    args: JSON
    headers: dict[str, str]
    received: float
    token: str | None = None
    status: int = 0
    answer: JSON = field(default_factory=dict)


@dataclass(slots=True)
class ResponsePost:
    """One POST to a response_url; `status` is 200 when Slack would have accepted it."""

    url_id: str
    body: JSON
    received: float
    status: int = 0


@dataclass(slots=True)
class UploadedFile:
    """One file shared by files.completeUploadExternal: its bytes as posted to the upload URL,
    and where it went (`channels` empty: a private file)."""

    file_id: str
    filename: str
    title: str
    content: bytes
    channels: tuple[str, ...] = ()
    thread_ts: str | None = None
    initial_comment: str | None = None

    @property
    def channel(self) -> str | None:
        return self.channels[0] if self.channels else None


@dataclass(slots=True)
class _Upload:
    """A file id from files.getUploadURLExternal; `content` once its bytes were posted."""

    file_id: str
    filename: str
    alt_txt: str
    content: bytes | None = None


@dataclass(slots=True)
class Hold:
    """Holds calls to one Web API method (`FakeSlack.holds[method] = Hold(...)`) until
    `release()`: "before" Slack handles them (if the client goes away meanwhile, or
    `release(drop=True)` cuts the connection, nothing happened: the call never reached
    Slack), or "after" (Slack did it, and the call is recorded with its answer; only the
    answer waits). `held` is set when a call is held; `skip` lets that many calls through
    first; `times` is how many it holds."""

    when: Literal["before", "after"] = "before"
    skip: int = 0
    times: int = 1
    held: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    drop: bool = False

    def release(self, *, drop: bool = False) -> None:
        self.drop = drop
        self.released.set()

    def takes(self) -> bool:
        """Count a call; whether it is held."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times <= 0:
            return False
        self.times -= 1
        return True

    async def wait(self) -> bool:
        """Hold until released (cancelled if the client goes away); False when dropped."""
        self.held.set()
        await self.released.wait()
        return not self.drop


class _Refusal(Exception):
    """Slack's answer `{"ok": false, "error": error}` (with Block Kit `errors`, if any)."""

    def __init__(self, error: str, errors: list[str] | None = None) -> None:
        super().__init__(error)
        self.error, self.errors = error, errors or []


class FakeSlack:
    """The fake Slack; see `serve_slack` to run it.

    Knobs: `tokens`/`app_tokens` (accepted xoxb-/xapp- tokens), `not_in_channel` (channel ids
    the bot was never invited to), `usergroups` (id -> member ids), `users` (id -> user object
    overrides), `fail_next` (method -> error code for its next call), `holds` (method -> a
    `Hold` of its calls). Records: `calls`,
    `responses`, `messages` ((channel, ts) -> message), `homes` (user id -> their published
    App Home view, as Slack echoes it), `uploaded_files` (files shared with
    files.completeUploadExternal), `block_errors`, `missing_fallback`, `socket_sent`,
    `socket_acks`, `errors` (bugs in the fake itself; should stay empty).
    """

    def __init__(self, *, bot_token: str = "xoxb-test", app_token: str = "xapp-test") -> None:
        self.tokens: set[str] = {bot_token}
        self.app_tokens: set[str] = {app_token}
        self.not_in_channel: set[str] = set()
        self.usergroups: dict[str, list[str]] = {}
        self.users: dict[str, JSON] = {}
        self.known_users_only = False
        """users.info and users.profile.get answer user_not_found for an id not in `users`
        (else they make one up, for tests that need any user at all)."""
        self.fail_next: dict[str, str] = {}
        self.holds: dict[str, Hold] = {}
        self.base_url = ""
        self.calls: list[SlackCall] = []
        self.responses: list[ResponsePost] = []
        self.messages: dict[tuple[str, str], JSON] = {}
        self.homes: dict[str, JSON] = {}
        self.uploaded_files: list[UploadedFile] = []
        self.opened_views: list[JSON] = []
        """Modals opened with views.open, as answered (with their block_ids)."""
        self.block_errors: list[str] = []
        self.missing_fallback: list[str] = []
        self.socket_sent: list[JSON] = []
        self.socket_acks: dict[str, JSON] = {}
        self.errors: list[BaseException] = []
        self._serial = 0
        self._response_uses: dict[str, int] = {}
        self._uploads: dict[str, _Upload] = {}
        self._upload_urls: dict[str, str] = {}
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._sent_at: dict[str, float] = {}
        self._acked_at: dict[str, float] = {}
        self._changed = asyncio.Condition()
        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "conversations.history": self._history,
            "usergroups.users.list": self._usergroup_users,
            "views.publish": self._publish_view,
            "views.open": self._open_view,
            "users.info": self._user_info,
            "users.profile.get": self._user_profile,
            "users.lookupByEmail": self._lookup_by_email,
            "apps.connections.open": self._open_connection,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        self.app = web.Application()
        self.app.router.add_route("*", "/api/{method}", self._api)
        self.app.router.add_post("/response/{id}", self._response_url)
        self.app.router.add_post("/upload/v1/{ticket}", self._upload)
        self.app.router.add_get("/socket", self._socket)
        self.app.on_shutdown.append(self._close_sockets)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def new_response_url(self) -> str:
        url_id = uuid.uuid4().hex
        self._response_uses[url_id] = 0
        return f"{self.base_url}/response/{url_id}"

    def ack_latency(self, envelope_id: str) -> float:
        """Seconds from sending an envelope to receiving its ack."""
        return self._acked_at[envelope_id] - self._sent_at[envelope_id]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """The first `count` calls to `method`, once they have been answered."""
        await self._wait(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"{count} answered {method} call(s); got {[c.method for c in self.calls]}",
        )
        return self.calls_to(method)[:count]

    async def wait_for_match(
        self, method: str, match: Callable[[SlackCall], bool], timeout: float = 5.0
    ) -> SlackCall:
        """The first answered call to `method` for which `match` holds."""
        await self._wait(
            lambda: any(match(call) for call in self.calls_to(method)),
            timeout,
            lambda: f"a matching {method} call; got {[c.method for c in self.calls]}",
        )
        return next(call for call in self.calls_to(method) if match(call))

    async def wait_for_response(self, count: int = 1, timeout: float = 5.0) -> list[ResponsePost]:
        """The first `count` posts to any response_url."""
        await self._wait(
            lambda: len(self.responses) >= count,
            timeout,
            lambda: f"{count} response_url post(s); got {len(self.responses)}",
        )
        return self.responses[:count]

    async def wait_for_socket(self, timeout: float = 5.0) -> None:
        """Wait until a Socket Mode client is connected (and has been sent `hello`)."""
        await self._wait(lambda: bool(self._sockets), timeout, lambda: "a Socket Mode client")

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> JSON:
        """The client's ack of an envelope: `{"envelope_id": …, "payload": {…}}`."""
        await self._wait(
            lambda: envelope_id in self.socket_acks, timeout, lambda: f"an ack of {envelope_id}"
        )
        return self.socket_acks[envelope_id]

    async def socket_send(
        self, envelope_type: str, payload: JSON, *, accepts_response_payload: bool = True
    ) -> str:
        """Push an envelope to the newest connected client; returns its envelope id."""
        await self.wait_for_socket()
        envelope_id = str(uuid.uuid4())
        envelope: JSON = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self.socket_sent.append(envelope)
        self._sent_at[envelope_id] = time.monotonic()
        await self._sockets[-1].send_json(envelope)
        return envelope_id

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Warn the client, as Slack does before it recycles a connection."""
        await self.wait_for_socket()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}
        await self._sockets[-1].send_json(message)

    async def _wait(
        self, ready: Callable[[], bool], timeout: float, what: Callable[[], str]
    ) -> None:
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(ready)
        except TimeoutError:
            raise TimeoutError(f"FakeSlack waited {timeout}s for {what()}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = SlackCall(method, {}, dict(request.headers), time.monotonic())
        headers: dict[str, str] = {}
        hold = self.holds.get(method)
        if hold is not None and not hold.takes():
            hold = None
        try:
            call.args = await _request_args(request)
            call.token = _bearer(request) or call.args.pop("token", None)
            if hold is not None and hold.when == "before" and not await hold.wait():
                if request.transport is not None:
                    request.transport.close()  # cut: it never reached Slack
                return web.Response(status=499)
            call.status, call.answer = 200, self._answer(call)
            if call.answer.get("error") == "ratelimited":
                call.status, headers = 429, {"Retry-After": "1"}
        except _Refusal as refused:
            call.status, call.answer = 200, _error(refused.error, refused.errors)
        except Exception as exc:  # a bug in the fake must not pass for Slack's answer
            self.errors.append(exc)
            call.status, call.answer = 500, _error("fatal_error")
        # Recorded once answered, so that a waiting test sees the answer too.
        self.calls.append(call)
        await self._notify()
        if hold is not None and hold.when == "after":
            await hold.wait()  # done and recorded: only the answer waits
        return web.json_response(call.answer, status=call.status, headers=headers)

    def _answer(self, call: SlackCall) -> JSON:
        handler = self._methods.get(call.method)
        if handler is None:
            return _error("unknown_method")
        if not call.token:
            return _error("not_authed")
        wanted, other = (self.tokens, self.app_tokens)
        if call.method == "apps.connections.open":
            wanted, other = other, wanted
        if call.token not in wanted:
            return _error("not_allowed_token_type" if call.token in other else "invalid_auth")
        failure = self.fail_next.pop(call.method, None)
        if failure is not None:
            return _error(failure)
        return handler(call.args)

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Acme",
            "user": "attrsync",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _channel(self, args: JSON) -> str:
        channel = str(args.get("channel") or "")
        if not channel:
            raise _Refusal("channel_not_found")
        if channel in self.not_in_channel:
            raise _Refusal("not_in_channel")
        return channel

    def _post_message(self, args: JSON) -> JSON:
        channel = self._channel(args)
        self._check_message("chat.postMessage", args)
        ts = self._next_ts()
        message = self._message(args, ts)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _post_ephemeral(self, args: JSON) -> JSON:
        self._channel(args)
        if not args.get("user"):
            raise _Refusal("user_not_in_channel")
        self._check_message("chat.postEphemeral", args)
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, args: JSON) -> JSON:
        channel, ts = self._channel(args), str(args.get("ts") or "")
        if not ts:
            raise _Refusal("message_not_found")
        self._check_message("chat.update", args)
        message = self._message(args, ts)
        self.messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _history(self, args: JSON) -> JSON:
        """A channel's messages, newest first, without thread replies; their metadata only
        with include_all_metadata (docs.slack.dev, conversations.history)."""
        channel = self._channel(args)
        oldest = float(args.get("oldest") or 0)
        limit = _integer(args.get("limit")) or 100
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        listed = sorted(
            (
                message
                for (where, ts), message in self.messages.items()
                if where == channel and float(ts) > oldest and message.get("thread_ts", ts) == ts
            ),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        shown = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in listed[: min(limit, 999)]
        ]
        return {"ok": True, "messages": shown, "has_more": len(listed) > len(shown)}

    def _permalink(self, args: JSON) -> JSON:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel or not ts:
            raise _Refusal("channel_not_found" if not channel else "message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _usergroup_users(self, args: JSON) -> JSON:
        group = str(args.get("usergroup") or "")
        if group not in self.usergroups:
            raise _Refusal("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _publish_view(self, args: JSON) -> JSON:
        view = args.get("view")
        if not args.get("user_id") or not isinstance(view, dict):
            raise _Refusal("invalid_arguments")
        errors = check_blocks(view.get("blocks", []), "/view/blocks", max_blocks=100)
        if errors:
            # Slack reports views' Block Kit errors as invalid_arguments, not invalid_blocks.
            self.block_errors.append(f"views.publish: {'; '.join(errors)}")
            return _error("invalid_arguments", errors)
        user = str(args["user_id"])
        # A user's Home keeps its view id across publishes; its hash changes with each.
        view_id = self.homes.get(user, {}).get("id") or f"V{self._next_serial():010d}"
        published = _published_view(view, view_id, secrets.token_hex(8))
        self.homes[user] = published
        return {"ok": True, "view": published}

    def _open_view(self, args: JSON) -> JSON:
        """A modal, opened with a trigger_id (from an interaction, valid three seconds)."""
        view, trigger = args.get("view"), str(args.get("trigger_id") or "")
        if not isinstance(view, dict) or not trigger:
            raise _Refusal("invalid_arguments")
        if not _TRIGGER.fullmatch(trigger):
            raise _Refusal("invalid_trigger_id")
        errors = check_blocks(view.get("blocks", []), "/view/blocks", max_blocks=100)
        if view.get("type") != "modal":
            errors.append("must be modal [json-pointer:/view/type]")
        title = view.get("title")
        if not (isinstance(title, dict) and 0 < len(str(title.get("text", ""))) <= 24):
            errors.append("must be less than 25 characters [json-pointer:/view/title/text]")
        inputs = any(b.get("type") == "input" for b in view.get("blocks", []))
        if inputs and not isinstance(view.get("submit"), dict):
            errors.append("submit is required when an input block is present [json-pointer:/view]")
        if len(str(view.get("private_metadata", ""))) > 3000:
            errors.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
        if errors:
            self.block_errors.append(f"views.open: {'; '.join(errors)}")
            return _error("invalid_arguments", errors)
        opened = _published_view(view, f"V{self._next_serial():010d}", secrets.token_hex(8))
        opened |= {"title": view["title"], "submit": view.get("submit"), "close": view.get("close")}
        self.opened_views.append(opened)
        return {"ok": True, "view": opened}

    def _user_info(self, args: JSON) -> JSON:
        user_id = str(args.get("user") or "")
        if not user_id:
            raise _Refusal("user_not_found")
        name = user_id.lower()
        profile = {"display_name": name, "real_name": name.title(), "email": f"{name}@example.com"}
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "profile": profile,
        }
        if self.known_users_only and user_id not in self.users:
            raise _Refusal("user_not_found")
        return {"ok": True, "user": self.users.get(user_id, user)}

    def _user_profile(self, args: JSON) -> JSON:
        user = self._user_info(args)["user"]
        return {"ok": True, "profile": user.get("profile", {})}

    def _lookup_by_email(self, args: JSON) -> JSON:
        email = str(args.get("email") or "").lower()
        for user in self.users.values():
            if str(user.get("profile", {}).get("email", "")).lower() == email and email:
                return {"ok": True, "user": user}
        raise _Refusal("users_not_found")

    def _open_connection(self, args: JSON) -> JSON:
        ticket = str(self._next_serial())
        self._tickets.add(ticket)
        ws_base = self.base_url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_base}/socket?id={ticket}"}

    def _upload_url(self, args: JSON) -> JSON:
        missing = [name for name in ("filename", "length") if args.get(name) in (None, "")]
        if missing:
            raise _Refusal("invalid_arguments", [f"missing required field: {n}" for n in missing])
        length = _integer(args["length"])
        if length is None or length < 0:
            raise _Refusal("invalid_arguments", ["invalid value for field: length"])
        if length == 0:
            raise _Refusal("missing_argument")  # documented: "when the `length` provided is 0"
        alt_txt = str(args.get("alt_txt") or "")
        if len(alt_txt) > _ALT_TXT_MAX:
            raise _Refusal("alt_txt_too_large")
        if args.get("snippet_type") and length > _SNIPPET_MAX_BYTES:
            raise _Refusal("snippet_too_large")
        file_id, ticket = f"F{self._next_serial():010d}", secrets.token_urlsafe(24)
        self._uploads[file_id] = _Upload(file_id, str(args["filename"]), alt_txt)
        self._upload_urls[ticket] = file_id
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{ticket}", "file_id": file_id}

    def _complete_upload(self, args: JSON) -> JSON:
        files = args.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise _Refusal("invalid_arguments", ["files must be a JSON array"]) from None
        if not files or not isinstance(files, list):
            raise _Refusal("invalid_arguments", ["missing required field: files"])
        if not all(isinstance(item, dict) and item.get("id") for item in files):
            raise _Refusal("invalid_arguments", ["every item of files needs an id"])
        uploads = [self._uploads.get(str(item["id"])) for item in files]
        done = [upload for upload in uploads if upload is not None and upload.content is not None]
        if len(done) != len(uploads):
            # Never issued, never posted to, or already completed: no upload ticket to finish.
            raise _Refusal("file_not_found")
        named = [str(args.get("channel_id") or ""), *str(args.get("channels") or "").split(",")]
        channels = tuple(dict.fromkeys(c.strip() for c in named if c.strip()))
        if any(channel in self.not_in_channel for channel in channels):
            raise _Refusal("not_in_channel")
        thread_ts = str(args.get("thread_ts") or "") or None
        comment = str(args.get("initial_comment") or "") or None
        answered: list[JSON] = []
        for item, upload in zip(files, done, strict=True):
            title = str(item.get("title") or upload.filename)
            content = upload.content or b""
            self.uploaded_files.append(
                UploadedFile(
                    upload.file_id, upload.filename, title, content, channels, thread_ts, comment
                )
            )
            answered.append(_file_object(upload, title, len(content)))
            self._uploads.pop(upload.file_id, None)
        # Slack shares asynchronously, so its answer has no shares yet; the fake shares at once.
        for channel in channels:
            ts = self._next_ts()
            message = self._message({"text": comment, "thread_ts": thread_ts}, ts)
            self.messages[(channel, ts)] = {**message, "files": answered, "upload": True}
        return {"ok": True, "files": answered}

    def _check_message(self, where: str, body: JSON) -> None:
        """Refuse what Slack refuses; record what Slack only warns about."""
        errors = check_blocks(body.get("blocks", []), "/blocks", max_blocks=50)
        if errors:
            self.block_errors.append(f"{where}: {'; '.join(errors)}")
            raise _Refusal("invalid_blocks", errors)
        text = str(body.get("text") or body.get("markdown_text") or "").strip()
        if text:
            return
        if not body.get("blocks") and not body.get("attachments"):
            raise _Refusal("no_text")
        self.missing_fallback.append(f"{where}: blocks without a top-level text")

    def _message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "text": str(args.get("text") or ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        if args.get("blocks"):
            message["blocks"] = _with_block_ids(args["blocks"])
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        metadata = args.get("metadata")
        if isinstance(metadata, str) and metadata:
            metadata = json.loads(metadata)
        if metadata:
            if not (
                isinstance(metadata, dict)
                and isinstance(metadata.get("event_type"), str)
                and isinstance(metadata.get("event_payload"), dict)
            ):
                raise _Refusal("invalid_metadata_format")
            message["metadata"] = metadata
        return message

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _next_ts(self) -> str:
        n = self._next_serial() * 100
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    # response_url

    async def _response_url(self, request: web.Request) -> web.Response:
        url_id = request.match_info["id"]
        post = ResponsePost(url_id, {}, time.monotonic())
        status, text = 200, "ok"
        try:
            post.body = _parse_embedded(await request.json())
            uses = self._response_uses.get(url_id)
            if uses is None:
                status, text = 404, "expired_url"
            elif uses >= _RESPONSE_URL_USES:
                status, text = 404, "used_url"
            else:
                self._response_uses[url_id] = uses + 1
                if not post.body.get("delete_original"):
                    self._check_message("response_url", post.body)
        except _Refusal as refused:
            status, text = 400, refused.error
        except ValueError:
            status, text = 400, "invalid_payload"
        post.status = status
        self.responses.append(post)
        await self._notify()
        return web.Response(text=text, status=status)

    # The upload URLs files.getUploadURLExternal hands out (files.slack.com/upload/v1/…)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = self._upload_urls.get(request.match_info["ticket"])
        upload = self._uploads.get(file_id) if file_id else None
        if upload is None:
            return web.Response(text="Not Found", status=404)
        if request.content_type == "multipart/form-data":
            form = await request.post()
            field = next((v for v in form.values() if isinstance(v, web.FileField)), None)
            upload.content = field.file.read() if field else b""
        else:
            upload.content = await request.read()
        # files.slack.com answers in plain text, which slack_sdk checks only for status 200.
        return web.Response(text=f"OK - {len(upload.content)}")

    # Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("id") not in self._tickets:
            raise web.HTTPUnauthorized()
        # autoping answers the SDK's own pings, which it uses to detect stale connections.
        ws = web.WebSocketResponse(autoping=True, timeout=1.0)
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
            await self._notify()
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._socket_message(message.data)
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    async def _socket_message(self, raw: str) -> None:
        try:
            ack = json.loads(raw)
        except ValueError as exc:
            self.errors.append(exc)
            return
        if isinstance(ack, dict) and isinstance(ack.get("envelope_id"), str):
            self.socket_acks[ack["envelope_id"]] = ack
            self._acked_at[ack["envelope_id"]] = time.monotonic()
            await self._notify()

    async def _close_sockets(self, app: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


def _error(error: str, messages: list[str] | None = None) -> JSON:
    answer: JSON = {"ok": False, "error": error}
    if messages:
        answer["errors"] = messages
        answer["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}
    return answer


def _with_block_ids(blocks: list[JSON]) -> list[JSON]:
    """Blocks as Slack echoes them: every block gets a block_id, random when none was sent."""
    echoed = copy.deepcopy(blocks)
    for block in echoed:
        if isinstance(block, dict):
            block.setdefault("block_id", secrets.token_urlsafe(3))
    return echoed


def _published_view(view: JSON, view_id: str, view_hash: str) -> JSON:
    """A Home view as views.publish answers it (and as Slack sends it back with a click in it):
    the blocks with their block_ids, and the view's own fields."""
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view.get("type", "home"),
        "blocks": _with_block_ids(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": view_hash,
        "title": {"type": "plain_text", "text": "View Title", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def _file_object(upload: _Upload, title: str, size: int) -> JSON:
    """A file as files.completeUploadExternal answers it: before Slack's asynchronous scan and
    share, so with no type (mimetype/filetype empty) and no channels or shares yet."""
    team_file, name = f"{TEAM_ID}-{upload.file_id}", quote(upload.filename)
    created = int(time.time())
    file: JSON = {
        "id": upload.file_id,
        "created": created,
        "timestamp": created,
        "name": upload.filename,
        "title": title,
        "mimetype": "",
        "filetype": "",
        "pretty_type": "",
        "user": BOT_USER_ID,
        "user_team": TEAM_ID,
        "editable": False,
        "size": size,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"https://files.slack.com/files-pri/{team_file}/{name}",
        "url_private_download": f"https://files.slack.com/files-pri/{team_file}/download/{name}",
        "media_display_type": "unknown",
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{upload.file_id}/{name}",
        "permalink_public": f"https://slack-files.com/{team_file}-{secrets.token_hex(5)}",
        "comments_count": 0,
        "is_starred": False,
        "shares": {},
        "channels": [],
        "groups": [],
        "ims": [],
        "has_rich_preview": False,
        "file_access": "visible",
    }
    if upload.alt_txt:
        file["alt_txt"] = upload.alt_txt
    return file


def _integer(value: Any) -> int | None:
    """A whole number sent as a form field or JSON; None for anything else."""
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() or None if header.startswith("Bearer ") else None


def _parse_embedded(args: Any) -> JSON:
    """Form fields that carry JSON (`blocks`, `attachments`, `view`) as parsed values."""
    if not isinstance(args, dict):
        raise ValueError("body is not an object")
    for key in ("blocks", "attachments", "view"):
        value = args.get(key)
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            # Unparseable JSON stays a string, which Block Kit validation then refuses.
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args


async def _request_args(request: web.Request) -> JSON:
    """Query string and body merged, like Slack, which accepts arguments in either."""
    args: JSON = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _Refusal("invalid_json") from None
            if not isinstance(body, dict):
                raise _Refusal("invalid_json")
            args.update(body)
        else:
            form = await request.post()
            args.update({key: value for key, value in form.items() if isinstance(value, str)})
    return _parse_embedded(args)


@asynccontextmanager
async def serve_slack(
    *, bot_token: str = "xoxb-test", app_token: str = "xapp-test"
) -> AsyncIterator[FakeSlack]:
    """Run a FakeSlack on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakeSlack(bot_token=bot_token, app_token=app_token)
    async with serving(fake.app) as url:
        fake.base_url = url
        yield fake
