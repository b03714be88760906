"""Slash commands against the running bot on loopback: how fast Slack gets its ack, and how
long until the report is posted, with a fixed latency L on every fake Okta answer.

Targets (issue 3): ack p99 < 100 ms under 50 concurrent commands (Slack allows 3 s); command
to posted report <= 3 L + 150 ms.

    .venv/bin/python -m bench.slack_bot [--concurrent 50] [--latency 0.05] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

from bot.demo.org import build_demo_org
from bot.demo.server import serve
from tests.bot_harness import Bot, bot_settings, running_bot
from tests.fakes.slack import FakeSlack, serve_slack


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _report_seconds(bot: Bot, slack: FakeSlack, text: str) -> tuple[float, float]:
    """(ack seconds, seconds from sending the command to the report being posted)."""
    channel = "C" + uuid.uuid4().hex[:10].upper()
    started = time.monotonic()
    await bot.command(text, channel=channel)
    acked = time.monotonic() - started
    while True:
        posts = [p for p in slack.calls_to("chat.postMessage") if p.args["channel"] == channel]
        if posts:
            return acked, posts[0].received - started
        if time.monotonic() - started > 30:
            raise TimeoutError(f"no report for {text!r} within 30 s")
        await asyncio.sleep(0.001)


async def main(concurrent: int, latency: float, runs: int) -> None:
    async with (
        serve(build_demo_org(datetime.now(UTC)), token="test-token-do-not-print") as okta,
        serve_slack() as slack,
        running_bot(bot_settings(okta.url, slack), slack) as bot,
    ):
        await _report_seconds(bot, slack, "why asmith box")  # warm up: auth.test, connections
        okta.latency = latency
        one_by_one = [await _report_seconds(bot, slack, "why jdoe box") for _ in range(runs)]
        burst = await asyncio.gather(
            *(_report_seconds(bot, slack, "why jdoe box") for _ in range(concurrent))
        )
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
