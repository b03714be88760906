"""The Microsoft 365 reader: Microsoft Graph's users, with an app registration's client
credentials (application permission User.Read.All).

The token comes from a small client here, not MSAL or azure-identity: MSAL is synchronous
(requests) and would need a thread and a second HTTP stack per read; azure-identity's async
credential brings azure-core's own transport rather than the one injected session, and insists
on an https authority, which leaves no seam for a local fake. The grant is one form POST.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from checks.readers.base import HttpReader
from checks.readers.http import Sleep, Vendor
from checks.readers.model import AppRecord, AppUser, Page
from checks.readers.scim_paths import read_path
from checks.readers.tokens import CachedToken, Clock, IssuedToken

DEFAULT_URL: Final = "https://graph.microsoft.com"
DEFAULT_LOGIN_URL: Final = "https://login.microsoftonline.com"
SCOPE: Final = "https://graph.microsoft.com/.default"
"""The application permissions granted to the app (User.Read.All), asked for as a whole."""
MAX_PAGE: Final = 999
_IDENTITY: Final = ("id", "userPrincipalName", "mail", "otherMails")


@dataclass(frozen=True, slots=True)
class GraphSettings:
    tenant_id: str
    client_id: str
    client_secret: str
    url: str = DEFAULT_URL
    login_url: str = DEFAULT_LOGIN_URL
    timeout: float = 10.0
    max_wait: float = 5.0

    def __repr__(self) -> str:  # never show the secret
        return f"GraphSettings(tenant {self.tenant_id}, client {self.client_id})"


def _describe(body: Any) -> str:
    """Graph's `{"error": {"code", "message"}}`, or the identity platform's OAuth error, whose
    description starts with its AADSTS code."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "").rstrip(".")
        code = str(error.get("code") or "")
        return f"{message} ({code})" if message and code else message or code
    description = str(body.get("error_description") or "").split("\r\n", 1)[0].rstrip(".")
    return description or str(error or "")


VENDOR: Final = Vendor(
    name="Microsoft Graph",
    describe=_describe,
    credentials_hint=(
        "check tenant_id, client_id and the client secret client_secret_env names (secrets "
        "expire in Entra ID)"
    ),
    permission_hint=(
        "the app registration needs the User.Read.All application permission, with admin consent"
    ),
)


class GraphReader(HttpReader):
    VENDOR = VENDOR

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app: str,
        settings: GraphSettings,
        *,
        clock: Clock,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(session, app, settings, sleep=sleep)
        self._settings = settings
        self._base = settings.url.rstrip("/") + "/v1.0"
        self._token = CachedToken(self._issue, clock)

    async def _read(self, user: AppUser, attributes: tuple[str, ...]) -> AppRecord | None:
        select = {"$select": _select(attributes)}
        if user.external_id:
            body = await self._get(
                f"{self._base}/users/{quote(user.external_id, safe='')}", select, True
            )
            if body is not None:
                return self._record(body, attributes, "id")
        for key, found_by, value in (
            ("userPrincipalName", "userName", user.user_name),
            ("mail", "email", user.email),
        ):
            if value:
                # OData string literals double their quotes (OData ABNF, SQUOTE-in-string).
                literal = value.replace("'", "''")
                body = await self._get(
                    f"{self._base}/users", {**select, "$filter": f"{key} eq '{literal}'"}, False
                )
                found = self._values(body)
                if found:
                    return self._record(found[0], attributes, found_by)
        return None

    async def list_page(
        self, attributes: Sequence[str], cursor: str | None = None, *, page_size: int = 100
    ) -> Page:
        if cursor is not None:
            if not cursor.startswith(self._base + "/"):
                raise ValueError("a page cursor must be one of this reader's nextLinks")
            body = await self._get(cursor, None, False)
        else:
            params = {"$select": _select(tuple(attributes)), "$top": str(min(page_size, MAX_PAGE))}
            body = await self._get(f"{self._base}/users", params, False)
        records = tuple(self._record(u, tuple(attributes), "id") for u in self._values(body))
        link = body.get("@odata.nextLink") if isinstance(body, dict) else None
        # Never send the token to another host, whatever a nextLink says.
        follow = isinstance(link, str) and link.startswith(self._base + "/")
        return Page(records, link if follow else None)

    async def _get(self, url: str, params: dict[str, str] | None, missing_ok: bool) -> Any:

        async def call(token: str) -> Any:
            answer = await self._http.get(
                url,
                headers={"Authorization": f"Bearer {token}"},
                params=params,
                missing_ok=missing_ok,
            )
            return None if answer is None else answer.body

        return await self._token.use(call)

    def _values(self, body: Any) -> list[dict[str, Any]]:
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise self._http.malformed("GET /v1.0/users with something that is not a collection")
        return values

    def _record(self, user: Any, attributes: tuple[str, ...], found_by: str) -> AppRecord:
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise self._http.malformed("with a user that has no id")
        upn = user.get("userPrincipalName")
        emails = [user.get("mail"), *(user.get("otherMails") or [])]
        return AppRecord(
            id=user["id"],
            user_name=upn if isinstance(upn, str) else None,
            emails=tuple(e for e in emails if isinstance(e, str)),
            attributes={path: read_path(user, path) for path in attributes},
            found_by=found_by,
        )

    async def _issue(self) -> IssuedToken:
        settings = self._settings
        url = (
            f"{settings.login_url.rstrip('/')}/{quote(settings.tenant_id, safe='')}"
            "/oauth2/v2.0/token"
        )
        answer = await self._http.send(
            "POST",
            url,
            headers={},
            form={
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
                "scope": SCOPE,
                "grant_type": "client_credentials",
            },
            token_request=True,
        )
        body = answer.body if answer is not None else None
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not isinstance(expires_in, int | float):
            raise self._http.malformed("the token request without an access token")
        return IssuedToken(token, float(expires_in))


def _select(attributes: tuple[str, ...]) -> str:
    names = list(_IDENTITY)
    for path in attributes:
        name = path.split("[", 1)[0].split(".", 1)[0]
        if name not in names:
            names.append(name)
    return ",".join(names)
