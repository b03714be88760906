"""The Slack reader: the workspace's own record of a user, read with the bot's token
(users:read, and users:read.email to look a user up by address).

Plain HTTP through the readers' shared exchange rather than slack_sdk's client, so that its
timeout, retries, budget and translated refusals are those of every other reader; Slack
refuses inside a 200 (`{"ok": false, "error": …}`), which is translated here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from checks.errors import (
    AppForbidden,
    AppMalformed,
    AppReadFailed,
    AppUnauthorized,
    AppUnavailable,
    UsageError,
)
from checks.readers.base import HttpReader
from checks.readers.http import Sleep, Vendor
from checks.readers.model import AppRecord, AppUser, Page
from checks.readers.scim_paths import read_path

DEFAULT_URL: Final = "https://slack.com/api"
_NOT_FOUND: Final = frozenset({"user_not_found", "users_not_found", "user_not_visible"})
_UNAUTHORIZED: Final = frozenset(
    {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
)


@dataclass(frozen=True, slots=True)
class SlackReaderSettings:
    token: str
    url: str = DEFAULT_URL
    """Slack's Web API base: its methods are {url}/users.info and so on."""
    timeout: float = 10.0
    max_wait: float = 5.0

    def __repr__(self) -> str:  # never show the token
        return f"SlackReaderSettings({self.url})"


def _describe(body: Any) -> str:
    return str(body.get("error") or "") if isinstance(body, dict) else ""


VENDOR: Final = Vendor(
    name="Slack",
    describe=_describe,
    credentials_hint="check the bot token token_env names (xoxb-…)",
    permission_hint="the bot token needs the users:read and users:read.email scopes",
)


class SlackReader(HttpReader):
    VENDOR = VENDOR
    CAN_LIST = False

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app: str,
        settings: SlackReaderSettings,
        *,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(session, app, settings, sleep=sleep)
        self._base = settings.url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {settings.token}"}

    async def _read(self, user: AppUser, attributes: tuple[str, ...]) -> AppRecord | None:
        found: dict[str, Any] | None = None
        found_by = "id"
        if user.external_id:
            found = await self._call("users.info", {"user": user.external_id}, "user")
        # Slack has no lookup by username; Okta's username for Slack is the address.
        addresses = [("userName", user.user_name), ("email", user.email)]
        for how, value in addresses:
            if found is None and value and "@" in value:
                found = await self._call("users.lookupByEmail", {"email": value}, "user")
                found_by = how
        if found is None:
            return None
        if any(path.startswith("profile.fields") for path in attributes):
            # users.info leaves out custom profile fields; users.profile.get has them.
            profile = await self._call("users.profile.get", {"user": found["id"]}, "profile")
            found = found | {"profile": profile or {}}
        return self._record(found, attributes, found_by)

    async def list_page(
        self, attributes: Sequence[str], cursor: str | None = None, *, page_size: int = 100
    ) -> Page:
        raise UsageError("The Slack reader reads one user at a time; a scan cannot list Slack.")

    async def _call(self, method: str, args: dict[str, str], key: str) -> dict[str, Any] | None:
        answer = await self._http.get(f"{self._base}/{method}", headers=self._headers, params=args)
        body = answer.body if answer is not None else None
        if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
            raise self._http.malformed(f"{method} with something that is not a Web API answer")
        if body["ok"]:
            value = body.get(key)
            if not isinstance(value, dict):
                raise self._http.malformed(f"{method} without its {key}")
            return value
        error = str(body.get("error") or "")
        if error in _NOT_FOUND:
            return None
        raise self._refused(method, error, body)

    def _refused(self, method: str, error: str, body: dict[str, Any]) -> AppReadFailed:
        refusal: AppReadFailed
        if error in _UNAUTHORIZED:
            refusal = AppUnauthorized(
                f"Slack rejected the reader's credentials ({error}): {VENDOR.credentials_hint}."
            )
        elif error == "missing_scope":
            needed = body.get("needed") or "users:read"
            refusal = AppForbidden(
                f"Slack refused {method} (missing_scope): the bot token needs {needed}."
            )
        elif error in ("fatal_error", "internal_error", "service_unavailable", "request_timeout"):
            refusal = AppUnavailable(f"Slack answered {method} with {error}.")
        else:
            refusal = AppMalformed(f"Slack refused {method} ({error}).")
        refusal.app = self.app
        return refusal

    def _record(
        self, user: dict[str, Any], attributes: tuple[str, ...], found_by: str
    ) -> AppRecord:
        if not isinstance(user.get("id"), str):
            raise self._http.malformed("with a user that has no id")
        email = read_path(user, "profile.email")
        return AppRecord(
            id=user["id"],
            user_name=email if isinstance(email, str) else None,
            emails=(email,) if isinstance(email, str) else (),
            attributes={path: read_path(user, path) for path in attributes},
            found_by=found_by,
        )
