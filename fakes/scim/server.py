"""FakeScim: the /Users endpoints of a SCIM 2.0 service provider, over a dict of resources.

async with serve_scim(FakeScim(token="t")) as scim:
    user = scim.add_user("jdoe@example.com", family_name="Smith")
    ...  # point a reader at scim.url
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

from aiohttp import web

from fakes.appkit import AppFault, RecordedRequest, Recorder, RecordingFake, bearer
from fakes.serving import serving

__all__ = ["AppFault", "FakeScim", "RecordedRequest", "serve_scim"]

CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR: Final = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON: Final = "application/scim+json"
DEFAULT_COUNT: Final = 100
_EQ: Final = re.compile(r'^\s*(?P<attr>[\w.]+)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I)


def scim_error(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    """RFC 7644 §3.12: `status` is the HTTP status as a string."""
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


class FakeScim(RecordingFake):
    """`users` holds each resource as served; `requests`, `faults` and `latency` come from the
    recorder (fakes.appkit)."""

    def __init__(self, token: str = "scim-token") -> None:
        self.token = token
        self.url = ""
        self.users: dict[str, dict[str, Any]] = {}
        self.recorder = Recorder(lambda status, detail: scim_error(status, detail), SCIM_JSON)
        self.app = web.Application(middlewares=[self.recorder.middleware, self._auth])
        self.app.router.add_get("/Users", self._list)
        self.app.router.add_get("/Users/{id}", self._get)

    def add_user(
        self,
        user_name: str,
        *,
        given_name: str = "Jane",
        family_name: str = "Doe",
        work_email: str | None = None,
        department: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        user_id = user_id or str(uuid.uuid4())
        resource: dict[str, Any] = {
            "schemas": [CORE_USER],
            "id": user_id,
            "userName": user_name,
            "name": {"givenName": given_name, "familyName": family_name},
            "displayName": f"{given_name} {family_name}",
            "active": True,
            "emails": [{"value": work_email or user_name, "type": "work", "primary": True}],
            "meta": {
                "resourceType": "User",
                "created": "2026-01-05T09:00:00Z",
                "lastModified": "2026-01-05T09:00:00Z",
                "location": f"/Users/{user_id}",
                "version": 'W/"1"',
            },
        }
        if department is not None:
            resource["schemas"].append(ENTERPRISE_USER)
            resource[ENTERPRISE_USER] = {"department": department}
        self.users[user_id] = resource
        return resource

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if bearer(request) != self.token:
            return self.recorder.error(
                401, "Authorization failure. The authorization header is invalid or missing."
            )
        response: web.StreamResponse = await handler(request)
        return response

    async def _get(self, request: web.Request) -> web.Response:
        resource = self.users.get(request.match_info["id"])
        if resource is None:
            return self.recorder.error(404, f"Resource {request.match_info['id']} not found")
        return self._json(self._located(request, _only(resource, request.query.get("attributes"))))

    async def _list(self, request: web.Request) -> web.Response:
        matching = list(self.users.values())
        if "filter" in request.query:
            match = _EQ.match(request.query["filter"])
            if match is None or match["attr"].lower() not in ("username", "emails.value", "emails"):
                return self._bad_request("The specified filter syntax was invalid", "invalidFilter")
            wanted = re.sub(r"\\(.)", r"\1", match["value"]).lower()
            matching = [r for r in matching if wanted in _filterable(r, match["attr"].lower())]
        try:
            start = max(1, int(request.query.get("startIndex", "1")))
            count = max(0, int(request.query.get("count", str(DEFAULT_COUNT))))
        except ValueError:
            return self._bad_request("startIndex and count must be integers", "invalidValue")
        page = matching[start - 1 : start - 1 + count]
        attributes = request.query.get("attributes")
        return self._json(
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": len(matching),
                "startIndex": start,
                "itemsPerPage": len(page),
                "Resources": [self._located(request, _only(r, attributes)) for r in page],
            }
        )

    def _bad_request(self, detail: str, scim_type: str) -> web.Response:
        return web.json_response(
            scim_error(400, detail, scim_type), status=400, content_type=SCIM_JSON
        )

    def _located(self, request: web.Request, resource: dict[str, Any]) -> dict[str, Any]:
        meta = dict(resource["meta"])
        meta["location"] = f"{request.url.origin()}{meta['location']}"
        return resource | {"meta": meta}

    @staticmethod
    def _json(body: Mapping[str, Any]) -> web.Response:
        return web.json_response(dict(body), content_type=SCIM_JSON)


def _filterable(resource: dict[str, Any], attr: str) -> set[str]:
    if attr == "username":
        return {str(resource["userName"]).lower()}
    return {str(e.get("value", "")).lower() for e in resource.get("emails", [])}


def _only(resource: dict[str, Any], attributes: str | None) -> dict[str, Any]:
    """RFC 7644 §3.4.2.5: only the named attributes, and those always returned (id, schemas,
    meta)."""
    if not attributes:
        return resource
    names = [a.strip() for a in attributes.split(",") if a.strip()]
    keep = {"id", "schemas", "meta"} | {n.split(".", 1)[0].lower() for n in names}
    kept = {k: v for k, v in resource.items() if k.lower() in keep}
    extension = resource.get(ENTERPRISE_USER)
    wanted = {n.rpartition(":")[2].lower() for n in names if n.startswith(ENTERPRISE_USER + ":")}
    if isinstance(extension, dict) and wanted:
        kept[ENTERPRISE_USER] = {k: v for k, v in extension.items() if k.lower() in wanted}
    return kept


@asynccontextmanager
async def serve_scim(fake: FakeScim) -> AsyncIterator[FakeScim]:
    async with serving(fake.app) as url:
        fake.url = url
        yield fake
