"""`attrsync` in a terminal never imports the okta SDK: `okta.client` (and the generated models
any `okta.*` import brings) cost seconds before the first request. Checked in fresh processes,
with an API token (the demo org) and with an OAuth service app (the fake's token issuer)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.demo.org import build_demo_org
from fakes.okta.oauth import key_pair
from fakes.okta.server import serve

ROOT = Path(__file__).resolve().parents[2]

# `python -m bot ARGS…`, then the okta and aiohttp modules it imported, as JSON on stderr's last
# line (atexit: after the command has returned its exit code).
RUNNER = """
import atexit, json, runpy, sys
def imported():
    found = sorted(m for m in sys.modules if m.partition(".")[0] in ("okta", "aiohttp"))
    print(json.dumps(found), file=sys.stderr)
atexit.register(imported)
sys.argv = ["attrsync", *sys.argv[1:]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


async def _attrsync(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, list[str]]:
    """(exit code, stdout, modules imported) of `python -m bot ARGS` in a fresh process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUNNER,
        *args,
        cwd=tmp_path,  # no .env of the checkout's
        env=_environment(env or {}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    *_, last = err.decode().splitlines() or [""]
    assert process.returncode is not None
    return process.returncode, out.decode(), json.loads(last)


def _environment(extra: dict[str, str]) -> dict[str, str]:
    # conftest has already removed OKTA_/SLACK_/ATTRSYNC_ variables from this process.
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return base | {"PYTHONPATH": str(ROOT), "NO_COLOR": "1"} | extra


def _okta_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "okta" or m.startswith("okta.")]


async def test_help_imports_neither_okta_nor_aiohttp(tmp_path: Path) -> None:
    code, out, modules = await _attrsync(tmp_path, "--help")
    assert code == 0
    assert "why" in out
    assert modules == []


async def test_why_with_the_demo_org_never_imports_okta(tmp_path: Path) -> None:
    code, out, modules = await _attrsync(tmp_path, "why", "jdoe", "box", "--demo")
    assert code == 1  # the demo's jdoe has a problem in Box
    assert out.startswith("attrsync · jdoe@example.com in Box")
    assert "aiohttp" in modules  # it did talk to Okta
    assert _okta_modules(modules) == []


async def test_why_with_an_oauth_service_app_imports_only_the_sdks_jwt(tmp_path: Path) -> None:
    """OAuth signs its client assertion with the okta SDK's `okta.jwt`, never `okta.client`."""
    private_pem, public_pem = key_pair()
    state = build_demo_org(datetime.now(UTC))
    async with serve(state, oauth_client=("0oacli", public_pem)) as fake:
        env = {
            "OKTA_ORG_URL": fake.url,
            "OKTA_CLIENT_ID": "0oacli",
            "OKTA_PRIVATE_KEY": private_pem,
        }
        code, out, modules = await _attrsync(tmp_path, "why", "jdoe", "box", "--json", env=env)
    assert code == 1
    assert json.loads(out)["verdict"]["check"] == "external_id"
    assert "okta.jwt" in modules
    assert "okta.client" not in modules
    assert not [m for m in modules if m.startswith(("okta.api.", "okta.request_executor"))]
    token_requests = [r for r in fake.requests if r.path == "/oauth2/v1/token"]
    api = [r for r in fake.requests if r.path.startswith("/api/")]
    assert len(token_requests) == 1
    assert len(api) > 1
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in api)
    assert not fake.errors, fake.errors
