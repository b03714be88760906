"""The fake Okta's System Log events against Okta's event-type catalogue
(`../shared/okta-spec/okta-event-types.csv`, or `$ATTRSYNC_OKTA_EVENT_TYPES`): every type it
logs and every type triage watches exists, says what the catalogue says, and is sent by an
Event Hook only where the catalogue marks it event-hook-eligible."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo.org import build_demo_org
from bot.watch.triggers import APP_FAILURES, WATCHED
from fakes.okta.shapes import DISPLAY_MESSAGES


@pytest.fixture(scope="module")
def catalogue() -> dict[str, tuple[str, set[str]]]:
    """eventType -> (description, tags)."""
    configured = os.environ.get("ATTRSYNC_OKTA_EVENT_TYPES")
    default = Path(__file__).resolve().parents[3] / "shared/okta-spec/okta-event-types.csv"
    path = Path(configured) if configured else default
    if not path.exists():
        if os.environ.get("ATTRSYNC_REQUIRE_SPEC") == "1":
            pytest.fail(f"Okta's event catalogue not found at {path} (ATTRSYNC_REQUIRE_SPEC=1)")
        pytest.skip(f"Okta's event catalogue not found at {path}")
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return {
        row["Event Type"]: (row["Description"], {t.strip() for t in row["Tags"].split(",")})
        for row in rows
    }


def test_every_type_the_fake_logs_or_triage_watches_is_okta_s(
    catalogue: dict[str, tuple[str, set[str]]],
) -> None:
    logged = {e["eventType"] for e in build_demo_org(datetime.now(UTC)).logs}
    assert logged <= catalogue.keys(), logged - catalogue.keys()
    assert set(WATCHED) <= catalogue.keys(), set(WATCHED) - catalogue.keys()


def test_the_fake_s_display_messages_are_the_catalogue_s(
    catalogue: dict[str, tuple[str, set[str]]],
) -> None:
    assert set(WATCHED) <= DISPLAY_MESSAGES.keys()
    for kind, message in DISPLAY_MESSAGES.items():
        assert catalogue[kind][0].startswith(message), (kind, catalogue[kind][0])


def test_only_hook_eligible_types_are_sent_by_a_hook(
    catalogue: dict[str, tuple[str, set[str]]],
) -> None:
    """What an Event Hook can send; the rest reaches attrsync only by `attrsync watch`."""
    polled_only = {k for k in WATCHED if "event-hook-eligible" not in catalogue[k][1]}
    assert polled_only == {"application.provision.user.deactivate", *APP_FAILURES}
