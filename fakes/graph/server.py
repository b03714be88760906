"""FakeGraph: the identity platform's `POST /{tenant}/oauth2/v2.0/token` and Graph's
`GET /v1.0/users`, `GET /v1.0/users/{id | userPrincipalName}`, on one local server (point both
the login URL and the Graph URL at it), in the shapes of Graph's v1.0 CSDL."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from fakes.appkit import AppFault, RecordedRequest, Recorder, RecordingFake, bearer
from fakes.serving import serving

__all__ = ["AppFault", "FakeGraph", "RecordedRequest", "serve_graph"]

TOKEN_LIFETIME: Final = 3599
_DEFAULT_SELECT: Final = (
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
    "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
)  # fmt: skip
"""What Graph returns for a user when $select names nothing."""
_CODES: Final = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Authorization_RequestDenied",
    404: "Request_ResourceNotFound",
    429: "TooManyRequests",
    500: "generalException",
    503: "serviceNotAvailable",
}
_FILTER: Final = re.compile(r"^(?P<key>userPrincipalName|mail) eq '(?P<value>(?:[^']|'')*)'$")


def graph_error(status: int, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": _CODES.get(status, "generalException"),
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


class FakeGraph(RecordingFake):
    def __init__(self, tenant_id: str, client_id: str, client_secret: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.url = ""
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.recorder = Recorder(graph_error)
        self.app = web.Application(middlewares=[self.recorder.middleware])
        self.app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self.app.router.add_get("/v1.0/users", self._list)
        self.app.router.add_get("/v1.0/users/{key}", self._get)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def add_user(
        self,
        upn: str,
        *,
        given_name: str = "Jane",
        surname: str = "Doe",
        department: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        user_id = user_id or str(uuid.uuid4())
        user = {
            "id": user_id,
            "businessPhones": ["+1 425 555 0109"],
            "displayName": f"{given_name} {surname}",
            "givenName": given_name,
            "surname": surname,
            "jobTitle": "Engineer",
            "mail": upn,
            "mobilePhone": None,
            "officeLocation": "18/2111",
            "preferredLanguage": "en-US",
            "userPrincipalName": upn,
            "otherMails": [],
            "department": department,
            "accountEnabled": True,
            "employeeId": None,
        }
        self.users[user_id] = user
        return user

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.match_info["tenant"] != self.tenant_id:
            return _oauth_error(
                400, "invalid_request", 90002, f"Tenant '{request.match_info['tenant']}' not found."
            )
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return _oauth_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != "https://graph.microsoft.com/.default":
            return _oauth_error(
                400, "invalid_scope", 1002012, "The provided value for scope is not valid."
            )
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": token,
            }
        )

    def _refused(self, request: web.Request) -> web.Response | None:
        if bearer(request) in self.tokens:
            return None
        return web.json_response(
            graph_error(401, "Access token validation failure. Invalid audience."), status=401
        )

    async def _get(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        key = request.match_info["key"]
        user = self.users.get(key) or next(
            (u for u in self.users.values() if u["userPrincipalName"].lower() == key.lower()), None
        )
        if user is None:
            return web.json_response(
                graph_error(
                    404,
                    f"Resource '{key}' does not exist or one of its queried "
                    "reference-property objects are not present.",
                ),
                status=404,
            )
        selected = _selected(request)
        body = {"@odata.context": f"{self._metadata(request, selected)}/$entity"} | _only(
            user, selected
        )
        return web.json_response(body)

    async def _list(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        users = list(self.users.values())
        if "$filter" in request.query:
            match = _FILTER.match(request.query["$filter"])
            if match is None:
                return web.json_response(graph_error(400, "Invalid filter clause"), status=400)
            wanted = match["value"].replace("''", "'").lower()
            users = [u for u in users if str(u.get(match["key"]) or "").lower() == wanted]
        try:
            top = min(999, int(request.query.get("$top", "100")))
            skip = int(request.query.get("$skiptoken", "0"))
        except ValueError:
            return web.json_response(graph_error(400, "Invalid $top or $skiptoken"), status=400)
        selected = _selected(request)
        body: dict[str, Any] = {
            "@odata.context": self._metadata(request, selected),
            "value": [_only(u, selected) for u in users[skip : skip + top]],
        }
        if skip + top < len(users):
            # Graph's skiptoken is opaque; this one is an offset no client may rely on.
            following = request.url.update_query({"$skiptoken": str(skip + top)})
            body["@odata.nextLink"] = str(following)
        return web.json_response(body)

    @staticmethod
    def _metadata(request: web.Request, selected: tuple[str, ...] | None) -> str:
        shown = f"({','.join(selected)})" if selected else ""
        return f"{request.url.origin()}/v1.0/$metadata#users{shown}"


def _selected(request: web.Request) -> tuple[str, ...] | None:
    raw = request.query.get("$select")
    return tuple(s.strip() for s in raw.split(",") if s.strip()) if raw else None


def _only(user: dict[str, Any], selected: tuple[str, ...] | None) -> dict[str, Any]:
    names = {n.lower() for n in (selected or _DEFAULT_SELECT)} | {"id"}
    return {k: v for k, v in user.items() if k.lower() in names}


def _oauth_error(status: int, error: str, code: int, text: str) -> web.Response:
    trace = str(uuid.uuid4())
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {uuid.uuid4()}\r\nTimestamp: {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}",
            "error_codes": [code],
            "timestamp": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}",
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
        },
        status=status,
    )


@asynccontextmanager
async def serve_graph(fake: FakeGraph) -> AsyncIterator[FakeGraph]:
    async with serving(fake.app) as url:
        fake.url = url
        yield fake
