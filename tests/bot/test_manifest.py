"""The Slack app manifest asks for what the bot listens to, and for no more."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())


def test_slash_command_and_request_urls_share_the_events_path() -> None:
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/attrsync"
    settings = MANIFEST["settings"]
    urls = {
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert len(urls) == 1
    assert urls.pop().endswith("/slack/events")
    assert settings["interactivity"]["is_enabled"] is True


def test_events_and_scopes_match_the_listeners() -> None:
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == [
        "app_mention",
        "app_home_opened",
    ]
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read",
        "channels:history",  # triage reads back its channel before posting again …
        "chat:write",
        "commands",
        "files:write",  # scans attach their CSV in the thread
        "groups:history",  # … a private one too
        "usergroups:read",
        "users:read",  # the message shortcut: the author …
        "users:read.email",  # … and their email
    ]
    [shortcut] = MANIFEST["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "diagnose_message")
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
