"""What every fake of a downstream app shares: each request recorded, and fault switches (an
error status in the vendor's own error shape, a Retry-After, added latency)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorBody = Callable[[int, str], Mapping[str, Any]]
"""The vendor's error body for a status and a message."""


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]
    status: int | None = None


@dataclass(slots=True)
class AppFault:
    """Answer matching requests with `status` (in the vendor's error shape) after `wait`
    seconds; `status` None only delays. `path` is a regular expression searched in the path;
    `times` None applies to every matching request."""

    status: int | None = None
    path: str = ".*"
    times: int | None = None
    wait: float = 0.0
    retry_after: str | None = None
    message: str = ""
    hits: int = field(default=0)

    def matches(self, path: str) -> bool:
        return (self.times is None or self.hits < self.times) and bool(re.search(self.path, path))


class Recorder:
    """The recording and fault middleware; `error_body` speaks the vendor's error shape."""

    def __init__(self, error_body: ErrorBody, content_type: str = "application/json") -> None:
        self.requests: list[RecordedRequest] = []
        self.faults: list[AppFault] = []
        self.latency = 0.0
        self.error_body = error_body
        self.content_type = content_type

    def error(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        return web.json_response(
            dict(self.error_body(status, message)),
            status=status,
            headers=dict(headers or {}),
            content_type=self.content_type,
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        form = dict(await request.post()) if request.method == "POST" else {}
        recorded = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            {k: str(v) for k, v in form.items()},
        )
        self.requests.append(recorded)
        started = time.monotonic()
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = next((f for f in self.faults if f.matches(request.path)), None)
        response: web.StreamResponse
        if fault is not None:
            fault.hits += 1
            if fault.wait:
                await asyncio.sleep(max(0.0, fault.wait - (time.monotonic() - started)))
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            response = self.error(fault.status, fault.message or _reason(fault.status), headers)
        else:
            response = await handler(request)
        recorded.status = response.status
        return response


class RecordingFake:
    """A fake app's requests and faults, kept by its recorder."""

    recorder: Recorder

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.recorder.requests

    @property
    def faults(self) -> list[AppFault]:
        return self.recorder.faults


def _reason(status: int) -> str:
    return {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }.get(status, "Error")


def bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value if scheme.lower() == "bearer" and value else None
