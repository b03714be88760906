"""`attrsync` in a terminal: output, exit codes and one-sentence errors."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.__main__ import main
from bot.demo.org import build_demo_org
from fakes.okta.server import FakeOkta, serve
from tests.conftest import TOKEN

CONTRACT_IDS = {
    "user", "app", "assignment", "provisioning", "credentials", "update_attributes", "mapping",
    "preview", "external_id", "group_assignment", "sync_state", "push_errors", "deactivate_users",
    "profile_source",
}  # fmt: skip


@pytest.fixture(scope="module")
def org_url() -> Iterator[str]:
    """A fake Okta on its own thread: the CLI runs its own event loop."""
    import asyncio

    ready = threading.Event()
    stop: asyncio.Future[None] | None = None
    found: dict[str, FakeOkta] = {}

    async def run() -> None:
        nonlocal stop
        stop = asyncio.get_running_loop().create_future()
        async with serve(build_demo_org(datetime.now(UTC)), token=TOKEN) as fake:
            found["fake"] = fake
            ready.set()
            await stop

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    ready.wait(10)
    yield found["fake"].url
    loop.call_soon_threadsafe(lambda: stop.set_result(None) if stop else None)
    thread.join(10)
    loop.close()


def _env(org_url: str, **extra: str) -> dict[str, str]:
    return {"OKTA_ORG_URL": org_url, "OKTA_API_TOKEN": TOKEN} | extra


def test_json_report_and_exit_code_1(org_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["why", "jdoe", "box", "--json"], _env(org_url)) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"]["check"] == "external_id"
    assert {f["check"] for f in out["findings"]} == CONTRACT_IDS
    assert TOKEN not in json.dumps(out)


def test_healthy_user_exits_0(org_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["why", "asmith", "box"], _env(org_url)) == 0
    out = capsys.readouterr().out
    assert out.startswith("attrsync · asmith@example.com in Box")
    assert "\033[" not in out  # no colour when not on a TTY


def test_unknown_user_is_a_report_not_a_crash(
    org_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["why", "nobody", "box", "--json"], _env(org_url)) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["user"] is None
    assert out["verdict"]["check"] == "user"


def test_attribute_the_app_lacks_is_a_usage_error(
    org_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["why", "jdoe", "box", "lastNme"], _env(org_url)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("attrsync: Box has no attribute 'lastNme'; it has: ")
    assert "lastName" in captured.err
    assert captured.err.count("\n") == 1


def test_rejected_token_exits_3_with_one_sentence(
    org_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(org_url, OKTA_API_TOKEN="super-secret-wrong")
    assert main(["why", "jdoe", "box"], env) == 3
    err = capsys.readouterr().err
    assert "rejected the credentials" in err
    assert "super-secret-wrong" not in err
    assert err.count("\n") == 1


def test_unreachable_okta_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    env = _env("http://127.0.0.1:9", ATTRSYNC_OKTA_TIMEOUT="2")
    assert main(["why", "jdoe", "box"], env) == 3
    assert "unreachable" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "OKTA_ORG_URL"),
        ({"OKTA_ORG_URL": "http://acme.okta.com", "OKTA_API_TOKEN": "x"}, "OKTA_ORG_URL"),
        ({"OKTA_ORG_URL": "https://acme.okta.com"}, "OKTA_API_TOKEN"),
        ({"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_CLIENT_ID": "0oa1"}, "OKTA_PRIVATE_KEY"),
        (
            {
                "OKTA_ORG_URL": "https://a.okta.com",
                "OKTA_API_TOKEN": "x",
                "ATTRSYNC_OKTA_TIMEOUT": "-1",
            },
            "ATTRSYNC_OKTA_TIMEOUT",
        ),
    ],
)
def test_configuration_errors_name_the_variable(
    env: dict[str, str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["why", "jdoe", "box"], env) == 2
    assert names in capsys.readouterr().err


def test_demo_flag_needs_no_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["why", "iupd", "zoom", "--demo", "--json"], {}) == 1
    assert json.loads(capsys.readouterr().out)["verdict"]["check"] == "update_attributes"


def test_demo_walkthrough_covers_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"], {}) == 0
    out = capsys.readouterr().out
    assert out.count("$ attrsync why ") == 17
    assert "Cause: Jane Anderson's Box assignment has no external ID" in out
    assert "Cause: Wendy Title's title comes from Workday" in out


def test_missing_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["why", "jdoe"], {}) == 2
    assert "required: app" in capsys.readouterr().err


def test_help_does_not_import_the_okta_sdk() -> None:
    code = (
        "import sys; from bot.__main__ import main\n"
        "try:\n    main(['--help'], {})\nexcept SystemExit:\n    pass\n"
        "sys.exit('okta' in sys.modules or 'aiohttp' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def test_internal_error_is_one_sentence_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def crash(facts: object) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("bot.cli.main.diagnose", crash)
    assert main(["why", "jdoe", "box", "--demo"], {}) == 3
    err = capsys.readouterr().err
    assert (
        err == "attrsync: attrsync hit an internal error (run with ATTRSYNC_DEBUG=1 to see it).\n"
    )


def test_blank_user_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["why", " ", "box", "--demo"], {}) == 2
    assert "Name both the Okta user and the app" in capsys.readouterr().err


def test_odd_characters_in_the_user_are_just_not_found(
    org_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["why", 'jd"oe\\ or x', "box", "--json"], _env(org_url)) == 1
    assert json.loads(capsys.readouterr().out)["verdict"]["check"] == "user"


def test_audit_prints_the_trail(capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import uuid

    import redis

    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    prefix = f"attrsync-test-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(url)
    entry = {
        "at": "1764288000.000",
        "event": "done",
        "approval": "abc",
        "actor": "worker-1",
        "fix": "mapping",
        "user": "jdoe@example.com",
        "app": "Box",
        "plan": json.dumps(['POST /api/v1/mappings/prm1 {"properties": {}}']),
        "digest": "d",
        "result": "",
        "okta_request_ids": "[]",
    }
    client.xadd(f"{prefix}audit", entry)  # type: ignore[arg-type]
    client.close()
    env = {"REDIS_URL": url, "ATTRSYNC_REDIS_PREFIX": prefix}
    assert main(["audit"], env) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "2025-11-28 00:00:00Z done      worker-1     mapping jdoe@example.com in Box [abc]"
    )
    assert 'POST /api/v1/mappings/prm1 {"properties": {}}' in out
    assert main(["audit", "--json"], env) == 0
    assert json.loads(capsys.readouterr().out)["approval"] == "abc"


_OKTA = {"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_API_TOKEN": "x"}
_SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    ("command", "env", "variable"),
    [
        ("serve", _OKTA, "SLACK_BOT_TOKEN"),
        ("serve", _OKTA | {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ("serve", _OKTA | _SLACK | {"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ("socket", _OKTA | _SLACK, "SLACK_APP_TOKEN"),
        ("serve", _OKTA | _SLACK | {"PORT": "http"}, "PORT"),
        ("serve", _OKTA | _SLACK | {"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ("serve", _OKTA | _SLACK | {"ATTRSYNC_APPROVERS": "alice"}, "ATTRSYNC_APPROVERS"),
        ("serve", _OKTA | _SLACK | {"ATTRSYNC_AUDIT_CHANNEL": "#audit"}, "ATTRSYNC_AUDIT_CHANNEL"),
        ("serve", _OKTA | _SLACK | {"ATTRSYNC_ALLOW_SELF_APPROVAL": "maybe"}, "ATTRSYNC_ALLOW"),
        ("serve", _SLACK, "OKTA_ORG_URL"),
        ("worker", _OKTA | _SLACK | {"ATTRSYNC_FIX_LEASE": "0"}, "ATTRSYNC_FIX_LEASE"),
        # A lease shorter than an Okta request could let a second worker resend its change.
        ("worker", _OKTA | _SLACK | {"ATTRSYNC_FIX_LEASE": "10"}, "ATTRSYNC_OKTA_TIMEOUT"),
    ],
)
def test_bot_settings_errors_name_the_variable(
    command: str, env: dict[str, str], variable: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command], env) == 2
    err = capsys.readouterr().err
    assert variable in err
    assert err.count("\n") == 1
