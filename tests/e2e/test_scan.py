"""Scanning a whole app against the fake Okta: counts by cause, one list request per page and
none per user, resuming from a saved cursor, and pages Okta will not give."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cli.scan import scan
from bot.demo import crowd
from bot.scan.report import csv_document, csv_rows
from checks.errors import AppNotFound, OktaForbidden
from checks.json_shapes import scan_json
from checks.okta import OktaClient
from checks.scan import AppScan, Page, scan_app
from checks.scan_tally import Outcome, Tally
from fakes.okta.server import FakeOkta, Fault
from tests.conftest import TOKEN
from tests.harness.spreadsheets import BROKEN_REASON, break_push_reasons, spreadsheet_rows

EXPECTED = {
    "external_id": crowd.BEFORE_PROVISIONING,
    "mapping": crowd.TITLE_CHANGED,
    "push_errors": crowd.PUSH_FAILED,
}


async def _no_pause(seconds: float) -> None:
    return None


async def _open(okta: OktaClient, app: str = "salesforce", page_size: int = 500) -> AppScan:
    return await AppScan.open(okta, app, now=datetime.now(UTC), page_size=page_size)


async def test_counts_each_cause_once_per_user(okta: OktaClient, fake_okta: FakeOkta) -> None:
    result = await scan_app(await _open(okta))
    assert result.complete and result.log_complete
    assert result.tally.listed == result.tally.scanned == crowd.USERS
    assert {c.check: c.count for c in result.tally.causes.values()} == EXPECTED
    relink = result.tally.causes["external_id"]
    assert relink.fix is not None and relink.fix.id == "relink"
    assert relink.automatable == crowd.BEFORE_PROVISIONING
    assert len(relink.examples) == 5
    assert [c.check for c in result.tally.ordered()] == ["external_id", "mapping", "push_errors"]
    assert {f.check for f in result.app_findings} == {
        "provisioning",
        "credentials",
        "update_attributes",
        "deactivate_users",
    }


async def test_reads_pages_not_users(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.requests.clear()
    scan = await _open(okta, page_size=50)
    opened = len(fake_okta.requests)
    await scan_app(scan)
    pages = [r for r in fake_okta.requests if r.path.endswith("/users")]
    assert len(pages) == -(-crowd.USERS // 50)
    assert all(r.query.get("expand") == "user" for r in pages)
    assert all(r.query.get("limit") == "50" for r in pages)
    # The first page and every user type's mapping come with the app-level facts …
    with_the_app = [r.path for r in fake_okta.requests[:opened]]
    assert pages[0].path in with_the_app
    assert {"/api/v1/mappings", f"/api/v1/mappings/{_mapping_id(fake_okta)}"} <= set(with_the_app)
    # … and per user nothing: the scan itself reads pages only.
    assert [r for r in fake_okta.requests[opened:] if r not in pages] == []


async def test_a_scan_takes_the_app_lookup_and_its_pages_in_round_trips(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    """The app-level facts, the mappings (list, then details) and the first page go out
    together right after the app lookup; each next page as soon as the one before arrives."""
    fake_okta.latency = 0.15  # big enough that concurrent requests overlap on any machine
    fake_okta.requests.clear()
    await scan_app(await _open(okta, page_size=50))
    pages = -(-crowd.USERS // 50)
    assert fake_okta.round_trips() == 1 + pages


def _mapping_id(fake_okta: FakeOkta) -> str:
    app = fake_okta.state.find_app("salesforce")
    assert app is not None
    ids = [m["id"] for m in fake_okta.state.mappings.values() if m["target"]["id"] == app["id"]]
    return str(ids[0])


async def test_resumes_from_a_saved_cursor_with_the_same_totals(okta: OktaClient) -> None:
    whole = await scan_app(await _open(okta, page_size=40))
    saved: list[tuple[str | None, Tally]] = []

    async def save(page: Page, tally: Tally) -> None:
        saved.append((page.next_url, tally))

    async def after_two_pages() -> bool:
        return len(saved) == 2

    first = await scan_app(await _open(okta, page_size=40), on_page=save, stopped=after_two_pages)
    assert not first.complete and first.unread == "Stopped after 80 users."
    cursor, tally = saved[-1]
    restored = Tally.from_record(json.loads(json.dumps(tally.to_record())))
    resumed = await scan_app(await _open(okta, page_size=40), cursor=cursor, tally=restored)
    assert resumed.complete
    assert resumed.tally == whole.tally


async def test_a_page_okta_keeps_refusing_ends_the_scan_incomplete(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    refuse = Fault.status(500, path=r"/api/v1/apps/[^/]+/users$", method="GET")
    refuse.skip = 1  # the first page, read with the app-level facts, comes through
    fake_okta.faults.append(refuse)
    scan = await _open(okta, page_size=100)
    result = await scan_app(scan, pause=_no_pause)
    assert not result.complete
    assert result.unread is not None and result.unread.startswith(
        "Okta's page 2 of app users could not be read:"
    )
    assert result.tally.listed == 100  # what was read is kept, and said to be partial
    assert scan_json(result)["complete"] is False


async def test_a_page_that_fails_once_is_read_again(okta: OktaClient, fake_okta: FakeOkta) -> None:
    scan = await _open(okta, page_size=100)
    fake_okta.faults.append(Fault.status(503, path=r"/users$", method="GET", times=3))
    result = await scan_app(scan, pause=_no_pause)
    assert result.complete and result.tally.listed == crowd.USERS


async def test_a_user_deleted_between_pages_does_not_end_the_listing(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    scan = await _open(okta, page_size=60)
    state = fake_okta.state
    app = state.find_app("salesforce")
    assert app is not None
    gone: list[str] = []

    async def delete_the_cursor_user(page: Page, tally: Tally) -> None:
        if not gone:
            last = page.outcomes[-1].user_id
            del state.app_users[(app["id"], last)]
            gone.append(last)

    result = await scan_app(scan, on_page=delete_the_cursor_user)
    assert result.complete
    assert result.tally.listed == crowd.USERS


async def test_an_unknown_app_and_an_app_without_users(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    with pytest.raises(AppNotFound, match="No Okta app is labelled or named 'nope'"):
        await _open(okta, "nope")
    result = await scan_app(await _open(okta, "github"))
    assert result.complete and result.tally.listed == 0 and not result.tally.causes


def test_csv_rows_are_safe_for_spreadsheets() -> None:
    outcomes = (
        Outcome("00u1", "=cmd|'/c calc'!A1@example.com", "external_id", "no external ID, say"),
        Outcome("00u2", "fine@example.com", None, ""),
        Outcome("00u3", 'comma,quote"@example.com', "mapping", "-1 + 2"),
    )
    rows = list(csv.reader(io.StringIO(csv_document(csv_rows(outcomes)), newline="")))
    assert rows == [
        ["login", "user_id", "check", "summary"],
        ["'=cmd|'/c calc'!A1@example.com", "00u1", "external_id", "no external ID, say"],
        ['comma,quote"@example.com', "00u3", "mapping", "'-1 + 2"],
    ]


def test_the_command_writes_json_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "affected.csv"
    code = main(["scan", "salesforce", "--demo", "--json", "--csv", str(path)], env={})
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["assigned"] == out["scanned"] == crowd.USERS and out["complete"] is True
    assert [c["check"] for c in out["causes"]] == ["external_id", "mapping", "push_errors"]
    assert out["causes"][0]["fix"]["id"] == "relink"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == sum(EXPECTED.values())
    assert {r["check"] for r in rows} == set(EXPECTED)


async def test_the_csv_file_keeps_a_reasons_line_breaks_in_its_cell(
    fake_okta: FakeOkta, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert break_push_reasons(fake_okta) >= crowd.PUSH_FAILED
    path = tmp_path / "affected.csv"
    args = argparse.Namespace(app="salesforce", demo=False, json=True, csv=str(path))
    env = {"OKTA_ORG_URL": fake_okta.url, "OKTA_API_TOKEN": TOKEN}
    assert await scan(args, env, color=False) == 1
    capsys.readouterr()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = spreadsheet_rows(handle.read())
    assert rows[0] == ["login", "user_id", "check", "summary"]
    assert len(rows) == 1 + sum(EXPECTED.values())
    pushes = [r for r in rows if r[2] == "push_errors"]
    assert len(pushes) == crowd.PUSH_FAILED
    assert all(r[3].endswith(BROKEN_REASON) for r in pushes)


def test_the_command_explains_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "zz-no-such-app", "--demo"], env={}) == 2
    assert main(["scan", "box", "--demo", "--csv", "/nonexistent/dir/x.csv"], env={}) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "attrsync: No Okta app is labelled or named 'zz-no-such-app'."
    assert err[1].startswith("attrsync: Cannot write the CSV file '/nonexistent/dir/x.csv'")


def test_an_ambiguous_app_lists_the_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "g", "--demo"], env={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("attrsync: 'g' matches 2 apps. It could be: GitHub (github, 0oa")
    assert "Google Workspace (google, 0oa" in err


async def test_a_scan_that_cannot_open_leaves_no_read_running(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    """The System Log refuses while the group assignments are still on the wire: the scan
    fails at once, and nothing it started goes on (no task, no later request)."""
    fake_okta.latency = 0.05
    fake_okta.faults.append(Fault.status(403, path=r"^/api/v1/logs$", method="GET"))
    fake_okta.faults.append(Fault.delay(0.3, path=r"/groups$", method="GET"))
    with pytest.raises(OktaForbidden):
        await _open(okta)
    sent = len(fake_okta.requests)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and _ours(t)]
    await asyncio.sleep(0.4)
    assert len(fake_okta.requests) == sent


def _ours(task: asyncio.Task[object]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and "/checks/" in code.co_filename
