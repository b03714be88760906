"""Slash commands against the running bot on loopback: how fast Slack gets its ack, and how
long until the report is posted, with a fixed latency L on every fake Okta answer. The fake
Okta and the fake Slack run in a process of their own (bench/peers.py).

Targets (issue 3): ack p99 < 100 ms under 50 concurrent commands (Slack allows 3 s); command
to posted report <= 3 L + 150 ms.

    .venv/bin/python -m bench.slack_bot [--concurrent 50] [--latency 0.05] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid

import aiohttp

from bot.config import DEFAULT_REDIS_URL, Settings
from bot.runtime.processes import http_server
from bot.services import open_services
from bot.slack.app import build_app
from fakes.slack.payloads import post_signed, slash_command

SECRET = "bench-signing-secret"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _commands(
    http: aiohttp.ClientSession, bot_url: str, slack_url: str, texts: list[str]
) -> list[tuple[float, float]]:
    """Send the commands at once; per command (ack seconds, seconds until its report was
    posted), the post time as the fake Slack recorded it."""
    channels = ["C" + uuid.uuid4().hex[:10].upper() for _ in texts]

    async def send(text: str, channel: str) -> tuple[float, float]:
        body = slash_command(text, response_url=f"{slack_url}/response/bench", channel_id=channel)
        started = time.time()
        status, _, acked = await post_signed(http, f"{bot_url}/slack/events", body, SECRET)
        assert status == 200, status
        return started, acked

    sent = await asyncio.gather(*(send(t, c) for t, c in zip(texts, channels, strict=True)))
    posted: dict[str, float] = {}
    deadline = time.time() + 30
    while not posted.keys() >= set(channels) and time.time() < deadline:
        await asyncio.sleep(0.02)  # one poller: the fake Slack times the posts, not this loop
        async with http.get(f"{slack_url}/_posted") as answer:
            for call in await answer.json():
                posted.setdefault(call["channel"], call["at"])
    missing = [c for c in channels if c not in posted]
    if missing:
        raise TimeoutError(f"{len(missing)} reports not posted within 30 s")
    return [
        (acked, posted[c] - started) for (started, acked), c in zip(sent, channels, strict=True)
    ]


async def main(concurrent: int, latency: float, runs: int) -> None:
    peers = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.peers", str(latency),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert peers.stdout is not None and peers.stdin is not None
    urls = json.loads(await peers.stdout.readline())
    settings = Settings.from_env(
        {
            "OKTA_ORG_URL": urls["okta"],
            "OKTA_API_TOKEN": "bench-token",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{urls['slack']}/api/",
            "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
            "ATTRSYNC_REDIS_PREFIX": f"attrsync-bench-{uuid.uuid4().hex[:8]}:",
        }
    )
    try:
        async with (
            open_services(settings, settings.require_okta()) as services,
            http_server(build_app(services), services, "127.0.0.1", 0) as bot_url,
            aiohttp.ClientSession() as http,
        ):
            slack_url = urls["slack"]
            await _commands(http, bot_url, slack_url, ["why asmith box"])  # warm up
            one_by_one = [
                (await _commands(http, bot_url, slack_url, ["why jdoe box"]))[0]
                for _ in range(runs)
            ]
            burst = await _commands(http, bot_url, slack_url, ["why jdoe box"] * concurrent)
    finally:
        peers.stdin.close()
        await peers.wait()
    print(
        f"fake Okta latency L = {latency * 1000:.0f} ms; target report <= 3 L + 150 ms "
        f"= {(3 * latency + 0.15) * 1000:.0f} ms\n"
    )
    print("| load | ack p50 | ack p99 | report p50 | report p99 |")
    print("|---|---:|---:|---:|---:|")
    for name, sample in ((f"one at a time ({runs})", one_by_one), (f"{concurrent} at once", burst)):
        acks = [a * 1000 for a, _ in sample]
        reports = [r * 1000 for _, r in sample]
        print(
            f"| {name} | {statistics.median(acks):.1f} ms | {_percentile(acks, 0.99):.1f} ms "
            f"| {statistics.median(reports):.0f} ms | {_percentile(reports, 0.99):.0f} ms |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    asyncio.run(main(options.concurrent, options.latency, options.runs))
