"""Settings.from_env(mapping): the only place that reads configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings_file import AppTable, SettingsFile, load, locate
from checks.errors import UsageError
from checks.okta import READ_SCOPES, OktaSettings, is_acceptable_org_url
from checks.readers.registry import READERS, ConfiguredReader

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    app_token: str | None
    api_url: str

    def __repr__(self) -> str:  # never show the secrets
        return f"SlackSettings({self.api_url})"


@dataclass(frozen=True, slots=True)
class Settings:
    okta: OktaSettings | None
    """None when OKTA_ORG_URL is unset (the demo needs none)."""
    slack: SlackSettings | None = None
    """None when SLACK_BOT_TOKEN is unset (the CLI needs none)."""
    redis_url: str = DEFAULT_REDIS_URL
    redis_prefix: str = "attrsync:"
    fact_cache_ttl: float = 60.0
    port: int = 3000
    approvers: frozenset[str] = frozenset()
    allow_self_approval: bool = False
    approval_ttl: float = 3600.0
    fix_lease: float = 30.0
    """Seconds a worker's hold on a running fix lasts unless renewed (ATTRSYNC_FIX_LEASE)."""
    audit_channel: str | None = None
    okta_share: float = 0.5
    """The fraction of each Okta rate-limit bucket all attrsync processes together may use."""
    scan_page_size: int = 500
    """App users per page in a scan (ATTRSYNC_SCAN_PAGE_SIZE, at most Okta's 500)."""
    event_hook_secret: str | None = field(default=None, repr=False)
    """The Authorization header Okta's Event Hook sends (ATTRSYNC_EVENT_HOOK_SECRET); the
    hook's endpoint is off without it."""
    event_hook_header: str = "Authorization"
    """The header Okta's Event Hook carries the secret in (ATTRSYNC_EVENT_HOOK_HEADER): Okta
    lets the admin name it, and a 4xx is never retried, so the two names must match."""
    bulk_distinct_approvers: bool = False
    """A bulk fix's confirm approval must come from another approver than its canary's
    (ATTRSYNC_BULK_DISTINCT_APPROVERS)."""
    triage_channel: str | None = None
    watch_grace: float = 900.0
    readers: tuple[ConfiguredReader, ...] = ()
    """The default org's app readers (§1.9), from the settings file's [apps."…"] tables."""
    settings_file: SettingsFile | None = None
    """The file read, orgs and all: the multi-org work reads its other orgs from here."""

    @classmethod
    def load(cls, env: Mapping[str, str], cwd: Path | None = None) -> Settings:
        """Settings from the settings file that `env` or `cwd` names (if any) and `env`."""
        path = locate(env, cwd or Path.cwd())
        return cls.from_env(env, load(path) if path is not None else None)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], settings_file: SettingsFile | None = None
    ) -> Settings:
        """`env`'s values override the file's: the environment alone still configures one org."""
        if settings_file is not None:
            env = _file_values(settings_file, env) | dict(env)
        okta = _okta(env)
        fix_lease = _positive(env, "ATTRSYNC_FIX_LEASE", 30.0)
        if okta is not None and fix_lease <= okta.timeout:
            # A run is only taken over once its lease expired; by then the old worker's last
            # request to Okta must be over, or the new one could send the same change again.
            raise UsageError(
                f"ATTRSYNC_FIX_LEASE ({fix_lease:g} s) must be longer than "
                f"ATTRSYNC_OKTA_TIMEOUT ({okta.timeout:g} s)."
            )
        return cls(
            okta=okta,
            slack=_slack(env),
            redis_url=_redis_url(env),
            redis_prefix=_redis_prefix(env),
            fact_cache_ttl=_positive(env, "ATTRSYNC_FACT_CACHE_TTL", 60.0),
            port=_port(env),
            approvers=_approvers(env),
            allow_self_approval=_flag(env, "ATTRSYNC_ALLOW_SELF_APPROVAL"),
            approval_ttl=_positive(env, "ATTRSYNC_APPROVAL_TTL", 3600.0),
            fix_lease=fix_lease,
            audit_channel=_channel(env, "ATTRSYNC_AUDIT_CHANNEL"),
            okta_share=_share(env),
            scan_page_size=_page_size(env),
            event_hook_secret=_hook_secret(env),
            event_hook_header=_header_name(env, "ATTRSYNC_EVENT_HOOK_HEADER", "Authorization"),
            bulk_distinct_approvers=_flag(env, "ATTRSYNC_BULK_DISTINCT_APPROVERS"),
            triage_channel=_channel(env, "ATTRSYNC_TRIAGE_CHANNEL"),
            watch_grace=_positive(env, "ATTRSYNC_WATCH_GRACE", 900.0),
            readers=_readers(settings_file, env) if settings_file is not None else (),
            settings_file=settings_file,
        )

    def require_okta(self) -> OktaSettings:
        if self.okta is None:
            raise UsageError("OKTA_ORG_URL is not set (or use --demo to try the built-in org).")
        return self.okta

    def require_slack(self, *, socket_mode: bool = False) -> SlackSettings:
        if self.slack is None:
            raise UsageError("SLACK_BOT_TOKEN is not set: the bot needs its Slack credentials.")
        if socket_mode and not self.slack.app_token:
            raise UsageError("SLACK_APP_TOKEN (xapp-…) is not set: Socket Mode needs it.")
        return self.slack


def _file_values(file: SettingsFile, env: Mapping[str, str]) -> dict[str, str]:
    """The default org of the file as the environment variables of §1.2 would say it."""
    org = file.default_org
    if org is None:
        return {}
    values = {"OKTA_ORG_URL": org.url}
    if org.scopes:
        values["OKTA_SCOPES"] = " ".join(org.scopes)
    if org.client_id:
        values["OKTA_CLIENT_ID"] = org.client_id
    if org.private_key_file:
        values["OKTA_PRIVATE_KEY_FILE"] = org.private_key_file
    named = (
        ("token_env", org.token_env, "OKTA_API_TOKEN"),
        ("private_key_env", org.private_key_env, "OKTA_PRIVATE_KEY"),
        ("event_hook_secret_env", org.event_hook_secret_env, "ATTRSYNC_EVENT_HOOK_SECRET"),
    )
    for key, variable, setting in named:
        if variable is None or env.get(setting, "").strip():
            continue  # not named, or the environment sets it outright
        secret = env.get(variable, "").strip()
        if not secret:
            raise UsageError(
                f"{org.where(key)}: {key} of [orgs.{org.name}] names {variable}, which is not set."
            )
        values[setting] = secret
    return values


def _readers(file: SettingsFile, env: Mapping[str, str]) -> tuple[ConfiguredReader, ...]:
    readers: dict[str, ConfiguredReader] = {}
    for table in file.default_apps:
        if table.label in readers:
            raise UsageError(f"{table.where()}: the app {table.label!r} has two readers.")
        readers[table.label] = ConfiguredReader(
            table.label, table.reader, READERS[table.reader].build(_with_secrets(table, env))
        )
    return tuple(readers.values())


def _with_secrets(table: AppTable, env: Mapping[str, str]) -> dict[str, object]:
    """The table's options, each naming a secret's variable replaced by the secret."""
    options = dict(table.options)
    for key, option in READERS[table.reader].options.items():
        if option.secret_env and key not in options and option.default is not None:
            options[key] = option.default
        if option.secret_env and key in options:
            secret = env.get(str(options[key]), "").strip()
            if not secret:
                raise UsageError(
                    f"{table.where(key)}: {key} of {table.title} names "
                    f"{options[key]}, which is not set."
                )
            options[key] = secret
    return options


def _slack(env: Mapping[str, str]) -> SlackSettings | None:
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        return None
    if not token.startswith("xoxb-"):
        raise UsageError("SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-).")
    secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    if not secret:
        raise UsageError("SLACK_SIGNING_SECRET is not set (Basic Information > App Credentials).")
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise UsageError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-).")
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    if not api_url.startswith(("https://", "http://127.", "http://localhost")):
        raise UsageError("SLACK_API_URL must be an https:// URL (plain http only for loopback).")
    return SlackSettings(token, secret, app_token, api_url.rstrip("/") + "/")


def _redis_url(env: Mapping[str, str]) -> str:
    url = env.get("REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError("REDIS_URL must look like redis://host:6379/0.")
    return url


def _redis_prefix(env: Mapping[str, str]) -> str:
    raw = env.get("ATTRSYNC_REDIS_PREFIX", "").strip() or "attrsync:"
    if any(ch.isspace() or ch in "*?[]" for ch in raw):
        raise UsageError("ATTRSYNC_REDIS_PREFIX may not hold spaces or * ? [ ].")
    return raw


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("PORT", "").strip() or "3000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise UsageError(f"PORT must be a TCP port number, not {raw!r}.")
    return int(raw)


def _approvers(env: Mapping[str, str]) -> frozenset[str]:
    ids = frozenset(env.get("ATTRSYNC_APPROVERS", "").replace(",", " ").split())
    wrong = sorted(i for i in ids if not (i[:1] in ("U", "W", "S") and i[1:].isalnum()))
    if wrong:
        raise UsageError(
            "ATTRSYNC_APPROVERS takes Slack user ids (U…) and user-group ids (S…), "
            f"not {wrong[0]!r}."
        )
    return ids


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise UsageError(f"{name} must be true or false, not {raw!r}.")


def _channel(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if raw and not (raw[:1] in ("C", "G") and raw[1:].isalnum()):
        raise UsageError(f"{name} must be a Slack channel id (C…), not {raw!r}.")
    return raw or None


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


def _hook_secret(env: Mapping[str, str]) -> str | None:
    raw = env.get("ATTRSYNC_EVENT_HOOK_SECRET", "").strip()
    if raw and len(raw) < 16:
        # Okta sends it in a header on every delivery: a short one could be guessed.
        raise UsageError("ATTRSYNC_EVENT_HOOK_SECRET must be at least 16 characters long.")
    return raw or None


_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _header_name(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    # An HTTP field name is a token (RFC 9110 §5.1); anything else could never arrive.
    if len(raw) > 64 or not set(raw) <= _TOKEN_CHARS:
        raise UsageError(f"{name} must be an HTTP header name such as X-Okta-Secret, not {raw!r}.")
    return raw


def _page_size(env: Mapping[str, str]) -> int:
    raw = env.get("ATTRSYNC_SCAN_PAGE_SIZE", "").strip()
    if not raw:
        return 500
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise UsageError(
            f"ATTRSYNC_SCAN_PAGE_SIZE must be a whole number from 1 to 500, not {raw!r}."
        )
    return int(raw)


def _share(env: Mapping[str, str]) -> float:
    raw = env.get("ATTRSYNC_OKTA_SHARE", "").strip()
    if not raw:
        return 0.5
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise UsageError(
            f"ATTRSYNC_OKTA_SHARE must be a fraction above 0 and at most 1, not {raw!r}."
        )
    return value


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
