"""Injected failures for the fake Okta: error answers (429, 5xx, 401, 403) and slow answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fakes.okta import shapes


@dataclass(slots=True)
class Fault:
    """A rule applied before normal handling to requests whose method and path match.

    `path` is a regular expression searched in the request path (no query string);
    `method` None matches any method. `times` is how many matching requests the rule still
    applies to (None = every one). The rule first waits `wait` seconds, then, if
    `http_status` is set, answers with an Okta error body instead of handling the request.
    `hold` keeps a matching request until `release()`: "before" it is applied (if the client
    goes away meanwhile, or `release(drop=True)` cuts the connection, the request is dropped
    unapplied, as if it never reached Okta), "after" it is applied (the change is made, the
    answer waits). `held` is set when one is. `skip` lets that many matching requests through
    untouched first (to reach the second of two identical calls).
    Build rules with `Fault.status(...)`, `Fault.rate_limited(...)`, `Fault.delay(...)` or
    `Fault.hold_request(...)`.
    """

    path: str = ".*"
    method: str | None = None
    times: int | None = None
    http_status: int | None = None
    code: str | None = None
    summary: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    reset_in: float | None = None
    wait: float = 0.0
    hold: Literal["before", "after"] | None = None
    skip: int = 0
    raw: str | None = None
    """A body to answer as is (with `http_status`, default 200): a proxy's HTML page, `{}`."""
    content_type: str = "application/json"
    hits: int = 0
    dropped: int = 0
    held: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    drop: bool = False

    @classmethod
    def status(
        cls,
        status: int,
        *,
        path: str = ".*",
        method: str | None = None,
        times: int | None = None,
        code: str | None = None,
        summary: str | None = None,
        headers: Mapping[str, str] | None = None,
        reset_in: float | None = None,
    ) -> Fault:
        """Answer `status` with Okta's error for it (or `code`).

        For 429, `reset_in` seconds sets `X-Rate-Limit-Reset`; with `reset_in=None` the answer
        carries no X-Rate-Limit-* headers at all (the case the okta SDK cannot retry).
        """
        return cls(
            path=path,
            method=method,
            times=times,
            http_status=status,
            code=code or shapes.CODE_FOR_STATUS.get(status, "E0000009"),
            summary=summary,
            headers=dict(headers or {}),
            reset_in=reset_in,
        )

    @classmethod
    def rate_limited(
        cls,
        *,
        path: str = ".*",
        method: str | None = None,
        times: int | None = 1,
        reset_in: float | None = 1.0,
    ) -> Fault:
        """429 E0000047, by default once, with `X-Rate-Limit-Reset` = now + `reset_in`."""
        return cls.status(429, path=path, method=method, times=times, reset_in=reset_in)

    @classmethod
    def delay(
        cls,
        seconds: float,
        *,
        path: str = ".*",
        method: str | None = None,
        times: int | None = None,
    ) -> Fault:
        """Answer normally, `seconds` late (to exercise client timeouts)."""
        return cls(path=path, method=method, times=times, wait=seconds)

    @classmethod
    def hold_request(
        cls,
        *,
        path: str = ".*",
        method: str | None = None,
        when: Literal["before", "after"] = "before",
        times: int | None = 1,
        skip: int = 0,
    ) -> Fault:
        """Hold matching requests until `release()`, before or after applying them."""
        return cls(path=path, method=method, times=times, hold=when, skip=skip)

    @classmethod
    def answer(
        cls,
        raw: str,
        *,
        path: str = ".*",
        method: str | None = None,
        status: int = 200,
        content_type: str = "application/json",
        times: int | None = None,
    ) -> Fault:
        """Answer `raw` instead of handling the request: a malformed success, for one."""
        return cls(
            path=path,
            method=method,
            times=times,
            http_status=status,
            raw=raw,
            content_type=content_type,
        )

    def release(self, *, drop: bool = False) -> None:
        """Let held requests go on; `drop` cuts a request held before it was applied."""
        self.drop = drop
        self.released.set()

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def consume(self) -> bool:
        """Count a matching request; False while it is one of the `skip` let through."""
        if self.skip > 0:
            self.skip -= 1
            return False
        self.hits += 1
        if self.times is not None:
            self.times -= 1
        return True

    def body(self) -> dict[str, Any]:
        return shapes.error(self.code or "E0000009", self.summary)
