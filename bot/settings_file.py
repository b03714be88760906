"""The settings file (§1.10): `$ATTRSYNC_CONFIG`, else ./attrsync.toml, read into immutable
tables. Secrets are never in it, only the names of the environment variables holding them.
Every fault stops start-up with one sentence naming the file, the line and the key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from checks.errors import UsageError
from checks.okta import is_acceptable_org_url
from checks.readers.http import is_acceptable_base_url
from checks.readers.registry import READERS, Option

FILE_NAME: Final = "attrsync.toml"
SECRET_KEYS: Final = frozenset(
    {
        "token",
        "secret",
        "client_secret",
        "private_key",
        "password",
        "api_key",
        "key",
        "event_hook_secret",
        "bot_token",
    }
)
_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class AppTable:
    """`[apps."LABEL"]`: one app's reader and its options (secret options: variable names)."""

    label: str
    reader: str
    options: Mapping[str, Any]
    title: str
    """The table as its header names it, e.g. [apps."Box"] or [orgs.preview.apps.Box]."""
    file: str
    line: int
    """The line of the table's header."""
    key_lines: Mapping[str, int]

    def where(self, key: str | None = None) -> str:
        """`file, line N` of `key` (the header's line when it has none)."""
        line = self.key_lines.get(key, self.line) if key else self.line
        return f"{self.file}, line {line}"


@dataclass(frozen=True, slots=True)
class OrgTable:
    """`[orgs.NAME]`: one Okta org (kept for the multi-org work; one org is used today)."""

    name: str
    url: str
    token_env: str | None
    client_id: str | None
    private_key_env: str | None
    private_key_file: str | None
    scopes: tuple[str, ...]
    default: bool
    channels: tuple[str, ...]
    event_hook_secret_env: str | None
    apps: tuple[AppTable, ...]
    file: str
    line: int
    key_lines: Mapping[str, int]

    def where(self, key: str | None = None) -> str:
        line = self.key_lines.get(key, self.line) if key else self.line
        return f"{self.file}, line {line}"


@dataclass(frozen=True, slots=True)
class SettingsFile:
    path: str
    orgs: tuple[OrgTable, ...] = ()
    apps: tuple[AppTable, ...] = ()
    """The top-level `[apps."…"]`: the default org's."""

    @property
    def default_org(self) -> OrgTable | None:
        """The org marked default, else the first (§1.10)."""
        return next((o for o in self.orgs if o.default), self.orgs[0] if self.orgs else None)

    @property
    def default_apps(self) -> tuple[AppTable, ...]:
        """The readers questions that name no org use: `[apps]` and the default org's own."""
        org = self.default_org
        return self.apps + (org.apps if org is not None else ())


def locate(env: Mapping[str, str], cwd: Path) -> Path | None:
    """The file to read: ATTRSYNC_CONFIG (which must exist), else ./attrsync.toml if present."""
    named = env.get("ATTRSYNC_CONFIG", "").strip()
    if named:
        path = Path(named) if Path(named).is_absolute() else cwd / named
        if not path.is_file():
            raise UsageError(f"ATTRSYNC_CONFIG names {named}, which is not a file.")
        return path
    path = cwd / FILE_NAME
    return path if path.is_file() else None


def load(path: Path) -> SettingsFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise UsageError(f"The settings file {path} cannot be read ({reason}).") from None
    return parse(text, str(path))


def parse(text: str, file: str = FILE_NAME) -> SettingsFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_in_message(str(exc))
        what = str(exc).split(" (at ", 1)[0].rstrip(".")
        lines = text.splitlines()
        key = _key_path(lines[line - 1].partition("=")[0]) if 0 < line <= len(lines) else ()
        at = f" at key {'.'.join(key)!r}" if key else ""
        raise UsageError(f"{file}, line {line}: {what}{at} (not valid TOML).") from None
    return _Reader(file, _KeyLines(text)).settings(data)


class _Reader:
    def __init__(self, file: str, lines: _KeyLines) -> None:
        self.file = file
        self.lines = lines

    def fail(self, path: tuple[str, ...], sentence: str) -> UsageError:
        return UsageError(f"{self.file}, line {self.lines.of(path)}: {sentence}")

    def settings(self, data: dict[str, Any]) -> SettingsFile:
        for key in data:
            if key not in ("orgs", "apps"):
                raise self.fail(
                    (key,),
                    f'unknown key {key!r} (the file holds [orgs.NAME] and [apps."LABEL"] tables).',
                )
        orgs = tuple(
            self.org(name, value) for name, value in self.table(("orgs",), data.get("orgs")).items()
        )
        if sum(org.default for org in orgs) > 1:
            second = [org for org in orgs if org.default][1]
            raise self.fail(
                ("orgs", second.name, "default"), "more than one org says default = true."
            )
        return SettingsFile(self.file, orgs, self.apps(("apps",), data.get("apps")))

    def table(self, path: tuple[str, ...], value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"{_name(path)} must be a table, not {_type(value)}.")
        return value

    def apps(self, path: tuple[str, ...], value: Any) -> tuple[AppTable, ...]:
        return tuple(
            self.app((*path, label), self.table((*path, label), entry))
            for label, entry in self.table(path, value).items()
        )

    def app(self, path: tuple[str, ...], entry: dict[str, Any]) -> AppTable:
        here = _name(path)
        kind = entry.get("reader")
        known = ", ".join(sorted(READERS))
        if kind is None:
            raise self.fail(path, f"{here} has no reader key (one of {known}).")
        if not isinstance(kind, str) or kind not in READERS:
            raise self.fail((*path, "reader"), f"reader {kind!r} of {here} is none of {known}.")
        options = READERS[kind].options
        values = self.options(
            path, {k: v for k, v in entry.items() if k != "reader"}, options, kind
        )
        key_lines = {key: self.lines.of((*path, key)) for key in entry}
        return AppTable(
            label=path[-1],
            reader=kind,
            options=MappingProxyType(values),
            title=here,
            file=self.file,
            line=self.lines.of(path),
            key_lines=MappingProxyType(key_lines),
        )

    def options(
        self,
        path: tuple[str, ...],
        entry: dict[str, Any],
        options: Mapping[str, Option],
        kind: str,
    ) -> dict[str, Any]:
        here = _name(path)
        for key, value in entry.items():
            at = (*path, key)
            if key in SECRET_KEYS or (key + "_env" in options and options[key + "_env"].secret_env):
                raise self.fail(
                    at,
                    f"{here} holds a secret in {key}: put it in an environment variable and "
                    f"name the variable with {key}_env.",
                )
            option = options.get(key)
            if option is None:
                raise self.fail(
                    at,
                    f"{here} has an unknown key {key!r} (the {kind} reader takes "
                    f"{', '.join(sorted(options))}).",
                )
            self.check_type(at, value, option)
        for key, option in options.items():
            if option.required and key not in entry:
                raise self.fail(path, f"{here} has no {key}, which the {kind} reader needs.")
        return dict(entry)

    def check_type(self, at: tuple[str, ...], value: Any, option: Option) -> None:
        key, here = at[-1], _name(at[:-1])
        expected = {
            "text": "a string",
            "number": "a positive number",
            "flag": "true or false",
            "texts": "a list of strings",
        }[option.kind]
        ok = {
            "text": isinstance(value, str) and value.strip() != "",
            "number": isinstance(value, int | float) and not isinstance(value, bool) and value > 0,
            "flag": isinstance(value, bool),
            "texts": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[option.kind]
        if not ok:
            raise self.fail(at, f"{key} of {here} must be {expected}, not {_shown(value)}.")
        in_app = "apps" in at[:-1]  # an org's url is checked as an org URL
        if in_app and (key == "url" or key.endswith("_url")) and not is_acceptable_base_url(value):
            raise self.fail(
                at, f"{key} of {here} must be an https:// URL (plain http only for loopback)."
            )
        if option.secret_env and not _ENV_NAME.fullmatch(value):
            raise self.fail(
                at,
                f"{key} of {here} names an environment variable (like APP_TOKEN), not the "
                "secret itself.",
            )

    def org(self, name: str, value: Any) -> OrgTable:
        path = ("orgs", name)
        entry = dict(self.table(path, value))
        apps = self.apps((*path, "apps"), entry.pop("apps", None))
        values = self.options(path, entry, _ORG_OPTIONS, "org")
        url = values["url"]
        if not is_acceptable_org_url(url):
            raise self.fail(
                (*path, "url"),
                f"url of {_name(path)} must look like https://acme.okta.com (plain http only "
                "for loopback).",
            )
        if "token_env" not in values and not (
            "client_id" in values and ({"private_key_env", "private_key_file"} & set(values))
        ):
            raise self.fail(
                path,
                f"{_name(path)} needs token_env, or client_id with private_key_env or "
                "private_key_file.",
            )
        return OrgTable(
            name=name,
            url=url.rstrip("/"),
            token_env=values.get("token_env"),
            client_id=values.get("client_id"),
            private_key_env=values.get("private_key_env"),
            private_key_file=values.get("private_key_file"),
            scopes=tuple(values.get("scopes", ())),
            default=bool(values.get("default", False)),
            channels=tuple(values.get("channels", ())),
            event_hook_secret_env=values.get("event_hook_secret_env"),
            apps=apps,
            file=self.file,
            line=self.lines.of(path),
            key_lines=MappingProxyType({key: self.lines.of((*path, key)) for key in entry}),
        )


_ORG_OPTIONS: Final = {
    "url": Option("text", required=True),
    "token_env": Option("text", secret_env=True),
    "client_id": Option("text"),
    "private_key_env": Option("text", secret_env=True),
    "private_key_file": Option("text"),
    "scopes": Option("texts"),
    "default": Option("flag"),
    "channels": Option("texts"),
    "event_hook_secret_env": Option("text", secret_env=True),
}


class _KeyLines:
    """The line of every table header and key in the text, by its full key path: tomllib
    tells the line of a syntax error only, and a sentence must name the line of any fault."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            header = _HEADER.match(stripped)
            if header is not None:
                table = _key_path(header["key"]) or table
                self._lines.setdefault(table, number)
                continue
            key, equals, _ = stripped.partition("=")
            if equals and (path := _key_path(key)):
                self._lines.setdefault((*table, *path), number)
                for depth in range(1, len(path)):  # a dotted key opens its tables here
                    self._lines.setdefault((*table, *path[:depth]), number)

    def of(self, path: tuple[str, ...]) -> int:
        """The line of `path`, else of the nearest table holding it, else 1."""
        for depth in range(len(path), 0, -1):
            if path[:depth] in self._lines:
                return self._lines[path[:depth]]
        return 1


_HEADER: Final = re.compile(r"^\[(?!\[)(?P<key>.+?)\]\s*(?:#.*)?$")


def _key_path(key: str) -> tuple[str, ...]:
    """A TOML key as written (bare, quoted or dotted) as its parts, () when it is none."""
    try:
        parsed: Any = tomllib.loads(f"{key.strip()} = 0")
    except tomllib.TOMLDecodeError:
        return ()
    parts: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        name, parsed = next(iter(parsed.items()))
        parts.append(name)
    return tuple(parts)


def _line_in_message(message: str) -> int:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 1


def _name(path: tuple[str, ...]) -> str:
    shown = []
    for part in path:
        shown.append(part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"')
    return "[" + ".".join(shown) + "]"


def _type(value: Any) -> str:
    return {
        str: "a string",
        bool: "true or false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    # A wrong string may be a pasted secret: only its type is named. A number is none.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return _type(value)
