"""An Okta service app's OAuth 2.0 access token: a private-key JWT client assertion (RFC 7523)
exchanged at the org authorization server, reused until shortly before it expires.

checks.okta imports this module only when OKTA_CLIENT_ID is configured. The okta SDK stays the
source of the assertion (`okta.jwt.JWT`: it reads the key, PEM or JWK, and signs the claims);
importing it costs about 0.4 s (the `okta` package loads pydantic and some of its models), paid
only in OAuth mode. The exchange itself goes over attrsync's own session rather than through
`okta.oauth`, which would need the SDK's request executor and `okta.client` (about 2 s).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType
from typing import Any, Final

from checks.errors import OktaUnauthorized, UsageError

TOKEN_PATH: Final = "/oauth2/v1/token"
ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RENEW_BEFORE: Final = 300.0
"""Fetch a new access token this many seconds before Okta says the old one expires (the SDK's
default oauthTokenRenewalOffset), so no request goes out with a token about to lapse."""
DEFAULT_LIFETIME: Final = 3600.0
"""Okta's access token lifetime, assumed when an answer omits `expires_in` (as the SDK does)."""

PostForm = Callable[[str, Callable[[], Mapping[str, str]]], Awaitable[tuple[int, str]]]
"""POST a form built afresh for every attempt to a URL; the answer's status and text."""


def _sdk_jwt() -> ModuleType:
    import okta.jwt

    return okta.jwt


def load_signing_key(text: str) -> str:
    """OKTA_PRIVATE_KEY, checked the way the okta SDK will read it (a PEM block or a JWK)."""
    text = _strings_only(text)
    try:
        _sdk_jwt().JWT.get_PEM_JWK(text)
    # The SDK raises whatever its parsers do (ValueError, SyntaxError, jwcrypto's errors): any
    # of them means the same thing to the person who set the variable.
    except Exception:
        raise UsageError(
            "OKTA_PRIVATE_KEY cannot be read as an unencrypted RSA private key (PEM or JWK)."
        ) from None
    return text


def _strings_only(text: str) -> str:
    """A JWK without its list members (`key_ops`): the SDK assumes every member is a string,
    and signing needs none of them. A PEM block is returned as it is."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        fields = json.loads(text)
    except ValueError:
        return text
    if not isinstance(fields, dict):
        return text
    return json.dumps({k: v for k, v in fields.items() if isinstance(v, str)})


def client_assertion(org_url: str, client_id: str, key: str) -> str:
    """The signed JWT that authenticates the service app to Okta's token endpoint (a JWK's
    `kid` goes into its header)."""
    return str(_sdk_jwt().JWT.create_token(org_url, client_id, key))


class ServiceAppToken:
    """`Authorization: Bearer …` for the service app: fetched once, reused until RENEW_BEFORE
    seconds before it expires; callers arriving during a fetch wait for it, not fetch again."""

    def __init__(
        self,
        *,
        org_url: str,
        client_id: str,
        private_key: str,
        scopes: tuple[str, ...],
        post: PostForm,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._org_url = org_url
        self._client_id = client_id
        self._key = load_signing_key(private_key)
        self._scope = " ".join(scopes)
        self._post = post
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def __repr__(self) -> str:  # never show the token
        return f"ServiceAppToken({self._client_id})"

    async def authorization(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token = None
                # Counted from before the request, so the token never seems to live longer.
                asked = self._clock()
                token, lifetime = await self._fetch()
                self._token = token
                # A token shorter-lived than 10 minutes is renewed half-way, not on every call.
                self._renew_at = asked + lifetime - min(RENEW_BEFORE, lifetime / 2)
            # Bearer: Okta binds a token to DPoP only when the request carries a DPoP proof.
            return f"Bearer {self._token}"

    def forget(self) -> None:
        """Drop the token (Okta refused it: revoked, or expired early); the next call asks anew."""
        self._token = None

    async def _fetch(self) -> tuple[str, float]:
        status, text = await self._post(self._org_url + TOKEN_PATH, self._form)
        return _issued(status, text, self._client_id)

    def _form(self) -> dict[str, str]:
        # Built per attempt: Okta refuses an assertion whose jti it has seen, even on a retry.
        return {
            "grant_type": "client_credentials",
            "scope": self._scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(self._org_url, self._client_id, self._key),
        }


def _issued(status: int, text: str, client_id: str) -> tuple[str, float]:
    """(access token, lifetime in seconds) from the token endpoint's answer, or one sentence."""
    body = _object(text)
    token = body.get("access_token")
    if 200 <= status < 300 and isinstance(token, str) and token:
        return token, _lifetime(body.get("expires_in"))
    raise OktaUnauthorized(
        f"Okta did not issue an access token to the service app {client_id}{_said(body)}: "
        "check OKTA_CLIENT_ID, the private key and that the app is granted the scopes."
    )


def _object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _lifetime(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return DEFAULT_LIFETIME


def _said(body: Mapping[str, Any]) -> str:
    """Okta's reason, e.g. ` (invalid_client: The client_assertion signature is invalid)`."""
    error = str(body.get("error") or "").strip()
    description = " ".join(str(body.get("error_description") or "").split()).rstrip(".")
    said = ": ".join(part for part in (error, description) if part)
    return f" ({said})" if said else ""
