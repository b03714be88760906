"""The Google Workspace reader: the Admin SDK Directory API, as a service account acting for an
admin through domain-wide delegation (scope admin.directory.user.readonly).

The token is a JWT grant signed here with PyJWT (already a dependency, for Okta's service
apps), not google-auth: google-auth refreshes through a synchronous transport (its aiohttp
one is private and experimental) and would add requests and cachetools for one form POST.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from checks.errors import UsageError
from checks.readers.base import HttpReader
from checks.readers.http import Sleep, Vendor
from checks.readers.model import AppRecord, AppUser, Page
from checks.readers.scim_paths import read_path
from checks.readers.tokens import CachedToken, Clock, IssuedToken

DEFAULT_URL: Final = "https://admin.googleapis.com"
DEFAULT_TOKEN_URL: Final = "https://oauth2.googleapis.com/token"
SCOPE: Final = "https://www.googleapis.com/auth/admin.directory.user.readonly"
JWT_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME: Final = 3600
"""Google accepts an assertion valid for at most an hour."""
MAX_PAGE: Final = 500


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    client_email: str
    """The service account's address (…@….iam.gserviceaccount.com)."""
    private_key: str
    """The service account key's PEM private key."""
    subject: str
    """The admin the service account acts for (domain-wide delegation's `sub`)."""
    customer: str = "my_customer"
    url: str = DEFAULT_URL
    token_url: str = DEFAULT_TOKEN_URL
    timeout: float = 10.0
    max_wait: float = 5.0

    def __repr__(self) -> str:  # never show the key
        return f"GoogleSettings({self.client_email})"

    def __post_init__(self) -> None:
        if not self.private_key.startswith("-----BEGIN"):
            raise UsageError("A Google reader's private key must be the PEM block of its JSON key.")


def _describe(body: Any) -> str:
    """Google's `{"error": {"code", "message", "errors": [{"reason"}]}}`, or the OAuth error of
    the token endpoint (`error`, `error_description`)."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "").rstrip(".")
        reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
        reason = next((str(r) for r in reasons if r), "")
        return f"{message} ({reason})" if message and reason else message or reason
    description = str(body.get("error_description") or "").rstrip(".")
    return f"{description} ({error})" if description and error else description or str(error or "")


VENDOR: Final = Vendor(
    name="Google's Directory API",
    describe=_describe,
    credentials_hint=(
        "check client_email, the key private_key_env names, and that the service account's "
        "client ID has domain-wide delegation of admin.directory.user.readonly in the Admin "
        "console"
    ),
    permission_hint=(
        "the subject must be an admin allowed to read users, and the delegation must grant "
        "admin.directory.user.readonly"
    ),
)


class GoogleReader(HttpReader):
    VENDOR = VENDOR

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app: str,
        settings: GoogleSettings,
        *,
        clock: Clock,
        wall: Callable[[], float] = time.time,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(session, app, settings, sleep=sleep)
        self._settings = settings
        self._base = settings.url.rstrip("/") + "/admin/directory/v1"
        self._wall = wall  # the assertion's iat and exp are wall-clock times
        self._token = CachedToken(self._issue, clock)

    async def _read(self, user: AppUser, attributes: tuple[str, ...]) -> AppRecord | None:
        # users.get takes the unique id, the primary address or an alias as its userKey.
        for found_by, key in (
            ("id", user.external_id),
            ("userName", user.user_name),
            ("email", user.email),
        ):
            if key:
                body = await self._get(
                    f"{self._base}/users/{quote(key, safe='@')}", _PROJECTION, True
                )
                if body is not None:
                    return self._record(body, attributes, found_by)
        return None

    async def list_page(
        self, attributes: Sequence[str], cursor: str | None = None, *, page_size: int = 100
    ) -> Page:
        params = {
            **_PROJECTION,
            "customer": self._settings.customer,
            "maxResults": str(max(1, min(page_size, MAX_PAGE))),
        }
        if cursor:
            params["pageToken"] = cursor
        body = await self._get(f"{self._base}/users", params, False)
        users = body.get("users", []) if isinstance(body, dict) else None
        if not isinstance(users, list):
            raise self._http.malformed("users.list with something that is not a list of users")
        records = tuple(self._record(u, tuple(attributes), "id") for u in users)
        token = body.get("nextPageToken")
        return Page(records, token if isinstance(token, str) and token else None)

    async def _get(self, url: str, params: dict[str, str], missing_ok: bool) -> Any:

        async def call(token: str) -> Any:
            answer = await self._http.get(
                url,
                headers={"Authorization": f"Bearer {token}"},
                params=params,
                missing_ok=missing_ok,
            )
            return None if answer is None else answer.body

        return await self._token.use(call)

    def _record(self, user: Any, attributes: tuple[str, ...], found_by: str) -> AppRecord:
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise self._http.malformed("with a user that has no id")
        primary = user.get("primaryEmail")
        addresses = read_path(user, "emails.address")
        listed = addresses if isinstance(addresses, tuple) else (addresses,)
        emails = dict.fromkeys(e for e in (primary, *listed) if isinstance(e, str))
        return AppRecord(
            id=user["id"],
            user_name=primary if isinstance(primary, str) else None,
            emails=tuple(emails),
            attributes={path: read_path(user, path) for path in attributes},
            found_by=found_by,
        )

    async def _issue(self) -> IssuedToken:
        import jwt  # PyJWT and cryptography cost start-up time: only once a token is due

        settings = self._settings
        now = int(self._wall())
        claims = {
            "iss": settings.client_email,
            "sub": settings.subject,
            "scope": SCOPE,
            "aud": settings.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        try:
            assertion = jwt.encode(claims, settings.private_key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise UsageError(
                f"The private key of {self.app!r}'s Google reader is not an RSA key in PEM."
            ) from None
        answer = await self._http.send(
            "POST",
            settings.token_url,
            headers={},
            form={"grant_type": JWT_GRANT, "assertion": assertion},
            token_request=True,
        )
        body = answer.body if answer is not None else None
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not isinstance(expires_in, int | float):
            raise self._http.malformed("the token request without an access token")
        return IssuedToken(token, float(expires_in))


_PROJECTION: Final = {"projection": "full", "viewType": "admin_view"}
"""Custom schemas' fields come only with the full projection, and admin-only ones with the
admin view."""
