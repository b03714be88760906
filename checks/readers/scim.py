"""The generic SCIM 2.0 reader (RFC 7643/7644): the app's own SCIM server, with a bearer token.

Values are read from the resource's JSON, not through scim2-models: it keeps only the
extension schemas it was told of and refuses the small deviations real servers have, while a
reader must report what the app holds. (The fake SCIM server is held to scim2-models.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from checks.readers.base import HttpReader
from checks.readers.http import Sleep, Vendor
from checks.readers.model import AppRecord, AppUser, Page
from checks.readers.scim_paths import read_path

LIST_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_PAGE: Final = 1000


@dataclass(frozen=True, slots=True)
class ScimSettings:
    url: str
    """The SCIM base URL, e.g. https://scim.example.com/scim/v2 (its /Users is read)."""
    token: str
    timeout: float = 10.0
    """Seconds one HTTP attempt may take."""
    max_wait: float = 5.0
    """Seconds a read may spend waiting out 429s and 503s before it gives up."""

    def __repr__(self) -> str:  # never show the token
        return f"ScimSettings({self.url})"


def _describe(body: Any) -> str:
    """SCIM's error schema: `detail` and the `scimType` keyword (RFC 7644 §3.12)."""
    if not isinstance(body, dict):
        return ""
    detail = str(body.get("detail") or "").strip().rstrip(".")
    kind = str(body.get("scimType") or "")
    return f"{detail} ({kind})" if detail and kind else detail or kind


VENDOR: Final = Vendor(
    name="The SCIM server",
    describe=_describe,
    credentials_hint="check the bearer token the reader's token_env names",
    permission_hint="the token must be allowed to read /Users",
)


class ScimReader(HttpReader):
    VENDOR = VENDOR

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app: str,
        settings: ScimSettings,
        *,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(session, app, settings, sleep=sleep)
        self._settings = settings
        self._base = settings.url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {settings.token}",
            "Accept": "application/scim+json, application/json",
        }

    def __repr__(self) -> str:
        return f"ScimReader({self.app!r}, {self._base})"

    async def _read(self, user: AppUser, attributes: tuple[str, ...]) -> AppRecord | None:
        params = _attributes_param(attributes)
        if user.external_id:
            answer = await self._http.get(
                f"{self._base}/Users/{_segment(user.external_id)}",
                headers=self._headers,
                params=params,
                missing_ok=True,
            )
            if answer is not None:
                return self._record(answer.body, attributes, "id")
        for key, found_by, value in (
            ("userName", "userName", user.user_name),
            ("emails.value", "email", user.email),
        ):
            if value:
                found = await self._search(f'{key} eq "{_quoted(value)}"', attributes, params)
                if found is not None:
                    return AppRecord(
                        found.id, found.user_name, found.emails, found.attributes, found_by
                    )
        return None

    async def _search(
        self, scim_filter: str, attributes: tuple[str, ...], params: Mapping[str, str]
    ) -> AppRecord | None:
        page = await self._list({**params, "filter": scim_filter, "count": "2"}, attributes)
        if len(page.records) > 1:
            # userName is unique in SCIM (RFC 7643 §4.1.1); two answers mean the filter was
            # not applied, and the first would be somebody's record at random.
            raise self._http.malformed(f"a filter on {scim_filter.split()[0]} with several users")
        return page.records[0] if page.records else None

    async def list_page(
        self, attributes: Sequence[str], cursor: str | None = None, *, page_size: int = 100
    ) -> Page:
        start = int(cursor) if cursor and cursor.isdigit() else 1
        count = max(1, min(page_size, MAX_PAGE))
        params = {
            **_attributes_param(tuple(attributes)),
            "startIndex": str(start),
            "count": str(count),
        }
        return await self._list(params, tuple(attributes))

    async def _list(self, params: Mapping[str, str], attributes: tuple[str, ...]) -> Page:
        answer = await self._http.get(f"{self._base}/Users", headers=self._headers, params=params)
        assert answer is not None  # missing_ok is off: a 404 raised
        body = answer.body
        if not isinstance(body, dict) or LIST_RESPONSE not in (body.get("schemas") or ()):
            raise self._http.malformed("GET /Users with something that is not a ListResponse")
        resources = body.get("Resources", [])
        total = body.get("totalResults")
        if not isinstance(resources, list) or not isinstance(total, int):
            raise self._http.malformed("GET /Users with a ListResponse missing its totalResults")
        records = tuple(self._record(r, attributes, "id") for r in resources)
        start = body.get("startIndex") if isinstance(body.get("startIndex"), int) else None
        first = start if start is not None else int(params.get("startIndex", "1"))
        after = first + len(records)
        return Page(records, str(after) if records and after <= total else None)

    def _record(self, resource: Any, attributes: tuple[str, ...], found_by: str) -> AppRecord:
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), str):
            raise self._http.malformed("with a User resource that has no id")
        emails = read_path(resource, "emails.value")
        listed = emails if isinstance(emails, tuple) else (emails,)
        user_name = resource.get("userName")
        values = {path: read_path(resource, path) for path in attributes}
        return AppRecord(
            id=resource["id"],
            user_name=user_name if isinstance(user_name, str) else None,
            emails=tuple(e for e in listed if isinstance(e, str)),
            attributes=values,
            found_by=found_by,
        )


def _attributes_param(attributes: tuple[str, ...]) -> dict[str, str]:
    """SCIM's `attributes` (RFC 7644 §3.4.2.5) names whole attributes: a value filter's
    attribute must come back too for the filter to be applied here."""
    if not attributes:
        return {}
    wanted = ["userName", "emails"]
    for path in attributes:
        if path.lower().startswith("urn:"):
            name = path.split("[", 1)[0]
        else:
            name = path.split("[", 1)[0].split(".", 1)[0]
        if name not in wanted:
            wanted.append(name)
    return {"attributes": ",".join(wanted)}


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _segment(value: str) -> str:
    return quote(value, safe="")
