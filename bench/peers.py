"""The bot's peers for a benchmark, in a process of their own: the fake Okta (demo org) and
the fake Slack. Prints their URLs as one JSON line, serves until stdin closes.

A benchmark that ran them in the bot's own process would time their work as the bot's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime

from aiohttp import web

from bot.demo.org import build_demo_org
from fakes.okta.server import serve
from fakes.serving import serving
from fakes.slack.server import FakeSlack


async def main(latency: float) -> None:
    slack = FakeSlack()

    async def posted(request: web.Request) -> web.Response:
        """chat.postMessage calls so far, with wall-clock times the parent can compare."""
        offset = time.time() - time.monotonic()
        calls = [
            {"channel": c.args.get("channel"), "at": c.received + offset}
            for c in slack.calls_to("chat.postMessage")
        ]
        return web.json_response(calls)

    slack.app.router.add_get("/_posted", posted)
    async with (
        serve(build_demo_org(datetime.now(UTC)), token="bench-token", latency=latency) as okta,
        serving(slack.app) as slack_url,
    ):
        slack.base_url = slack_url
        print(json.dumps({"okta": okta.url, "slack": slack_url}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.05))
