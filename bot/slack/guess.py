"""What a helpdesk message is about, guessed from its words (pure): the apps of the org it
names, and the attribute it complains about. A person confirms the guess before anything runs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from checks.model import App

ATTRIBUTE_WORDS: tuple[tuple[str, str], ...] = (
    ("last name", "lastName"),
    ("surname", "lastName"),
    ("family name", "lastName"),
    ("first name", "firstName"),
    ("given name", "firstName"),
    ("display name", "displayName"),
    ("nickname", "nickName"),
    ("job title", "title"),
    ("title", "title"),
    ("department", "department"),
    ("email", "email"),
    ("e-mail", "email"),
    ("mobile", "mobilePhone"),
    ("phone", "mobilePhone"),
    ("manager", "manager"),
    ("office", "city"),
    ("city", "city"),
)
"""Words people use, longest first where one contains another, and the Okta attribute."""


def apps_named(text: str, apps: Iterable[App]) -> list[App]:
    """The apps whose label or name the text names as whole words, in order of mention."""
    said = text.casefold()
    found: list[tuple[int, App]] = []
    for app in apps:
        places = [_find(said, name.casefold()) for name in {app.label, app.name} if len(name) >= 3]
        first = min((p for p in places if p >= 0), default=-1)
        if first >= 0:
            found.append((first, app))
    return [app for _, app in sorted(found, key=lambda f: (f[0], -len(f[1].label)))]


def attribute_named(text: str) -> str | None:
    said = text.casefold()
    for words, attribute in ATTRIBUTE_WORDS:
        if _find(said, words) >= 0:
            return attribute
    return None


def _find(text: str, words: str) -> int:
    match = re.search(rf"(?<![\w]){re.escape(words)}(?![\w])", text)
    return match.start() if match else -1
