"""The one adapter over the okta SDK: auth, timeouts, rate limits, paging, errors -> exceptions.

The SDK signs requests (SSWS, or OAuth 2.0 private-key JWT) and sends them on our shared aiohttp
session; we read raw JSON through its request executor because its models drop or reject real
Okta data, and we do retries ourselves because the SDK's own crash when Okta omits a header.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any
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

READ_SCOPES = (
    "okta.users.read",
    "okta.apps.read",
    "okta.profileMappings.read",
    "okta.schemas.read",
    "okta.logs.read",
)
RETRY_STATUSES = frozenset({429, 503, 504})
MAX_RETRIES = 2

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


class OktaClient:
    """Raw-JSON access to one Okta org; open with `async with OktaClient.open(settings)`."""

    def __init__(self, executor: Any, settings: OktaSettings) -> None:
        self._executor = executor
        self._settings = settings
        self.org_url = settings.org_url.rstrip("/")
        self.health = "unknown"
        """How Okta answered last: unknown (not asked yet), ok, unauthorized or down."""

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: OktaSettings) -> AsyncIterator[OktaClient]:
        from okta.client import Client  # the SDK costs seconds to import: only when needed

        config: dict[str, Any] = {
            "orgUrl": settings.org_url.rstrip("/"),
            "requestTimeout": settings.timeout,
            "rateLimit": {"maxRetries": 0},
            "cache": {"enabled": False},
        }
        if settings.token:
            config |= {"authorizationMode": "SSWS", "token": settings.token}
        else:
            config |= {
                "authorizationMode": "PrivateKey",
                "clientId": settings.client_id,
                "scopes": list(settings.scopes),
                "privateKey": settings.private_key,
            }
        try:
            with _https_check_relaxed(settings.org_url):
                client = Client(config)
        except ValueError as exc:
            raise UsageError(f"The Okta settings were refused: {_first_line(exc)}") from None
        async with aiohttp.ClientSession() as session:
            executor = client.get_request_executor()  # type: ignore[no-untyped-call]
            executor.set_session(session)
            yield cls(executor, settings)

    async def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return (await self.request("GET", path, params=params)).body

    async def get_all(
        self, path: str, params: Mapping[str, str | int] | None = None, *, max_items: int = 2000
    ) -> list[Any]:
        """GET every page of a list, following Okta's `Link: rel="next"` headers."""
        items: list[Any] = []
        url: str | None = self._url(path, params)
        while url and len(items) < max_items:
            page = await self._send("GET", url, None, keep_nulls=False)
            if not isinstance(page.body, list):
                raise OktaUnavailable(f"Okta answered {_path_of(url)} with something not a list.")
            items.extend(page.body)
            url = self._next_link(page.links)
        return items[:max_items]

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

    async def _send(self, method: str, url: str, body: Any, *, keep_nulls: bool) -> OktaResponse:
        try:
            response = await self._send_with_retries(method, url, body, keep_nulls=keep_nulls)
        except (OktaUnavailable, OktaRateLimited):
            self.health = "down"
            raise
        except OktaUnauthorized:
            self.health = "unauthorized"
            raise
        except OktaError:
            self.health = "ok"  # Okta answered, if only to refuse
            raise
        self.health = "ok"
        return response

    async def _send_with_retries(
        self, method: str, url: str, body: Any, *, keep_nulls: bool
    ) -> OktaResponse:
        waited = 0.0
        for attempt in range(MAX_RETRIES + 1):
            request, err = await self._executor.create_request(
                method, url, body, {"Accept": "application/json"}, keep_empty_params=keep_nulls
            )
            if err is not None:
                raise OktaUnauthorized(
                    "Okta did not issue an access token to the service app "
                    f"{self._settings.client_id}: check OKTA_CLIENT_ID, the private key and "
                    "that the app is granted the scopes."
                )
            status, text, headers = await self._attempt(method, url, request)
            if status in RETRY_STATUSES and attempt < MAX_RETRIES:
                pause = _retry_pause(status, headers, attempt)
                if waited + pause <= self._settings.max_wait:
                    waited += pause
                    await asyncio.sleep(pause)
                    continue
            return _translate(method, url, status, text, headers)
        raise AssertionError("unreachable")

    async def _attempt(
        self, method: str, url: str, request: Any
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        timeout = self._settings.timeout
        slow = OktaUnavailable(
            f"Okta did not answer {method} {_path_of(url)} within {timeout:g} s."
        )
        try:
            async with asyncio.timeout(timeout):
                response, text, err = await self._executor.execute(request)
        except TimeoutError:
            raise slow from None
        except ValueError:  # the SDK json-decodes error bodies itself
            raise OktaUnavailable(
                f"Okta answered {method} {_path_of(url)} with malformed JSON."
            ) from None
        if response is None:  # the SDK returns transport failures, including its own timeout
            if isinstance(err, asyncio.TimeoutError):
                raise slow
            raise OktaUnavailable(f"Okta at {self.org_url} is unreachable ({type(err).__name__}).")
        return response.status, text or "", response.headers


def _retry_pause(status: int, headers: CIMultiDictProxy[str], attempt: int) -> float:
    """Seconds to wait before retrying: until X-Rate-Limit-Reset for a 429, else back off."""
    resets = [float(v) for v in headers.getall("X-Rate-Limit-Reset", []) if _is_number(v)]
    if status == 429 and resets:
        server_now = _http_date(headers.get("Date"))
        now = server_now if server_now is not None else time.time()
        # Date has one-second resolution: the extra second keeps us from arriving early.
        return max(0.0, min(resets) - now) + (1.0 if server_now is not None else 0.1)
    return 0.5 * 2.0**attempt


def _http_date(value: str | None) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


def _translate(
    method: str, url: str, status: int, text: str, headers: CIMultiDictProxy[str]
) -> OktaResponse:
    request_id = headers.get("X-Okta-Request-Id")
    if 200 <= status < 300:
        try:
            body = json.loads(text) if text else None
        except ValueError:  # a proxy's or a captive portal's page, not Okta's JSON
            raise OktaMalformed(
                f"Okta answered {method} {_path_of(url)} with a page that is not JSON."
            ) from None
        return OktaResponse(status, body, tuple(headers.getall("Link", [])), request_id)
    error = _error_for(method, _path_of(url), status, _json(text))
    error.request_id = request_id
    raise error


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


def _json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _path_of(url: str) -> str:
    return URL(url).path


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def _https_check_relaxed(org_url: str) -> Iterator[None]:
    """Let the SDK accept http:// for a loopback org (the demo, tests) and nowhere else.

    The SDK only reads this switch from the environment, and only while constructing a Client.
    """
    name = "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"
    if not (org_url.startswith("http://") and is_loopback(urlsplit(org_url).hostname)):
        yield
        return
    previous = os.environ.get(name)
    os.environ[name] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous
