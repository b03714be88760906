"""OAuth 2.0 client credentials with private_key_jwt, as Okta's org authorization server does it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Final

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from fakes.okta.wire import base_url

TOKEN_PATH: Final = "/oauth2/v1/token"
_ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_LIFETIME: Final = 3600


def key_pair() -> tuple[str, bytes]:
    """A service app's keys: (private key PEM, for attrsync; public key PEM, for this issuer)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _json(data: Mapping[str, object], status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return _json({"error": error, "error_description": description}, status)


class TokenIssuer:
    """Issues opaque access tokens to one service app and remembers their scopes."""

    def __init__(self, client_id: str, public_key_pem: str | bytes) -> None:
        pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
        self.client_id = client_id
        self._public_key = load_pem_public_key(pem)
        self._tokens: dict[str, frozenset[str]] = {}
        self._used_jti: set[str] = set()

    def scopes(self, access_token: str) -> frozenset[str] | None:
        """Scopes granted to a token this issuer handed out, None if it never did."""
        for token, scopes in self._tokens.items():
            if secrets.compare_digest(token.encode(), access_token.encode()):
                return scopes
        return None

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        params = {**request.query, **{k: v for k, v in form.items() if isinstance(v, str)}}
        if params.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported."
            )
        if params.get("client_assertion_type") != _ASSERTION_TYPE or not params.get(
            "client_assertion"
        ):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        scope = params.get("scope", "").strip()
        if not scope:
            return _oauth_error(
                400,
                "invalid_scope",
                "The authorization server resource does not have any configured default "
                "scopes, 'scope' must be provided.",
            )
        problem = self._verify(params["client_assertion"], base_url(request) + TOKEN_PATH)
        if problem:
            return _oauth_error(401, "invalid_client", problem)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = frozenset(scope.split())
        return _json(
            {
                "token_type": "Bearer",
                "expires_in": _LIFETIME,
                "access_token": token,
                "scope": scope,
            }
        )

    def _verify(self, assertion: str, audience: str) -> str | None:
        """Why the client assertion is unacceptable, or None when it is fine."""
        try:
            claims = jwt.decode(
                assertion,
                self._public_key,  # type: ignore[arg-type]
                algorithms=["RS256"],
                audience=audience,
                issuer=self.client_id,
                options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]},
            )
        except jwt.InvalidSignatureError:
            return "The client_assertion signature is invalid."
        except jwt.PyJWTError as exc:
            return f"The client_assertion token is invalid: {exc}"
        if claims.get("sub") != self.client_id:
            return "The client_assertion sub claim must be the client_id."
        jti = str(claims["jti"])
        if jti in self._used_jti:
            return "The client_assertion token has already been used."
        self._used_jti.add(jti)
        return None
