"""Settings.from_env(mapping): the only place that reads configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from checks.errors import UsageError
from checks.okta import READ_SCOPES, OktaSettings, is_acceptable_org_url

DEFAULT_REDIS_URL = "redis://localhost:6379/0"


@dataclass(frozen=True, slots=True)
class Settings:
    okta: OktaSettings | None
    """None when OKTA_ORG_URL is unset (the demo needs none)."""
    redis_url: str = DEFAULT_REDIS_URL
    fact_cache_ttl: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            okta=_okta(env),
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            fact_cache_ttl=_positive(env, "ATTRSYNC_FACT_CACHE_TTL", 60.0),
        )

    def require_okta(self) -> OktaSettings:
        if self.okta is None:
            raise UsageError("OKTA_ORG_URL is not set (or use --demo to try the built-in org).")
        return self.okta


def _okta(env: Mapping[str, str]) -> OktaSettings | None:
    url = env.get("OKTA_ORG_URL", "").strip()
    if not url:
        return None
    if not is_acceptable_org_url(url):
        raise UsageError(
            "OKTA_ORG_URL must look like https://acme.okta.com (plain http only for loopback)."
        )
    token = env.get("OKTA_API_TOKEN", "").strip() or None
    client_id = env.get("OKTA_CLIENT_ID", "").strip() or None
    key = env.get("OKTA_PRIVATE_KEY", "").strip() or None
    key_file = env.get("OKTA_PRIVATE_KEY_FILE", "").strip()
    if key is None and key_file:
        try:
            key = Path(key_file).read_text().strip()
        except OSError as exc:
            raise UsageError(f"OKTA_PRIVATE_KEY_FILE cannot be read ({exc.strerror}).") from None
    if token is None and client_id is None:
        raise UsageError("Set OKTA_API_TOKEN, or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY.")
    if token is None and key is None:
        raise UsageError("OKTA_CLIENT_ID needs OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE.")
    if key is not None and not (key.startswith("-----BEGIN") or key.startswith("{")):
        raise UsageError("OKTA_PRIVATE_KEY must be a PEM block or a JWK (JSON).")
    scopes = tuple(env.get("OKTA_SCOPES", "").replace(",", " ").split()) or READ_SCOPES
    return OktaSettings(
        org_url=url.rstrip("/"),
        token=token,
        client_id=None if token else client_id,
        private_key=None if token else key,
        scopes=scopes,
        timeout=_positive(env, "ATTRSYNC_OKTA_TIMEOUT", 15.0),
    )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise UsageError(f"{name} must be a positive number of seconds, not {raw!r}.")
    return value
