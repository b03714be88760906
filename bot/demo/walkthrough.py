"""`attrsync demo` and `--demo`: the built-in org served on loopback, and a tour of its cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from bot.demo import crowd
from bot.demo.org import SCENARIOS, build_demo_org
from bot.terminal import render_text
from checks.diagnose import diagnose
from checks.facts import Facts
from checks.okta import OktaClient, OktaSettings
from fakes.okta.server import serve

DEMO_TOKEN = "demo-token"


@asynccontextmanager
async def demo_okta() -> AsyncIterator[OktaSettings]:
    """Settings that reach the demo org, served on 127.0.0.1 for as long as this is open."""
    async with serve(build_demo_org(datetime.now(UTC)), token=DEMO_TOKEN) as fake:
        yield OktaSettings(org_url=fake.url, token=DEMO_TOKEN)


async def walk(*, color: bool) -> int:
    """Diagnose every demo scenario: the article's example in full, the others in short."""
    async with demo_okta() as settings, OktaClient.open(settings) as okta:
        print(f"Demo Okta org at {settings.org_url} — {len(SCENARIOS)} cases.\n")
        for number, case in enumerate(SCENARIOS, 1):
            command = " ".join(
                filter(None, ("attrsync why", case.user, _quoted(case.app), case.attribute))
            )
            print(f"── {number}. {case.story}\n$ {command}")
            facts = Facts(okta, case.user, case.app, case.attribute, now=datetime.now(UTC))
            report = await diagnose(facts)
            print(render_text(report, color=color, compact=number > 1), end="\n\n")
    print("Run any of them in full with: attrsync why USER APP --demo  (add --json for JSON)")
    stuck = crowd.BEFORE_PROVISIONING + crowd.TITLE_CHANGED + crowd.PUSH_FAILED
    print(
        f"See a whole app at once with: attrsync scan salesforce --demo  "
        f"({crowd.USERS} users, {stuck} of them stuck)"
    )
    return 0


def _quoted(word: str) -> str:
    return f'"{word}"' if " " in word else word
