"""FakeBox: `POST /oauth2/token` (client credentials, enterprise subject) and `GET /2.0/users`,
`GET /2.0/users/{id}` in the shapes of Box's OpenAPI description.

    async with serve_box(FakeBox("cid", "secret", "1234")) as box:
        box.add_user("jdoe@example.com", "Jane Smith")
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from aiohttp import web

from fakes.appkit import AppFault, RecordedRequest, Recorder, RecordingFake, bearer
from fakes.serving import serving

__all__ = ["AppFault", "FakeBox", "RecordedRequest", "serve_box"]

TOKEN_LIFETIME: Final = 3600
DEFAULT_LIMIT: Final = 100
_STANDARD: Final = (
    "type", "id", "name", "login", "created_at", "modified_at", "language", "timezone",
    "space_amount", "space_used", "max_upload_size", "status", "job_title", "phone",
    "address", "avatar_url",
)  # fmt: skip
"""The fields Box answers with when none are asked for (its User, not User--Full)."""
_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    429: "too_many_requests",
    500: "internal_server_error",
    503: "unavailable",
}


def box_error(status: int, message: str) -> dict[str, Any]:
    """Box's ClientError."""
    return {
        "type": "error",
        "status": status,
        "code": _CODES.get(status, "bad_request"),
        "message": message,
        "help_url": "https://developer.box.com/guides/api-calls/permissions-and-errors/common-errors/",
        "request_id": secrets.token_hex(6),
    }


class FakeBox(RecordingFake):
    def __init__(self, client_id: str, client_secret: str, enterprise_id: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.enterprise_id = enterprise_id
        self.url = ""
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.recorder = Recorder(box_error)
        self.app = web.Application(middlewares=[self.recorder.middleware])
        self.app.router.add_post("/oauth2/token", self._token)
        self.app.router.add_get("/2.0/users", self._list)
        self.app.router.add_get("/2.0/users/{id}", self._get)
        self._next_id = 11446498

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def add_user(
        self, login: str, name: str, *, job_title: str = "", user_id: str | None = None
    ) -> dict[str, Any]:
        user_id = user_id or str(self._next_id)
        self._next_id += 1
        user = {
            "type": "user",
            "id": user_id,
            "name": name,
            "login": login,
            "created_at": "2026-01-05T09:00:00-08:00",
            "modified_at": "2026-01-05T09:00:00-08:00",
            "language": "en",
            "timezone": "America/Los_Angeles",
            "space_amount": 11345156112,
            "space_used": 1237009912,
            "max_upload_size": 2147483648,
            "status": "active",
            "job_title": job_title,
            "phone": "6509241374",
            "address": "900 Jefferson Ave, Redwood City, CA 94063",
            "avatar_url": f"https://www.box.com/api/avatar/large/{user_id}",
            "role": "user",
            "tracking_codes": [],
            "enterprise": {"type": "enterprise", "id": self.enterprise_id, "name": "Acme"},
        }
        self.users[user_id] = user
        return user

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "Grant type is not supported")
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _oauth_error("invalid_client", "The client credentials are invalid")
        if (form.get("box_subject_type"), form.get("box_subject_id")) != (
            "enterprise",
            self.enterprise_id,
        ):
            return _oauth_error("invalid_grant", "Grant credentials are invalid")
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response(
            {
                "access_token": token,
                "expires_in": TOKEN_LIFETIME,
                "token_type": "bearer",
                "restricted_to": [],
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            }
        )

    def _refused(self, request: web.Request) -> web.Response | None:
        if bearer(request) in self.tokens:
            return None
        # Box answers a bad access token with an empty 401 that says why in WWW-Authenticate.
        return web.Response(
            status=401,
            headers={
                "WWW-Authenticate": 'Bearer realm="Service", error="invalid_token", '
                'error_description="The access token provided is invalid."'
            },
        )

    async def _get(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        user = self.users.get(request.match_info["id"])
        if user is None:
            return web.json_response(box_error(404, "Not Found"), status=404)
        return web.json_response(_fields(user, request.query.get("fields")))

    async def _list(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        term = request.query.get("filter_term", "").lower()
        users = [
            u for u in self.users.values()
            if u["login"].lower().startswith(term) or u["name"].lower().startswith(term)
        ]  # fmt: skip
        try:
            limit = min(1000, int(request.query.get("limit", str(DEFAULT_LIMIT))))
            start = int(request.query.get("marker") or request.query.get("offset") or "0")
        except ValueError:
            return web.json_response(box_error(400, "Bad Request"), status=400)
        fields = request.query.get("fields")
        page = [_fields(u, fields) for u in users[start : start + limit]]
        if request.query.get("usemarker") == "true":
            after = start + limit
            # A real marker is opaque; this one is the offset, which no client may rely on.
            marker = str(after) if after < len(users) else None
            return web.json_response({"limit": limit, "next_marker": marker, "entries": page})
        return web.json_response(
            {
                "total_count": len(users),
                "limit": limit,
                "offset": start,
                "order": [{"by": "login", "direction": "ASC"}],
                "entries": page,
            }
        )


def _fields(user: dict[str, Any], fields: str | None) -> dict[str, Any]:
    names = [f.strip() for f in fields.split(",")] if fields else list(_STANDARD)
    return {k: v for k, v in user.items() if k in ("type", "id") or k in names}


def _oauth_error(error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=400)


@asynccontextmanager
async def serve_box(fake: FakeBox) -> AsyncIterator[FakeBox]:
    async with serving(fake.app) as url:
        fake.url = url
        yield fake
