"""FakeOkta: an aiohttp server speaking the Okta Management API over an OrgState.

It is both the test double that integration tests drive the real adapter against and the
org behind `attrsync demo`. Use it through `serve`::

    async with serve(build_demo_org(now)) as okta:
        okta.faults.append(Fault.rate_limited(path=r"^/api/v1/logs"))
        ...  # point a client at okta.url with token "demo-token"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Final

from aiohttp import web

from fakes.okta import routes_apps, routes_logs, routes_meta, routes_users, shapes
from fakes.okta.faults import Fault
from fakes.okta.oauth import TOKEN_PATH, TokenIssuer
from fakes.okta.rate_limits import RateLimits
from fakes.okta.state import FakeOktaError, OrgState
from fakes.okta.wire import MUTATED, STATE
from fakes.serving import serving

__all__ = ["FakeOkta", "Fault", "RecordedRequest", "serve"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Path prefix -> OAuth scope resource; GET needs `.read`, anything else `.manage`.
_SCOPES: Final = (
    ("/api/v1/users", "okta.users"),
    ("/api/v1/groups", "okta.groups"),
    ("/api/v1/apps", "okta.apps"),
    ("/api/v1/mappings", "okta.profileMappings"),
    ("/api/v1/meta/schemas", "okta.schemas"),
    ("/api/v1/meta/types", "okta.userTypes"),
    ("/api/v1/logs", "okta.logs"),
)
Counted = tuple[int, int, int]
"""A request's bucket as the X-Rate-Limit-* headers tell it: limit, remaining, reset."""


def required_scope(method: str, path: str) -> str | None:
    """The OAuth scope Okta requires for a request (manage scopes also allow reads)."""
    for prefix, resource in _SCOPES:
        if path == prefix or path.startswith(prefix + "/"):
            return f"{resource}.{'read' if method == 'GET' else 'manage'}"
    return None


@dataclass(slots=True)
class RecordedRequest:
    """One request as the fake saw it; `ended`/`status` are filled in when it is answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    started: float
    ended: float | None = None
    status: int | None = None
    mutated: bool = False
    fault: Fault | None = None
    dropped: bool = False
    raw_path: str = ""
    """The path as sent, still percent-encoded (`path` is decoded)."""

    @property
    def duration(self) -> float | None:
        return None if self.ended is None else self.ended - self.started


class FakeOkta:
    """The fake org server; see `serve` to run it.

    Attributes tests use: `url` (set by `serve`), `state` (the OrgState, live), `requests`
    (every RecordedRequest), `mutations` (those that changed the org), `faults` (Fault rules,
    first match wins), `latency` (seconds added to every /api and /oauth2 answer), `errors`
    (exceptions the fake itself raised; should stay empty), `limits` (the rate limits).
    """

    def __init__(
        self,
        state: OrgState,
        *,
        token: str = "demo-token",
        latency: float = 0.0,
        oauth_client: tuple[str, str | bytes] | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.state = state
        self.token = token
        self.latency = latency
        self.limits = rate_limits or RateLimits()
        self.url = ""
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self.issuer = TokenIssuer(*oauth_client) if oauth_client else None
        self.app = self._build_app()

    @property
    def mutations(self) -> list[RecordedRequest]:
        """The recorded requests that changed the org."""
        return [recorded for recorded in self.requests if recorded.mutated]

    def round_trips(self) -> int:
        """The longest chain of recorded requests each sent after the previous was answered:
        how many network round trips the traffic needed, however many ran in parallel."""
        ordered = sorted(self.requests, key=lambda r: r.started)
        ends = [r.ended if r.ended is not None else float("inf") for r in ordered]
        depth: list[int] = []
        for i, request in enumerate(ordered):
            before = [depth[j] for j in range(i) if ends[j] <= request.started]
            depth.append(1 + max(before, default=0))
        return max(depth, default=0)

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app[STATE] = self.state
        for module in (routes_users, routes_apps, routes_meta, routes_logs):
            app.router.add_routes(module.routes())
        if self.issuer is not None:
            app.router.add_post(TOKEN_PATH, self.issuer.handle)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=await _parsed_body(request),
            started=time.monotonic(),
            raw_path=request.rel_url.raw_path,
        )
        self.requests.append(recorded)
        try:
            response = await self._respond(request, handler, recorded)
        finally:
            recorded.ended = time.monotonic()
        recorded.status = response.status
        recorded.mutated = bool(request.get(MUTATED)) and response.status < 400
        return response

    async def _respond(
        self, request: web.Request, handler: Handler, recorded: RecordedRequest
    ) -> web.StreamResponse:
        if self.latency > 0 and request.path.startswith(("/api/", "/oauth2/")):
            await asyncio.sleep(self.latency)
        limit, remaining, reset, over = self.limits.count(request.path)
        counted = (limit, remaining, reset)
        if over and self.limits.enforce:
            refused = self._error("E0000047")
            self._stamp(refused, counted)
            return refused
        fault = next((f for f in self.faults if f.matches(request.method, request.path)), None)
        if fault is not None and not fault.consume():
            fault = None
        if fault is not None:
            recorded.fault = fault
            if fault.wait > 0:
                await asyncio.sleep(fault.wait)
            if fault.http_status is not None:
                return self._fault_answer(fault, counted)
            if fault.hold == "before" and not await _held_before(request, fault, recorded):
                return web.Response(status=499)
        response = await self._handle(request, handler, counted)
        if fault is not None and fault.hold == "after":
            # Applied: it stays applied whether or not the answer ever leaves.
            recorded.status = response.status
            recorded.mutated = bool(request.get(MUTATED)) and response.status < 400
            await _held(request, fault)
        return response

    async def _handle(
        self, request: web.Request, handler: Handler, counted: Counted
    ) -> web.StreamResponse:
        try:
            if request.path.startswith("/api/"):
                self._authorize(request)
            response = await handler(request)
        except FakeOktaError as exc:
            response = self._error(exc.code, exc.detail, exc.causes)
        except web.HTTPNotFound:
            detail = shapes.not_found_detail(request.path, "Path")
            response = self._error("E0000007", detail)
        except web.HTTPMethodNotAllowed:
            response = self._error("E0000022")
        except web.HTTPException as exc:
            response = self._error(shapes.CODE_FOR_STATUS.get(exc.status, "E0000009"))
        except Exception as exc:  # a bug in the fake must still look like Okta's 500
            self.errors.append(exc)
            response = self._error("E0000009")
        self._stamp(response, counted)
        return response

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if header.startswith("SSWS"):
            # The okta SDK's generated methods send "SSWS<token>" without the space.
            given = header[4:].strip()
            if given and secrets.compare_digest(given.encode(), self.token.encode()):
                return
        elif header.startswith("Bearer ") and self.issuer is not None:
            scopes = self.issuer.scopes(header[7:].strip())
            if scopes is not None:
                needed = required_scope(request.method, request.path)
                manage = needed.replace(".read", ".manage") if needed else None
                if needed is None or needed in scopes or manage in scopes:
                    return
                raise FakeOktaError("E0000006")
        raise FakeOktaError("E0000011")

    def _error(
        self, code: str, detail: str | None = None, causes: tuple[str, ...] = ()
    ) -> web.Response:
        body = shapes.error(code, detail, causes, error_id=_error_id())
        return web.Response(
            body=json.dumps(body).encode(),
            status=shapes.status_of(code),
            content_type="application/json",
        )

    def _fault_answer(self, fault: Fault, counted: Counted) -> web.Response:
        if fault.raw is not None:
            raw = web.Response(
                text=fault.raw, status=fault.http_status or 200, content_type=fault.content_type
            )
            self._stamp(raw, counted)
            return raw
        body = shapes.error(fault.code or "E0000009", fault.summary, error_id=_error_id())
        response = web.Response(
            body=json.dumps(body).encode(),
            status=fault.http_status or 500,
            content_type="application/json",
        )
        if fault.http_status == 429 and fault.reset_in is not None:
            self._stamp(response, (counted[0], 0, int(time.time() + fault.reset_in)))
        elif fault.http_status == 429:
            # aiohttp always adds a Date header; without X-Rate-Limit-Reset the okta SDK
            # already refuses to retry, which is the case this fault exists to test.
            response.headers["X-Okta-Request-Id"] = _request_id()
        else:
            self._stamp(response, counted)
        response.headers.update(fault.headers)
        return response

    def _stamp(self, response: web.StreamResponse, counted: Counted) -> None:
        """Headers every Okta answer carries."""
        response.headers.setdefault("X-Okta-Request-Id", _request_id())
        response.headers["Date"] = formatdate(usegmt=True)
        limit, remaining, reset = counted
        response.headers["X-Rate-Limit-Limit"] = str(limit)
        response.headers["X-Rate-Limit-Remaining"] = str(remaining)
        response.headers["X-Rate-Limit-Reset"] = str(reset)


async def _held_before(request: web.Request, fault: Fault, recorded: RecordedRequest) -> bool:
    """Hold a request before it is applied; False when it was dropped unapplied (the client
    went away, or the test cut the connection), as if it never reached Okta."""
    try:
        kept = await _held(request, fault) and not fault.drop
    except asyncio.CancelledError:  # handler_cancellation: the client went away
        kept = False
        raise
    finally:
        if not kept:
            fault.dropped += 1
            recorded.dropped = True
            if request.transport is not None:
                request.transport.close()
    return kept


async def _held(request: web.Request, fault: Fault) -> bool:
    """Wait for `fault.release()`; False if the client went away first."""
    fault.held.set()
    while not fault.released.is_set():
        transport = request.transport
        if transport is None or transport.is_closing():
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fault.released.wait(), 0.01)
    return True


def _request_id() -> str:
    return secrets.token_urlsafe(20)[:27]


def _error_id() -> str:
    return "oae" + secrets.token_urlsafe(16)[:22]


async def _parsed_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    raw = await request.read()
    if request.content_type == "application/x-www-form-urlencoded":
        return dict((await request.post()).items())
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


@asynccontextmanager
async def serve(
    state: OrgState,
    *,
    token: str = "demo-token",
    latency: float = 0.0,
    oauth_client: tuple[str, str | bytes] | None = None,
) -> AsyncIterator[FakeOkta]:
    """Run a FakeOkta on 127.0.0.1 (a free port) for the duration of the block.

    `oauth_client` = (client_id, public key PEM) also serves `POST /oauth2/v1/token`.
    """
    fake = FakeOkta(state, token=token, latency=latency, oauth_client=oauth_client)
    # handler_cancellation: a client that gives up on a delayed answer ends its handler.
    async with serving(fake.app) as url:
        fake.url = url
        yield fake
