"""The modal of the message shortcut (pure): who, which app, which attribute, pre-filled with
what attrsync could tell from the message, for a person to confirm or correct."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.guess import AppGuess, menu
from bot.slackkit.blockkit import clip, escape
from bot.slackkit.ids import MODAL_APP as APP
from bot.slackkit.ids import MODAL_ATTRIBUTE as ATTRIBUTE
from bot.slackkit.ids import MODAL_USER as USER
from checks.model import App

"""Block ids, and the action ids of their inputs."""
EXCERPT = 300
MENU_OPTIONS: Final = 100
"""Slack's limit on a static select's options."""
OPTION_TEXT: Final = 75


def diagnose_modal(
    *,
    author: str | None,
    email: str | None,
    login: str | None,
    apps: Sequence[App] | None,
    guess: AppGuess,
    attribute: str | None,
    excerpt: str,
    metadata: str,
) -> dict[str, Any]:
    """`apps`: the author's candidate apps, offered in a menu; None when the author's Okta
    user (so their apps) is unknown, and the app is typed instead."""
    who = f"<@{author}>" if author else "the author"
    if login:
        user_hint = f"The Okta user of {who}, found by their Slack profile's email."
    elif email:
        user_hint = f"No one Okta user has {who}'s email ({email}): name their Okta login."
    else:
        user_hint = f"Slack has no email for {who}: name their Okta login, email or short name."
    view = View(
        type="modal",
        callback_id="diagnose_message",
        title=PlainTextObject(text="Diagnose with attrsync"),
        submit=PlainTextObject(text="Diagnose"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f"> {escape(clip(excerpt, EXCERPT)) or '(no text)'}")
                ]
            ),
            _input(USER, "Okta user", login, user_hint),
            _app_input(who, apps, guess),
            _input(
                ATTRIBUTE,
                "Attribute (optional)",
                attribute,
                "The app attribute in question, e.g. lastName; empty compares every mapped one.",
                optional=True,
            ),
        ],
    )
    return view.to_dict()


def _app_input(who: str, apps: Sequence[App] | None, guess: AppGuess) -> InputBlock:
    if apps is None:
        # Without the author's Okta user there is no list of their apps to choose from, and a
        # guess among all the org's apps could name one they do not have: none is pre-filled.
        hint = f"attrsync could not tell the Okta user of {who}, nor so their apps: name the app."
        return _input(APP, "App", None, f"{hint} Its label or name, as in Okta.")
    if not apps:
        hint = f"Okta provisions no app to {who}: name the app (its label or name, as in Okta)."
        return _input(APP, "App", None, hint)
    shown = menu(guess, apps, MENU_OPTIONS)
    options = _options(shown)
    element = StaticSelectElement(
        action_id=APP,
        placeholder=PlainTextObject(text="The app that shows the wrong value"),
        options=list(options.values()),
        initial_option=options[guess.app.id] if guess.app else None,
    )
    more = f" Showing {len(shown)} of {len(apps)}." if len(shown) < len(apps) else ""
    return InputBlock(
        block_id=APP,
        label=PlainTextObject(text="App"),
        element=element,
        hint=PlainTextObject(text=clip(_app_hint(who, guess) + more, 2000)),
    )


def _app_hint(who: str, guess: AppGuess) -> str:
    listed = f"the apps Okta provisions to {who}"
    named = [app.label for app in guess.first]
    if guess.app is not None:
        return f"Named in the message; the list holds {listed}."
    if len(named) > 1:
        return (
            f"The message names {_and(named[:4])}: choose the one that shows the wrong value "
            f"(they come first in the list of {listed})."
        )
    if named:
        return (
            f"The message names {named[0]}, but not as showing the wrong value: choose the "
            f"app that does (the list holds {listed})."
        )
    return f"The message names none of {listed}: choose the one that shows the wrong value."


def _and(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _options(apps: Sequence[App]) -> dict[str, Option]:
    """An option per app (valued by its id, which names it even where labels repeat), with
    the id beside a label that several instances share."""
    labels = [app.label for app in apps]
    options: dict[str, Option] = {}
    for app in apps:
        if labels.count(app.label) == 1:
            text = clip(app.label, OPTION_TEXT)
        else:
            text = f"{clip(app.label, OPTION_TEXT - len(app.id) - 3)} ({app.id})"
        options[app.id] = Option(value=app.id, text=text)
    return options


def _input(
    block_id: str, label: str, initial: str | None, hint: str, *, optional: bool = False
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(action_id=block_id, initial_value=initial),
        hint=PlainTextObject(text=clip(hint, 2000)),
        optional=optional,
    )


def submitted_value(view: dict[str, Any], block_id: str) -> str | None:
    """The stripped text a person entered in an input of the submitted modal, or the value of
    the option they chose in a menu; None when there is neither."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(block_id) if isinstance(values, dict) else None
    entry = block.get(block_id) if isinstance(block, dict) else None
    if not isinstance(entry, dict):
        return None
    chosen = entry.get("selected_option")
    value = chosen.get("value") if isinstance(chosen, dict) else entry.get("value")
    return value.strip() or None if isinstance(value, str) else None


def is_menu(view: dict[str, Any], block_id: str) -> bool:
    """Whether the modal asked for `block_id` with a menu (else with a text input)."""
    blocks = view.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            element = block.get("element")
            return isinstance(element, dict) and element.get("type") == "static_select"
    return False
