"""Slack's Block Kit limits and mrkdwn escaping, applied to every message the bot sends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
    StaticSelectElement,
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 3000
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000
ELLIPSIS = "…"


def escape(text: object) -> str:
    """Text from Okta or a person, made inert in mrkdwn: `<!channel>` can never ping anyone."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """A mrkdwn link; the URL's own `|` and `>` would end the link early."""
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe}|{escape(label)}>"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def section(
    text: str, accessory: ButtonElement | StaticSelectElement | None = None
) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)), accessory=accessory
    )


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, MAX_CONTEXT_TEXT))])


def button(
    text: str, action_id: str, value: str, *, primary: bool = False, danger: bool = False
) -> ButtonElement:
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"button value of {len(value)} characters (Slack allows 2000)")
    style = "primary" if primary else "danger" if danger else None
    return ButtonElement(text=clip(text, 75), action_id=action_id, value=value, style=style)


def actions(*buttons: ButtonElement) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons))


@dataclass(frozen=True, slots=True)
class Message:
    """What chat.postMessage, chat.update and response_url posts take: blocks and a fallback.

    The one escaping rule: `text` and every block's text are mrkdwn the bot wrote, so every
    value from Okta or a person goes in through `escape()` (or `link()`), the fallback `text`
    included: Slack shows it in notifications, where `<!channel>` would ping everyone.
    """

    text: str
    blocks: tuple[Block, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The message as Slack's JSON, within Slack's limits (the one check every send passes)."""
        if not self.text.strip():
            raise ValueError("a message needs fallback text for notifications and screen readers")
        blocks = list(self.blocks)
        if len(blocks) > MAX_BLOCKS:
            cut = len(blocks) - (MAX_BLOCKS - 1)
            blocks = [*blocks[: MAX_BLOCKS - 1], context(f"{ELLIPSIS} {cut} more blocks left out.")]
        _check_ids(blocks)
        return {
            "text": clip(self.text, MAX_FALLBACK_TEXT),
            "blocks": [block.to_dict() for block in blocks],
        }


def _check_ids(blocks: Sequence[Block]) -> None:
    """Slack's rule: an action_id is unique among the elements of its block, not of the message
    or view ("Should be unique among all other action_ids in the containing block", Slack's
    element reference, e.g. https://docs.slack.dev/tools/node-slack-sdk/reference/types/interfaces/Button).
    So the approval requests listed in App Home each carry `approval:approve`, told apart by
    their values (and by block_id, which is unique per message or view)."""
    for block in blocks:
        elements: list[Any] = []
        if isinstance(block, SectionBlock) and isinstance(
            block.accessory, ButtonElement | StaticSelectElement
        ):
            elements = [block.accessory]
        elif isinstance(block, ActionsBlock):
            elements = list(block.elements)
        seen: set[str] = set()
        for element in elements:
            action_id = getattr(element, "action_id", None)
            if action_id in seen:
                raise ValueError(f"action_id {action_id!r} appears twice in one block")
            if action_id:
                seen.add(action_id)


def notice(text: str) -> Message:
    """A one-sentence answer (progress, errors, help); `text` is mrkdwn the bot wrote."""
    return Message(text, (section(text),))
