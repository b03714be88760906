"""The `--json` objects against docs/contract.md, from hand-built reports and scans: the keys
the contract's examples show, at every level and no others, and what the contract says of
their values. And the scan's tally as Redis keeps it, a format of its own, still reading the
records written before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checks.json_shapes import audit_json, rendered, report_json, scan_json
from checks.model import Finding, Fix, Report, Status, Verdict
from checks.scan import ScanResult
from checks.scan_tally import Outcome, Tally
from tests.harness import builders as b

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
RELINK = Fix("relink", True, "Unassign and reassign the user.")


def _example(heading: str) -> dict[str, Any]:
    """The JSON example under the contract's `## heading`."""
    section = CONTRACT.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    example: dict[str, Any] = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    return example


def _keys(value: object) -> object:
    """The shape of a JSON value: its keys, nested, with a list's shape that of its first
    item; scalars (null included) all alike."""
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value else []
    return None


UNLINKED = Finding(
    "external_id",
    Status.PROBLEM,
    "The Box user is not linked to the Okta user.",
    "Okta created the Box user before provisioning was on.",
    fix=RELINK,
    link="https://acme-admin.okta.com/admin/app/boxnet/instance/0oa1/",
    evidence=(("externalId", "none"),),
)


def _report(**changes: Any) -> Report:
    fields: dict[str, Any] = {
        "user": b.user(),
        "app": b.app(),
        "verdict": Verdict("external_id", "The Box user is not linked."),
        "findings": (Finding("user", Status.OK, "Jane Doe is active."), UNLINKED),
    }
    return Report(**(fields | changes))


def _scan(outcomes: list[Outcome], unread: str | None = None) -> ScanResult:
    app_findings = (Finding("update_attributes", Status.OK, "Update User Attributes is on."),)
    return ScanResult(b.app(), Tally().plus(outcomes), app_findings, unread, log_complete=True)


def _affected(count: int, check: str, fix: Fix | None = None) -> list[Outcome]:
    return [
        Outcome(f"00u{check}{n}", f"{check}{n}@example.com", check, f"{check} of {n}", fix)
        for n in range(count)
    ]


def test_why_json_has_the_contracts_keys() -> None:
    data = report_json(_report(findings=(UNLINKED,)))  # the example's one finding has a fix
    assert _keys(data) == _keys(_example("The JSON report (`why --json`)"))


def test_why_json_values() -> None:
    data = report_json(_report())
    assert data["user"] == {"id": b.USER_ID, "login": "jdoe@example.com"}
    assert data["app"] == {"id": b.APP_ID, "name": "boxnet", "label": "Box"}
    assert data["verdict"] == {"check": "external_id", "summary": "The Box user is not linked."}
    assert [f["check"] for f in data["findings"]] == ["user", "external_id"]
    ok, problem = data["findings"]
    assert ok["status"] == "ok" and ok["fix"] is None and ok["detail"] == ""
    assert problem["status"] == "problem"
    assert problem["fix"] == {"id": "relink", "automated": True, "summary": RELINK.summary}
    # Evidence and the console link are only ever in the detail: a tool has no other way.
    assert problem["detail"] == (
        "Okta created the Box user before provisioning was on.\n"
        "externalId: none\n"
        "Admin console: https://acme-admin.okta.com/admin/app/boxnet/instance/0oa1/"
    )


def test_why_json_of_an_unresolved_user_and_nothing_wrong() -> None:
    data = report_json(_report(user=None, app=None, verdict=Verdict(None, "…"), findings=()))
    assert data == {
        "user": None,
        "app": None,
        "verdict": {"check": None, "summary": "…"},
        "findings": [],
    }


def test_the_statuses_are_the_contracts() -> None:
    assert {status.value for status in Status} == {
        "ok", "problem", "warning", "unknown", "skipped",
    }  # fmt: skip


def test_scan_json_has_the_contracts_keys() -> None:
    result = _scan(_affected(2, "external_id", RELINK))
    assert _keys(scan_json(result)) == _keys(_example("The scan report (`scan --json`, `--csv`)"))


def test_scan_json_values() -> None:
    healthy = Outcome("00uok", "ok@example.com", None, "")
    unread = Outcome("00ugone", "?", "user", "could not be diagnosed")
    outcomes = [healthy, unread, *_affected(7, "external_id", RELINK), *_affected(2, "mapping")]
    data = scan_json(_scan(outcomes))
    assert (data["assigned"], data["scanned"]) == (11, 10)
    assert (data["complete"], data["incomplete"], data["system_log_complete"]) == (
        True,
        None,
        True,
    )
    assert data["app_findings"] == [
        {
            "check": "update_attributes",
            "status": "ok",
            "title": "Update User Attributes is on.",
            "detail": "",
            "fix": None,
        }
    ]
    # Largest first, at most five examples, the first affected user's finding as the title.
    assert [(c["check"], c["count"]) for c in data["causes"]] == [
        ("external_id", 7),
        ("mapping", 2),
        ("user", 1),
    ]
    relink, mapping, _ = data["causes"]
    assert relink["examples"] == [f"external_id{n}@example.com" for n in range(5)]
    assert relink["title"] == "external_id of 0"
    assert relink["automatable"] == 7
    assert relink["fix"] == {"id": "relink", "automated": True, "summary": RELINK.summary}
    assert mapping["automatable"] == 0 and mapping["fix"] is None


def test_scan_json_of_a_stopped_scan_says_why() -> None:
    data = scan_json(_scan(_affected(1, "mapping"), unread="Stopped after 80 users."))
    assert data["complete"] is False
    assert data["incomplete"] == "Stopped after 80 users."


def test_rendered_is_indented_and_keeps_non_ascii() -> None:
    assert rendered({"summary": "Müller …"}) == '{\n  "summary": "Müller …"\n}'


STORED = {
    "listed": 3,
    "scanned": 3,
    "pages": 1,
    "causes": [
        {
            "check": "external_id",
            "count": 2,
            "examples": ["a@example.com", "b@example.com"],
            "title": "a's finding",
            "fix": {"id": "relink", "automated": True, "summary": "Relink."},
            "automatable": 2,
        },
        {
            "check": "mapping",
            "count": 1,
            "examples": ["c@example.com"],
            "title": "c's finding",
            "fix": None,
            "automatable": 0,
        },
    ],
}
"""A tally as bot/store/scans.py wrote it to Redis before the contract's shapes moved out."""


def test_a_stored_tally_reads_back_and_is_written_the_same() -> None:
    tally = Tally.from_record(json.loads(json.dumps(STORED)))
    assert (tally.listed, tally.scanned, tally.pages, tally.affected) == (3, 3, 1, 3)
    assert tally.causes["external_id"].fix == Fix("relink", True, "Relink.")
    assert tally.causes["mapping"].examples == ("c@example.com",)
    assert tally.to_record() == STORED


def test_an_audit_line_has_the_contracts_keys_and_lists_for_lists() -> None:
    stored = {
        "id": "1764288000000-0",
        "at": "1764288000.000",
        "event": "done",
        "approval": "abc",
        "actor": "U0APPROVER",
        "fix": "relink",
        "user": "jdoe@example.com",
        "app": "Box",
        "plan": json.dumps(["DELETE /api/v1/apps/0oa1/users/00u1"]),
        "digest": "d",
        "result": "",
        "okta_request_ids": json.dumps(["reqA"]),
    }
    line = audit_json(stored)
    assert _keys(line) == _keys(_example("The audit trail (`audit --json`)"))
    assert line["at"] == 1764288000.0
    assert line["plan"] == ["DELETE /api/v1/apps/0oa1/users/00u1"]
    assert line["okta_request_ids"] == ["reqA"]
    older = audit_json({"id": "1-0", "at": "1", "event": "requested", "plan": "not json"})
    assert older.keys() == line.keys() and older["plan"] == [] and older["result"] == ""
