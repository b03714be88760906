"""The same bot over a Socket Mode connection (orgs without a public URL)."""

from __future__ import annotations

from bot.runtime.processes import socket_connection
from bot.services import open_services
from bot.slack.app import build_app
from fakes.okta.server import FakeOkta
from fakes.slack.payloads import slash_command_payload
from fakes.slack.server import serve_slack
from tests.harness.bot import bot_settings, new_channel


async def test_slash_command_over_socket_mode(fake_okta: FakeOkta) -> None:
    async with serve_slack() as slack:
        settings = bot_settings(fake_okta.url, slack)
        async with (
            open_services(settings, settings.require_okta()) as services,
            socket_connection(build_app(services), services),
        ):
            channel = new_channel()
            payload = slash_command_payload(
                "why hcreate 'hr portal'", response_url=slack.new_response_url(), channel_id=channel
            )
            envelope = await slack.socket_send("slash_commands", payload)
            ack = await slack.wait_for_ack(envelope)
            assert ack["payload"]["response_type"] == "ephemeral"
            assert ack["payload"]["text"] == "Diagnosing hcreate in hr portal…"
            [post] = await slack.wait_for("chat.postMessage")
            assert post.args["channel"] == channel
            assert "create only" in post.args["text"]
        assert not slack.block_errors
