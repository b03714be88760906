"""Every kind of reader by the name the settings file gives it (`reader = "scim"`): the
options its table takes, how its settings are built, and how it is opened."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from checks.errors import UsageError
from checks.readers.box import DEFAULT_URL as BOX_URL
from checks.readers.box import BoxReader, BoxSettings
from checks.readers.google import DEFAULT_TOKEN_URL, GoogleReader, GoogleSettings
from checks.readers.google import DEFAULT_URL as GOOGLE_URL
from checks.readers.graph import DEFAULT_LOGIN_URL, GraphReader, GraphSettings
from checks.readers.graph import DEFAULT_URL as GRAPH_URL
from checks.readers.http import is_acceptable_base_url
from checks.readers.model import AppReader
from checks.readers.scim import ScimReader, ScimSettings
from checks.readers.slack import DEFAULT_URL as SLACK_URL
from checks.readers.slack import SlackReader, SlackReaderSettings
from checks.readers.tokens import Clock

OptionKind = Literal["text", "number", "flag", "texts"]


@dataclass(frozen=True, slots=True)
class Option:
    kind: OptionKind
    required: bool = False
    secret_env: bool = False
    """The value names the environment variable that holds a secret (never the secret)."""
    default: Any = None


@dataclass(frozen=True, slots=True)
class ConfiguredReader:
    """One app's reader as configured: its label, its kind and its settings, secrets read."""

    label: str
    kind: str
    settings: Any
    """The kind's own settings dataclass (ScimSettings, …); its repr shows no secret."""


Build = Callable[[Mapping[str, Any]], Any]
"""Options, with each secret_env option replaced by the secret it names -> the settings."""
Open = Callable[[aiohttp.ClientSession, str, Any, Clock], AppReader]


@dataclass(frozen=True, slots=True)
class ReaderKind:
    options: Mapping[str, Option]
    build: Build
    open: Open


def _url(value: Any, default: str | None = None) -> str:
    url = str(value or default or "").rstrip("/")
    if not is_acceptable_base_url(url):
        raise UsageError(
            f"a reader's url must be https:// (plain http only for loopback), not {url!r}"
        )
    return url


def _scim(options: Mapping[str, Any]) -> ScimSettings:
    return ScimSettings(
        url=_url(options["url"]),
        token=options["token_env"],
        timeout=float(options.get("timeout") or 10.0),
        max_wait=float(options.get("max_wait") or 5.0),
    )


def _open_scim(
    session: aiohttp.ClientSession, label: str, settings: Any, clock: Clock
) -> AppReader:
    return ScimReader(session, label, settings)


def _box(options: Mapping[str, Any]) -> BoxSettings:
    return BoxSettings(
        client_id=options["client_id"],
        client_secret=options["client_secret_env"],
        enterprise_id=options["enterprise_id"],
        url=_url(options.get("url"), BOX_URL),
        timeout=float(options.get("timeout") or 10.0),
        max_wait=float(options.get("max_wait") or 5.0),
    )


def _open_box(session: aiohttp.ClientSession, label: str, settings: Any, clock: Clock) -> AppReader:
    return BoxReader(session, label, settings, clock=clock)


def _graph(options: Mapping[str, Any]) -> GraphSettings:
    return GraphSettings(
        tenant_id=options["tenant_id"],
        client_id=options["client_id"],
        client_secret=options["client_secret_env"],
        url=_url(options.get("url"), GRAPH_URL),
        login_url=_url(options.get("login_url"), DEFAULT_LOGIN_URL),
        timeout=float(options.get("timeout") or 10.0),
        max_wait=float(options.get("max_wait") or 5.0),
    )


def _open_graph(
    session: aiohttp.ClientSession, label: str, settings: Any, clock: Clock
) -> AppReader:
    return GraphReader(session, label, settings, clock=clock)


def _google(options: Mapping[str, Any]) -> GoogleSettings:
    return GoogleSettings(
        client_email=options["client_email"],
        # A key copied out of the JSON key file keeps its newlines as \n escapes.
        private_key=options["private_key_env"].replace("\\n", "\n"),
        subject=options["subject"],
        customer=options.get("customer") or "my_customer",
        url=_url(options.get("url"), GOOGLE_URL),
        token_url=_url(options.get("token_url"), DEFAULT_TOKEN_URL),
        timeout=float(options.get("timeout") or 10.0),
        max_wait=float(options.get("max_wait") or 5.0),
    )


def _open_google(
    session: aiohttp.ClientSession, label: str, settings: Any, clock: Clock
) -> AppReader:
    return GoogleReader(session, label, settings, clock=clock)


def _slack(options: Mapping[str, Any]) -> SlackReaderSettings:
    return SlackReaderSettings(
        token=options["token_env"],
        url=_url(options.get("url"), SLACK_URL),
        timeout=float(options.get("timeout") or 10.0),
        max_wait=float(options.get("max_wait") or 5.0),
    )


def _open_slack(
    session: aiohttp.ClientSession, label: str, settings: Any, clock: Clock
) -> AppReader:
    return SlackReader(session, label, settings)


_TIMING = {"timeout": Option("number"), "max_wait": Option("number")}

READERS: Mapping[str, ReaderKind] = {
    "scim": ReaderKind(
        {"url": Option("text", required=True), "token_env": Option("text", True, True), **_TIMING},
        _scim,
        _open_scim,
    ),
    "box": ReaderKind(
        {
            "client_id": Option("text", required=True),
            "client_secret_env": Option("text", True, True),
            "enterprise_id": Option("text", required=True),
            "url": Option("text"),
            **_TIMING,
        },
        _box,
        _open_box,
    ),
    "microsoft": ReaderKind(
        {
            "tenant_id": Option("text", required=True),
            "client_id": Option("text", required=True),
            "client_secret_env": Option("text", True, True),
            "url": Option("text"),
            "login_url": Option("text"),
            **_TIMING,
        },
        _graph,
        _open_graph,
    ),
    "google": ReaderKind(
        {
            "client_email": Option("text", required=True),
            "private_key_env": Option("text", True, True),
            "subject": Option("text", required=True),
            "customer": Option("text"),
            "url": Option("text"),
            "token_url": Option("text"),
            **_TIMING,
        },
        _google,
        _open_google,
    ),
    "slack": ReaderKind(
        {
            # The bot's own token unless the table names another.
            "token_env": Option("text", secret_env=True, default="SLACK_BOT_TOKEN"),
            "url": Option("text"),
            **_TIMING,
        },
        _slack,
        _open_slack,
    ),
}


@asynccontextmanager
async def open_readers(
    configured: Sequence[ConfiguredReader], *, clock: Clock
) -> AsyncIterator[Mapping[str, AppReader]]:
    """Every configured reader by app label, over one aiohttp session closed on the way out."""
    async with aiohttp.ClientSession() as session:
        yield {
            reader.label: READERS[reader.kind].open(session, reader.label, reader.settings, clock)
            for reader in configured
        }
