"""Parse the text after `/attrsync` (or after an @mention of the bot) into a command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from checks.model import Question

MAX_ARGUMENT = 200

_Role = Literal["user", "app", "attribute"]
_WHAT: dict[_Role, str] = {
    "user": "user (login, email or short name)",
    "app": "app (label or name)",
    "attribute": "attribute (e.g. `lastName`)",
}
# Slack clients turn typed quotes into typographic ones, and not always in matching pairs.
_QUOTE_FAMILIES = ('"\u201c\u201d', "'\u2018\u2019")  # straight, curly left and right
# Slack escapes a typed `<`, so every `<…>` in the text is Slack formatting (link or mention).
_FORMATTED = re.compile(r"<([^<>]*)>")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?://)?")
_HELP_WORDS = frozenset({"help", "-h", "--help", "?"})


@dataclass(frozen=True, slots=True)
class Scan:
    app: str


@dataclass(frozen=True, slots=True)
class Help:
    reason: str | None = None  # None: help was asked for; else one mrkdwn sentence saying why


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str  # mrkdwn: what is wrong, then a usage line with an example


Command: TypeAlias = Question | Scan | Help


def help_text(command: str = "/attrsync") -> str:
    """Return the mrkdwn help for `command` (`/attrsync`, or `@attrsync` for mentions)."""
    return (
        "*attrsync* finds out why an Okta attribute change did not reach an app.\n"
        f"• `{command} why USER APP [ATTRIBUTE]` diagnoses one user in one app, "
        f"e.g. `{command} why jdoe box lastName`\n"
        f"• `{command} scan APP` looks for users whose changes did not reach APP, "
        f"e.g. `{command} scan box`\n"
        f"• `{command} help` shows this message\n"
        "USER is an Okta login, email, short name (`jdoe`) or user id; APP is the app's label "
        'or name; quote names with spaces, e.g. `"Google Workspace"`.'
    )


HELP_TEXT = help_text()


def strip_mention(text: str, bot_user_id: str) -> str:
    """Remove a leading `<@BOT>` or `<@BOT|name>` mention of this bot, and the space after it."""
    match = re.match(rf"\s*<@{re.escape(bot_user_id)}(?:\|[^<>]*)?>", text)
    return text[match.end() :].lstrip() if match else text


def parse(text: str, *, command: str = "/attrsync") -> Command | ParseError:
    """Turn the command text into a Question, Scan or Help, or a ParseError to show the person."""
    tokens = _tokenize(text)
    if tokens is None:
        return ParseError(f"A quote is not closed. {_usage('why', command)}")
    if not tokens or tokens[0].lower() in _HELP_WORDS:
        return Help()
    sub, args = tokens[0].lower(), tokens[1:]
    if sub == "why":
        return _why(args, command)
    if sub == "scan":
        return _scan(args, command)
    return Help(reason=f"I don't know `{_shown(tokens[0])}`.")


def _why(args: list[str], command: str) -> Question | ParseError:
    usage = _usage("why", command)
    if len(args) < 2:
        return ParseError(f"`why` needs a user and an app. {usage}")
    if len(args) > 3:
        return ParseError(f"Too many words for `why`: quote an app name with spaces. {usage}")
    roles: tuple[_Role, ...] = ("user", "app", "attribute")
    values: list[str] = []
    for raw, role in zip(args, roles, strict=False):
        value = _argument(raw, role, usage)
        if isinstance(value, ParseError):
            return value
        values.append(value)
    return Question(values[0], values[1], values[2] if len(values) == 3 else None)


def _scan(args: list[str], command: str) -> Scan | ParseError:
    usage = _usage("scan", command)
    if len(args) != 1:
        problem = "needs an app" if not args else "takes one app: quote an app name with spaces"
        return ParseError(f"`scan` {problem}. {usage}")
    app = _argument(args[0], "app", usage)
    return app if isinstance(app, ParseError) else Scan(app)


def _usage(sub: Literal["why", "scan"], command: str) -> str:
    if sub == "why":
        return (
            f"Usage: `{command} why USER APP [ATTRIBUTE]`, e.g. `{command} why jdoe box lastName` "
            f'or `{command} why jdoe "Google Workspace"`.'
        )
    return (
        f"Usage: `{command} scan APP`, e.g. `{command} scan box` "
        f'or `{command} scan "Google Workspace"`.'
    )


def _argument(raw: str, role: _Role, usage: str) -> str | ParseError:
    """Undo Slack formatting in one argument and check it is usable as `role`."""
    value, slack_kind = _plain(raw)
    if slack_kind:
        return ParseError(f"Name the Okta {_WHAT[role]}, not a {slack_kind}. {usage}")
    value = value.strip()
    if not value:
        return ParseError(f"The {role} is empty. {usage}")
    if len(value) > MAX_ARGUMENT:
        return ParseError(f"The {role} is longer than {MAX_ARGUMENT} characters. {usage}")
    return value


def _plain(token: str) -> tuple[str, str | None]:
    """Return the token as plain text, and the kind of Slack entity it mentions, if any."""
    kinds: list[str] = []

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith(("@", "#", "!")):
            kinds.append(_mention_kind(target))
            return label or target
        # An auto-linked `jdoe.com` or `mailto:` address: the person meant the words they typed.
        return label or _SCHEME.sub("", target)

    plain = _FORMATTED.sub(replace, token)
    # `&amp;` last, so that a typed `&lt;` (sent as `&amp;lt;`) stays `&lt;`.
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return plain, kinds[0] if kinds else None


def _mention_kind(target: str) -> str:
    if target.startswith("@"):
        return "Slack user"
    if target.startswith("#"):
        return "Slack channel"
    return "Slack user group" if target.startswith("!subteam") else "Slack mention"


def _shown(token: str) -> str:
    """Quote a token back safely inside a mrkdwn code span: short, one line, escaped."""
    text = " ".join(_plain(token)[0].replace("`", "'").split())
    if len(text) > 30:
        text = text[:29] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tokenize(text: str) -> list[str] | None:
    """Split on whitespace, grouping quoted words; None if a quote is never closed.

    Not `shlex`: it eats backslashes, knows no typographic quotes, and breaks on the apostrophe
    in `o'brien`. Here a quote groups only at the start of a word and closes only at the end of
    one, and `<…>` Slack formatting is never split, even if its label has spaces.
    """
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        family = next((f for f in _QUOTE_FAMILIES if text[i] in f), None)
        j = i + 1 if family else i
        while j < n:
            if family and text[j] in family and (j + 1 == n or text[j + 1].isspace()):
                break
            if not family and text[j].isspace():
                break
            formatted = _FORMATTED.match(text, j)
            j = formatted.end() if formatted else j + 1
        if family:
            if j >= n:
                return None
            tokens.append(text[i + 1 : j])
            i = j + 1
        else:
            tokens.append(text[i:j])
            i = j
    return tokens
