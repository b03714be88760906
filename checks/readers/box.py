"""The Box reader: Box's users API with a Platform app's client credentials grant, the app
authorized in the enterprise (box_subject_type=enterprise). Box's Python SDKs are
synchronous or bring their own HTTP stack; the two calls are plain JSON over the session.
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

DEFAULT_URL: Final = "https://api.box.com"
MAX_PAGE: Final = 1000
_IDENTITY: Final = ("id", "type", "login")


@dataclass(frozen=True, slots=True)
class BoxSettings:
    client_id: str
    client_secret: str
    enterprise_id: str
    url: str = DEFAULT_URL
    """Box's API host: /oauth2/token and /2.0/users are under it."""
    timeout: float = 10.0
    max_wait: float = 5.0

    def __repr__(self) -> str:  # never show the secret
        return f"BoxSettings({self.url}, client {self.client_id})"


def _describe(body: Any) -> str:
    """Box's ClientError (`message`, `code`) or an OAuth error (`error_description`, `error`)."""
    if not isinstance(body, dict):
        return ""
    message = str(body.get("message") or body.get("error_description") or "").rstrip(".")
    code = str(body.get("code") or body.get("error") or "")
    return f"{message} ({code})" if message and code else message or code


VENDOR: Final = Vendor(
    name="Box",
    describe=_describe,
    credentials_hint=(
        "check client_id, the secret client_secret_env names and enterprise_id, and that the "
        "app is authorized in the Box Admin Console"
    ),
    permission_hint="the Box app needs the Manage users scope and App + Enterprise access",
)


class BoxReader(HttpReader):
    VENDOR = VENDOR

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app: str,
        settings: BoxSettings,
        *,
        clock: Clock,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(session, app, settings, sleep=sleep)
        self._settings = settings
        self._base = settings.url.rstrip("/")
        self._token = CachedToken(self._issue, clock)

    async def _read(self, user: AppUser, attributes: tuple[str, ...]) -> AppRecord | None:
        fields = _fields(attributes)
        if user.external_id:
            answer = await self._get(
                f"/2.0/users/{quote(user.external_id, safe='')}", {"fields": fields}, True
            )
            if answer is not None:
                return self._record(answer, attributes, "id")
        # Box's login is the user's email address: both lookups search it.
        for found_by, value in (("userName", user.user_name), ("email", user.email)):
            if value:
                found = await self._by_login(value, fields, attributes, found_by)
                if found is not None:
                    return found
        return None

    async def _by_login(
        self, login: str, fields: str, attributes: tuple[str, ...], found_by: str
    ) -> AppRecord | None:
        # filter_term matches the start of a login or a name: the exact login is chosen here.
        body = await self._get(
            "/2.0/users", {"filter_term": login, "fields": fields, "limit": "100"}, False
        )
        matches = [
            entry
            for entry in self._entries(body)
            if str(entry.get("login", "")).lower() == login.lower()
        ]
        return self._record(matches[0], attributes, found_by) if matches else None

    async def list_page(
        self, attributes: Sequence[str], cursor: str | None = None, *, page_size: int = 100
    ) -> Page:
        params = {
            "fields": _fields(tuple(attributes)),
            "limit": str(max(1, min(page_size, MAX_PAGE))),
            "usemarker": "true",
        }
        if cursor:
            params["marker"] = cursor
        body = await self._get("/2.0/users", params, False)
        records = tuple(self._record(e, tuple(attributes), "id") for e in self._entries(body))
        marker = body.get("next_marker")
        return Page(records, marker if isinstance(marker, str) and marker else None)

    async def _get(self, path: str, params: dict[str, str], missing_ok: bool) -> Any:
        url = self._base + path

        async def call(token: str) -> Any:
            answer = await self._http.get(
                url,
                headers={"Authorization": f"Bearer {token}"},
                params=params,
                missing_ok=missing_ok,
            )
            return None if answer is None else answer.body

        return await self._token.use(call)

    def _entries(self, body: Any) -> list[dict[str, Any]]:
        entries = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self._http.malformed("GET /2.0/users with something that is not a list of users")
        return entries

    def _record(self, user: Any, attributes: tuple[str, ...], found_by: str) -> AppRecord:
        if not isinstance(user, dict) or user.get("type") != "user" or not user.get("id"):
            raise self._http.malformed("with something that is not a Box user")
        login = user.get("login") if isinstance(user.get("login"), str) else None
        return AppRecord(
            id=str(user["id"]),
            user_name=login,
            emails=(login,) if login else (),
            attributes={path: read_path(user, path) for path in attributes},
            found_by=found_by,
        )

    async def _issue(self) -> IssuedToken:
        settings = self._settings
        answer = await self._http.send(
            "POST",
            f"{self._base}/oauth2/token",
            headers={},
            form={
                "grant_type": "client_credentials",
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
                "box_subject_type": "enterprise",
                "box_subject_id": settings.enterprise_id,
            },
            token_request=True,
        )
        body = answer.body if answer is not None else None
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not isinstance(expires_in, int | float):
            raise self._http.malformed("POST /oauth2/token without an access token")
        return IssuedToken(token, float(expires_in))


def _fields(attributes: tuple[str, ...]) -> str:
    """Box returns only the fields asked for (and type, id): the top-level name of each."""
    names = list(_IDENTITY)
    for path in attributes:
        name = path.split("[", 1)[0].split(".", 1)[0]
        if name not in names:
            names.append(name)
    return ",".join(names)
