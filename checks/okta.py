"""The one adapter over Okta's API: auth, timeouts, rate limits, paging, errors -> exceptions.

Requests go over one shared aiohttp session, signed with `SSWS <token>` or an OAuth 2.0 access
token of a service app (checks.okta_auth, imported only then). The okta SDK is not imported:
`okta.client` costs seconds at start-up (it builds hundreds of pydantic models) and we used it
only to sign and send; we read raw JSON because its models drop or reject real Okta data, and
retry ourselves because the SDK crashes when Okta omits a header.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from checks.errors import (
    OktaBadRequest,
    OktaError,
    OktaForbidden,
    OktaMalformed,
    OktaNotFound,
    OktaRateLimited,
    OktaUnauthorized,
    OktaUnavailable,
    UsageError,
)
from checks.rate_budget import RateBudget, bucket_of, in_background
from checks.retry import Backoff

READ_SCOPES = (
    "okta.users.read",
    "okta.apps.read",
    "okta.profileMappings.read",
    "okta.schemas.read",
    "okta.logs.read",
)
RETRY_STATUSES = frozenset({429, 503, 504})
OKTA_RETRY = Backoff(initial=0.5, factor=2.0, cap=1.0, attempts=3)
"""Tries of a request Okta answers with one of RETRY_STATUSES, all within max_wait; a 429
waits for X-Rate-Limit-Reset instead of the backoff."""
USER_AGENT = "attrsync"
_JSON_HEADERS = {"Accept": "application/json", "User-Agent": USER_AGENT}

# Longest path prefix first: the scope a 403 most likely lacks, and the read-only admin role
# that would grant it to an SSWS token's owner.
_SCOPE_BY_PREFIX = (
    ("/api/v1/meta/schemas", "okta.schemas"),
    ("/api/v1/mappings", "okta.profileMappings"),
    ("/api/v1/logs", "okta.logs"),
    ("/api/v1/apps", "okta.apps"),
    ("/api/v1/users", "okta.users"),
)


@dataclass(frozen=True, slots=True)
class OktaSettings:
    org_url: str
    token: str | None = None
    client_id: str | None = None
    private_key: str | None = None
    scopes: tuple[str, ...] = READ_SCOPES
    timeout: float = 15.0
    """Seconds one HTTP attempt may take."""
    max_wait: float = 30.0
    """Seconds a call may spend waiting out rate limits before giving up."""

    def __repr__(self) -> str:  # never show the secrets
        mode = "token" if self.token else f"service app {self.client_id}"
        return f"OktaSettings({self.org_url}, {mode})"

    def __post_init__(self) -> None:
        if not is_acceptable_org_url(self.org_url):
            raise UsageError(
                f"OKTA_ORG_URL must be an https:// URL (plain http only for loopback): "
                f"{self.org_url!r}."
            )
        if not self.token and not (self.client_id and self.private_key):
            raise UsageError(
                "Set OKTA_API_TOKEN, or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY, to reach Okta."
            )


@dataclass(frozen=True, slots=True)
class OktaResponse:
    status: int
    body: Any
    links: tuple[str, ...]
    request_id: str | None


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_acceptable_org_url(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.hostname or parts.path not in ("", "/"):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one attempt sends besides method and URL: headers and a JSON text or form fields."""

    headers: Mapping[str, str]
    data: str | Mapping[str, str] | None = None


Prepare = Callable[[], Awaitable[Outgoing]]
OnHeaders = Callable[[CIMultiDictProxy[str]], None]


class Credentials(Protocol):
    async def authorization(self) -> str:
        """The Authorization header's value for the next request."""
        ...

    def forget(self) -> None:
        """Okta refused the credentials: drop anything cached."""
        ...


class ApiToken:
    """An API token is its own header: nothing to fetch, nothing to renew."""

    __slots__ = ("_header",)

    def __init__(self, token: str) -> None:
        self._header = f"SSWS {token}"

    def __repr__(self) -> str:  # never show the token
        return "ApiToken()"

    async def authorization(self) -> str:
        return self._header

    def forget(self) -> None:
        pass


class OktaClient:
    """Raw-JSON access to one Okta org; open with `async with OktaClient.open(settings)`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: OktaSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        budget: RateBudget | None = None,
    ) -> None:
        self._session = session
        self._budget = budget
        self._settings = settings
        self.org_url = settings.org_url.rstrip("/")
        self.health = "unknown"
        """How Okta answered last: unknown (not asked yet), ok, unauthorized or down."""
        self._proxy = env_proxy(self.org_url)
        self._credentials = self._credentials_for(settings, clock)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: OktaSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        budget: RateBudget | None = None,
    ) -> AsyncIterator[OktaClient]:
        """`clock` (monotonic seconds) decides when an OAuth access token is due for renewal;
        `budget`, shared by every process, paces the requests (none: Okta's 429s alone) and is
        closed with the client: what Okta's last answers said reaches the other processes."""
        try:
            async with aiohttp.ClientSession() as session:
                yield cls(session, settings, clock=clock, budget=budget)
        finally:
            if budget is not None:
                await budget.aclose()

    def _credentials_for(self, settings: OktaSettings, clock: Callable[[], float]) -> Credentials:
        if settings.token:
            return ApiToken(settings.token)
        from checks.okta_auth import ServiceAppToken  # PyJWT and cryptography: only for OAuth

        assert settings.client_id and settings.private_key  # OktaSettings insists
        return ServiceAppToken(
            org_url=self.org_url,
            client_id=settings.client_id,
            private_key=settings.private_key,
            scopes=settings.scopes,
            post=self._post_form,
            clock=clock,
        )

    async def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return (await self.request("GET", path, params=params)).body

    async def get_all(
        self, path: str, params: Mapping[str, str | int] | None = None, *, max_items: int = 2000
    ) -> list[Any]:
        """GET every page of a list, following Okta's `Link: rel="next"` headers."""
        items: list[Any] = []
        url: str | None = self._url(path, params)
        while url and len(items) < max_items:
            page, url = await self.get_page(url)
            items.extend(page)
        return items[:max_items]

    async def get_page(
        self,
        path_or_url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        on_next: Callable[[str | None], None] | None = None,
    ) -> tuple[list[Any], str | None]:
        """One page of a list, and the URL of the next (None after the last). Given a full
        URL, it must be one of this org's: a `next` link kept to resume a long listing.
        `on_next` hears the next page's URL as soon as the answer's headers name it, before
        the page itself has arrived: a listing can ask for it a body's transfer earlier."""
        if path_or_url.startswith("/"):
            url = self._url(path_or_url, params)
        elif path_or_url.startswith(self.org_url + "/"):
            url = path_or_url
        else:
            raise ValueError("a page URL must belong to the Okta org")
        heard = None
        if on_next is not None:
            tell = on_next

            def heard(headers: CIMultiDictProxy[str]) -> None:
                tell(self._next_link(tuple(headers.getall("Link", []))))

        page = await self._send("GET", url, None, keep_nulls=False, on_headers=heard)
        if not isinstance(page.body, list):
            raise OktaUnavailable(f"Okta answered {_path_of(url)} with something not a list.")
        return page.body, self._next_link(page.links)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        keep_nulls: bool = False,
    ) -> OktaResponse:
        return await self._send(method, self._url(path, params), body, keep_nulls=keep_nulls)

    def url_for(self, path: str, params: Mapping[str, str | int] | None = None) -> str:
        """The org's URL for `path` with `params` (a page URL to keep, to resume from)."""
        return self._url(path, params)

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> str:
        url = URL(self.org_url + path)
        return str(url.update_query(dict(params)) if params else url)

    def _next_link(self, links: tuple[str, ...]) -> str | None:
        for link in links:
            target, _, rel = link.partition(";")
            if 'rel="next"' in rel.replace(" ", ""):
                url = target.strip().strip("<>")
                # Never send the token to another host, whatever a Link header says.
                return url if url.startswith(self.org_url + "/") else None
        return None

    async def _send(
        self,
        method: str,
        url: str,
        body: Any,
        *,
        keep_nulls: bool,
        on_headers: OnHeaders | None = None,
    ) -> OktaResponse:
        prepare = functools.partial(self._api_call, body, keep_nulls=keep_nulls)
        try:
            exchanged = await self._exchange(method, url, prepare, on_headers)
            response = _translate(method, url, *exchanged)
        except (OktaUnavailable, OktaRateLimited):
            self.health = "down"
            raise
        except OktaUnauthorized:
            self.health = "unauthorized"
            self._credentials.forget()  # a revoked token: the next call asks for a new one
            raise
        except OktaError:
            self.health = "ok"  # Okta answered, if only to refuse
            raise
        self.health = "ok"
        return response

    async def _api_call(self, body: Any, *, keep_nulls: bool) -> Outgoing:
        headers = _JSON_HEADERS | {"Authorization": await self._credentials.authorization()}
        # Okta reads an explicit null as "clear this": it is only sent when asked for, and
        # empty values go with it, as the okta SDK sent bodies (keep_empty_params).
        payload = body if keep_nulls else _without_empty(body)
        if not payload:
            return Outgoing(headers)
        return Outgoing(headers | {"Content-Type": "application/json"}, json.dumps(payload))

    async def _post_form(self, url: str, form: Callable[[], Mapping[str, str]]) -> tuple[int, str]:
        """POST a form without credentials (the OAuth token request) with the timeout and retries
        of any call; a 429 or 5xx that outlasts them raises as for any call."""

        async def prepare() -> Outgoing:
            return Outgoing(_JSON_HEADERS, form())

        status, text, headers = await self._exchange("POST", url, prepare)
        if status == 429 or status >= 500:
            raise _refusal("POST", url, status, _json(text), headers)
        return status, text

    async def _exchange(
        self, method: str, url: str, prepare: Prepare, on_headers: OnHeaders | None = None
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        """Send, retrying 429 (after X-Rate-Limit-Reset), 503 and 504 within max_wait; each
        attempt is prepared afresh (an OAuth token may be renewed meanwhile). `on_headers`
        hears a 2xx answer's headers before its body is read."""
        waited = 0.0
        for attempt in OKTA_RETRY.tries():
            status, text, headers = await self._attempt(method, url, await prepare(), on_headers)
            if status in RETRY_STATUSES and not attempt.last:
                pause = _retry_pause(status, headers, attempt.pause)
                if waited + pause <= self._settings.max_wait:
                    waited += pause
                    await asyncio.sleep(pause)
                    continue
            return status, text, headers
        raise AssertionError("unreachable")

    async def _attempt(
        self, method: str, url: str, outgoing: Outgoing, on_headers: OnHeaders | None = None
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        timeout = self._settings.timeout
        bucket = bucket_of(_path_of(url))
        if self._budget is not None:
            await self._budget.take(bucket, background=in_background())
        try:
            async with (
                asyncio.timeout(timeout),
                self._session.request(
                    method, url, headers=outgoing.headers, data=outgoing.data, proxy=self._proxy
                ) as response,
            ):
                if on_headers is not None and 200 <= response.status < 300:
                    on_headers(response.headers)
                # A body that is not even text is still one sentence, not a traceback.
                text = await response.text(errors="replace")
                if self._budget is not None:
                    await _tell(self._budget, bucket, response.headers)
                return response.status, text, response.headers
        except TimeoutError:
            raise OktaUnavailable(
                f"Okta did not answer {method} {_path_of(url)} within {timeout:g} s."
            ) from None
        except aiohttp.ClientError as exc:
            raise OktaUnavailable(
                f"Okta at {self.org_url} is unreachable ({type(exc).__name__})."
            ) from None


async def _tell(budget: RateBudget, bucket: str, headers: CIMultiDictProxy[str]) -> None:
    """Pass Okta's X-Rate-Limit-* headers on to the budget, when the answer has all three."""
    values = [headers.get(f"X-Rate-Limit-{name}", "") for name in ("Limit", "Remaining", "Reset")]
    if all(v.isdigit() for v in values):
        await budget.observe(bucket, int(values[0]), int(values[1]), float(values[2]))


def env_proxy(org_url: str) -> str | None:
    """The proxy the environment names for the org, as the okta SDK used it: HTTPS_PROXY, else
    HTTP_PROXY (Okta is https), unless NO_PROXY exempts the host or it is loopback (the demo,
    tests: no proxy could reach it). Not aiohttp's trust_env: it also reads ~/.netrc."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get("https") or proxies.get("http")
    host = urlsplit(org_url).hostname or ""
    if proxy is None or is_loopback(host) or urllib.request.proxy_bypass(host):
        return None
    return proxy


def _without_empty(value: Any) -> Any:
    """`value` minus "", None, [] and {} at any depth (0 and False stay)."""
    if isinstance(value, dict):
        pairs = ((key, _without_empty(item)) for key, item in value.items())
        return {key: item for key, item in pairs if _present(item)}
    if isinstance(value, list):
        return [item for item in map(_without_empty, value) if _present(item)]
    return value


def _present(value: Any) -> bool:
    return bool(value) or value == 0  # 0 and False are values, not emptiness


def _retry_pause(status: int, headers: CIMultiDictProxy[str], backoff: float) -> float:
    """Seconds to wait before retrying: until X-Rate-Limit-Reset for a 429, else `backoff`."""
    resets = [float(v) for v in headers.getall("X-Rate-Limit-Reset", []) if _is_number(v)]
    if status == 429 and resets:
        server_now = _http_date(headers.get("Date"))
        now = server_now if server_now is not None else time.time()
        # Date has one-second resolution: the extra second keeps us from arriving early.
        return max(0.0, min(resets) - now) + (1.0 if server_now is not None else 0.1)
    return backoff


def _http_date(value: str | None) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


def _translate(
    method: str, url: str, status: int, text: str, headers: CIMultiDictProxy[str]
) -> OktaResponse:
    """A 2xx JSON answer as an OktaResponse; anything else raises its one-sentence error."""
    body = _json(text)
    if 200 <= status < 300 and body is not _NOT_JSON:
        links = tuple(headers.getall("Link", []))
        return OktaResponse(status, body, links, headers.get("X-Okta-Request-Id"))
    raise _refusal(method, url, status, body, headers)


def _refusal(
    method: str, url: str, status: int, body: Any, headers: CIMultiDictProxy[str]
) -> OktaError:
    where = f"{method} {_path_of(url)}"
    error: OktaError
    if body is _NOT_JSON and _declares_json(headers):  # cut off or garbled on the way
        error = OktaUnavailable(f"Okta answered {where} with malformed JSON.")
    elif body is _NOT_JSON and 200 <= status < 300:  # a proxy's or a captive portal's page
        error = OktaMalformed(f"Okta answered {where} with a page that is not JSON.")
    else:
        error = _error_for(method, _path_of(url), status, body)
    error.request_id = headers.get("X-Okta-Request-Id")
    return error


_NOT_JSON: Final = object()


def _json(text: str) -> Any:
    """The JSON in `text`: None for no text, _NOT_JSON when it does not parse."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return _NOT_JSON


def _declares_json(headers: CIMultiDictProxy[str]) -> bool:
    return headers.get("Content-Type", "").partition(";")[0].strip().lower() == "application/json"


def _error_for(method: str, path: str, status: int, body: Any) -> OktaError:
    err = body if isinstance(body, dict) else {}
    code = err.get("errorCode", "")
    summary = str(err.get("errorSummary") or f"HTTP {status}").rstrip(".")
    causes = [c.get("errorSummary", "") for c in err.get("errorCauses") or [] if c]
    said = f"{summary} ({code})" if code else summary
    if causes:
        said += ": " + "; ".join(str(c).rstrip(".") for c in causes)
    where = f"{method} {path}"
    if status == 401:
        return OktaUnauthorized(
            f"Okta rejected the credentials ({said}); check OKTA_API_TOKEN or the service app."
        )
    if status == 403:
        return OktaForbidden(f"Okta refused {where} ({said}): {_missing_permission(method, path)}.")
    if status == 404:
        return OktaNotFound(f"Okta has no {path} ({said}).")
    if status == 429:
        return OktaRateLimited(
            f"Okta's rate limit for {where} did not reset in time; try again in a minute."
        )
    if status >= 500:
        return OktaUnavailable(f"Okta answered {status} to {where} ({said}).")
    return OktaBadRequest(f"Okta rejected {where}: {said}.")


def _missing_permission(method: str, path: str) -> str:
    family = next((scope for prefix, scope in _SCOPE_BY_PREFIX if path.startswith(prefix)), None)
    if family is None:
        return "the token's admin role does not allow it"
    verb = "read" if method == "GET" else "manage"
    role = "Read-Only Administrator" if verb == "read" else "Application Administrator"
    return (
        f"a service app needs scope {family}.{verb}, an API token needs an admin with a role "
        f"such as {role}"
    )


def _path_of(url: str) -> str:
    return URL(url).path


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
