"""FakeGoogle: `POST /token` (the JWT bearer grant of a service account, domain-wide delegation
by `sub`) and `GET /admin/directory/v1/users`, `GET /admin/directory/v1/users/{userKey}`, in
the shapes of the Directory API's discovery document. Point a reader's url and token_url
(`{url}/token`) at it."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import jwt
from aiohttp import web

from fakes.appkit import AppFault, RecordedRequest, Recorder, RecordingFake, bearer
from fakes.serving import serving

__all__ = ["AppFault", "FakeGoogle", "RecordedRequest", "serve_google"]

SCOPE: Final = "https://www.googleapis.com/auth/admin.directory.user.readonly"
TOKEN_LIFETIME: Final = 3599
_REASONS: Final = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}
_STATUSES: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(status: int, message: str) -> dict[str, Any]:
    """Google's JSON error response (its v1 error format, which the Directory API answers)."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [
                {
                    "message": message,
                    "domain": "global",
                    "reason": _REASONS.get(status, "backendError"),
                }
            ],
            "status": _STATUSES.get(status, "UNKNOWN"),
        }
    }


@dataclass(frozen=True, slots=True)
class _Grant:
    subject: str | None


class FakeGoogle(RecordingFake):
    def __init__(self, client_email: str, public_key: str, *, delegated: set[str]) -> None:
        """`public_key` verifies the service account's assertions; `delegated` holds the admins
        its domain-wide delegation may act for."""
        self.client_email = client_email
        self.public_key = public_key
        self.delegated = delegated
        self.url = ""
        self.users: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, _Grant] = {}
        self.recorder = Recorder(google_error)
        self.app = web.Application(middlewares=[self.recorder.middleware])
        self.app.router.add_post("/token", self._token)
        self.app.router.add_get("/admin/directory/v1/users", self._list)
        self.app.router.add_get("/admin/directory/v1/users/{key}", self._get)
        self._next_id = 100000000000000000001

    def revoke_tokens(self) -> None:
        self.grants.clear()

    def add_user(
        self,
        primary_email: str,
        *,
        given_name: str = "Jane",
        family_name: str = "Doe",
        department: str | None = None,
        aliases: tuple[str, ...] = (),
        user_id: str | None = None,
    ) -> dict[str, Any]:
        user_id = user_id or str(self._next_id)
        self._next_id += 1
        user: dict[str, Any] = {
            "kind": "admin#directory#user",
            "id": user_id,
            "etag": '"' + hashlib.sha256(user_id.encode()).hexdigest()[:27] + '"',
            "primaryEmail": primary_email,
            "name": {
                "givenName": given_name,
                "familyName": family_name,
                "fullName": f"{given_name} {family_name}",
            },
            "isAdmin": False,
            "isDelegatedAdmin": False,
            "lastLoginTime": "2026-11-30T08:12:44.000Z",
            "creationTime": "2025-02-03T10:00:00.000Z",
            "agreedToTerms": True,
            "suspended": False,
            "archived": False,
            "changePasswordAtNextLogin": False,
            "ipWhitelisted": False,
            "emails": [{"address": primary_email, "primary": True}],
            "customerId": "C03az79cb",
            "orgUnitPath": "/",
            "isMailboxSetup": True,
            "isEnrolledIn2Sv": True,
            "isEnforcedIn2Sv": False,
            "includeInGlobalAddressList": True,
        }
        if aliases:
            user["aliases"] = list(aliases)
            user["emails"] += [{"address": a} for a in aliases]
        if department is not None:
            user["organizations"] = [{"department": department, "primary": True, "customType": ""}]
        self.users[user_id] = user
        return user

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type: ")
        try:
            claims = jwt.decode(
                str(form.get("assertion", "")),
                self.public_key,
                algorithms=["RS256"],
                audience=f"{self.url}/token",
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
            )
        except jwt.PyJWTError:
            return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        if claims["iss"] != self.client_email:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        subject = claims.get("sub")
        if subject is not None and subject not in self.delegated:
            return _oauth_error(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
            )
        if SCOPE not in str(claims["scope"]).split():
            return _oauth_error(
                400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        token = "ya29." + secrets.token_urlsafe(32)
        self.grants[token] = _Grant(subject)
        return web.json_response(
            {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}
        )

    def _refused(self, request: web.Request) -> web.Response | None:
        grant = self.grants.get(bearer(request) or "")
        if grant is None:
            return web.json_response(
                google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
                status=401,
            )
        if grant.subject is None:  # the service account itself administers nothing
            return web.json_response(
                google_error(403, "Not Authorized to access this resource/api"), status=403
            )
        return None

    async def _get(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        key = request.match_info["key"].lower()
        user = self.users.get(key) or next(
            (
                u
                for u in self.users.values()
                if key == u["primaryEmail"].lower()
                or key in (a.lower() for a in u.get("aliases", []))
            ),
            None,
        )
        if user is None:
            return web.json_response(google_error(404, "Resource Not Found: userKey"), status=404)
        return web.json_response(user)

    async def _list(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        if "customer" not in request.query and "domain" not in request.query:
            return web.json_response(google_error(400, "Bad Request"), status=400)
        try:
            size = min(500, int(request.query.get("maxResults", "100")))
            start = int(request.query.get("pageToken") or "0")
        except ValueError:
            return web.json_response(google_error(400, "Invalid Input"), status=400)
        users = list(self.users.values())
        body: dict[str, Any] = {
            "kind": "admin#directory#users",
            "etag": '"' + secrets.token_hex(13) + '"',
            "users": users[start : start + size],
        }
        if start + size < len(users):
            # Google's page token is opaque; this one is an offset no client may rely on.
            body["nextPageToken"] = str(start + size)
        return web.json_response(body)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


@asynccontextmanager
async def serve_google(fake: FakeGoogle) -> AsyncIterator[FakeGoogle]:
    async with serving(fake.app) as url:
        fake.url = url
        yield fake
