"""The HTTP exchange every reader shares: a timeout per attempt, retries of 429/503/504 within
a wait the caller allows, and each refusal translated into one sentence of AppReadFailed."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import aiohttp
from yarl import URL

from checks.errors import (
    AppForbidden,
    AppMalformed,
    AppRateLimited,
    AppReadFailed,
    AppUnauthorized,
    AppUnavailable,
)
from checks.okta import is_loopback
from checks.retry import Backoff

RETRY_STATUSES: Final = frozenset({429, 503, 504})
READER_RETRY: Final = Backoff(initial=0.5, factor=2.0, cap=2.0, attempts=3)
USER_AGENT: Final = "attrsync"

Describe = Callable[[Any], str]
"""The app's own words for an error body ("" when it said nothing useful)."""
Sleep = Callable[[float], Awaitable[None]]
E = TypeVar("E", bound=AppReadFailed)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class Vendor:
    """How one app's API speaks: its name in sentences, and where its errors say why."""

    name: str
    describe: Describe
    credentials_hint: str
    """What to check when the app refuses the credentials (401)."""
    permission_hint: str
    """What the credentials likely lack when the app refuses a read (403)."""


class ReaderHttp:
    """JSON over one shared aiohttp session for one app's reader."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app: str,
        vendor: Vendor,
        timeout: float,
        max_wait: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._session = session
        self.app = app
        self.vendor = vendor
        self.timeout = timeout
        self.max_wait = max_wait
        self._sleep = sleep

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Answer | None:
        """The 2xx JSON answer; None for a 404 when `missing_ok` (an id the app does not hold)."""
        return await self.send("GET", url, headers=headers, params=params, missing_ok=missing_ok)

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        missing_ok: bool = False,
        token_request: bool = False,
    ) -> Answer | None:
        """`token_request`: an OAuth token endpoint, whose 400 means the credentials are wrong
        (RFC 6749 §5.2: invalid_client, invalid_grant)."""
        target = str(URL(url).update_query(dict(params))) if params else url
        waited = 0.0
        for attempt in READER_RETRY.tries():
            status, text, retry_after = await self._attempt(method, target, headers, form)
            if status in RETRY_STATUSES and not attempt.last:
                pause = attempt.pause if retry_after is None else retry_after
                if waited + pause <= self.max_wait:
                    waited += pause
                    await self._sleep(pause)
                    continue
            if token_request and status == 400:
                status = 401
            return self._answer(method, target, status, text, retry_after, missing_ok=missing_ok)
        raise AssertionError("unreachable")

    async def _attempt(
        self, method: str, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None
    ) -> tuple[int, str, float | None]:
        sent = {"Accept": "application/json", "User-Agent": USER_AGENT, **headers}
        try:
            async with (
                asyncio.timeout(self.timeout),
                self._session.request(method, url, headers=sent, data=form) as response,
            ):
                text = await response.text(errors="replace")
                return response.status, text, _retry_after(response.headers.get("Retry-After"))
        except TimeoutError:
            raise self._named(
                AppUnavailable(
                    f"{self.vendor.name} did not answer {method} {_path(url)} within "
                    f"{self.timeout:g} s."
                )
            ) from None
        except aiohttp.ClientError as exc:
            host = URL(url).host
            raise self._named(
                AppUnavailable(
                    f"{self.vendor.name} at {host} is unreachable ({type(exc).__name__})."
                )
            ) from None

    def _answer(
        self,
        method: str,
        url: str,
        status: int,
        text: str,
        retry_after: float | None,
        *,
        missing_ok: bool,
    ) -> Answer | None:
        body = _json(text)
        if 200 <= status < 300:
            if body is _NOT_JSON:
                raise self._named(
                    AppMalformed(
                        f"{self.vendor.name} answered {method} {_path(url)} with a page that is "
                        "not JSON."
                    )
                )
            return Answer(status, body)
        if status == 404 and missing_ok:
            return None
        raise self.refusal(method, url, status, body, retry_after)

    def refusal(
        self, method: str, url: str, status: int, body: Any, retry_after: float | None = None
    ) -> AppReadFailed:
        name, where = self.vendor.name, f"{method} {_path(url)}"
        said = self.vendor.describe(None if body is _NOT_JSON else body).strip().rstrip(".")
        why = f" ({said})" if said else ""
        error: AppReadFailed
        if status == 401:
            error = AppUnauthorized(
                f"{name} rejected the reader's credentials{why}: {self.vendor.credentials_hint}."
            )
        elif status == 403:
            error = AppForbidden(f"{name} refused {where}{why}: {self.vendor.permission_hint}.")
        elif status == 404:
            error = AppUnavailable(
                f"{name} has no {_path(url)}{why}: check the reader's url for {self.app!r}."
            )
        elif status == 429:
            wait = f"; try again in {retry_after:g} s" if retry_after is not None else ""
            error = AppRateLimited(f"{name} is rate limiting attrsync's reads{wait}.")
            error.retry_after = retry_after
        elif status >= 500:
            error = AppUnavailable(f"{name} answered {status} to {where}{why}.")
        else:
            error = AppMalformed(f"{name} rejected {where} with {status}{why}.")
        return self._named(error)

    def malformed(self, what: str) -> AppMalformed:
        return self._named(AppMalformed(f"{self.vendor.name} answered {what}."))

    def _named(self, error: E) -> E:
        error.app = self.app
        return error


async def within(budget: float | None, app: str, vendor: str, read: Awaitable[Any]) -> Any:
    """`read`, given at most `budget` seconds in all (None: no cap beyond each request's)."""
    if budget is None:
        return await read
    try:
        async with asyncio.timeout(budget):
            return await read
    except TimeoutError:
        error = AppUnavailable(f"{vendor} did not give the user's record within {budget:g} s.")
        error.app = app
        raise error from None


_NOT_JSON: Final = object()


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return _NOT_JSON


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - time.time())


def _path(url: str) -> str:
    return URL(url).path


def is_acceptable_base_url(url: str) -> bool:
    """https, or plain http to a loopback host (a fake, a local tunnel): never a token in clear
    over a network."""
    parts = URL(url)
    if not parts.host or parts.query_string or parts.fragment:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.host))
