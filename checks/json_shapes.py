"""The `--json` objects of docs/contract.md, built from the checks' data in one place: the
contract's shapes change only here, and only for a very good reason. What Redis keeps is
another format, however alike (`scan_tally.Tally.to_record`, the audit stream's entries)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from checks.model import Finding, Fix, Report
from checks.scan import ScanResult
from checks.scan_tally import Cause


def report_json(report: Report) -> dict[str, Any]:
    """`attrsync why --json`."""
    return {
        "user": {"id": report.user.id, "login": report.user.login} if report.user else None,
        "app": (
            {"id": report.app.id, "name": report.app.name, "label": report.app.label}
            if report.app
            else None
        ),
        "verdict": {"check": report.verdict.check, "summary": report.verdict.summary},
        "findings": [_finding_json(f) for f in report.findings],
    }


def scan_json(result: ScanResult) -> dict[str, Any]:
    """`attrsync scan --json`."""
    app = result.app
    return {
        "app": {"id": app.id, "name": app.name, "label": app.label},
        "assigned": result.tally.listed,
        "scanned": result.tally.scanned,
        "complete": result.complete,
        "incomplete": result.unread,
        "system_log_complete": result.log_complete,
        "app_findings": [_finding_json(f) for f in result.app_findings],
        "causes": [_cause_json(c) for c in result.tally.ordered()],
    }


AUDIT_TEXT = ("event", "approval", "actor", "fix", "user", "app", "digest", "result")


def audit_json(entry: Mapping[str, str]) -> dict[str, Any]:
    """One line of `attrsync audit --json`, from an entry as the audit stream keeps it (every
    value text; entries from before a field existed lack it)."""
    return {
        "id": entry.get("id", ""),
        "at": float(entry.get("at") or 0),
        **{name: entry.get(name, "") for name in AUDIT_TEXT},
        "plan": _listed(entry.get("plan")),
        "okta_request_ids": _listed(entry.get("okta_request_ids")),
    }


def _listed(kept: str | None) -> list[Any]:
    try:
        found = json.loads(kept or "[]")
    except ValueError:
        return []
    return found if isinstance(found, list) else []


def rendered(shape: dict[str, Any]) -> str:
    """One of these objects as the terminal prints it: indented, non-ASCII as is."""
    return json.dumps(shape, indent=2, ensure_ascii=False)


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check,
        "status": finding.status.value,
        "title": finding.title,
        "detail": _full_detail(finding),
        "fix": _fix_json(finding.fix),
    }


def _cause_json(cause: Cause) -> dict[str, Any]:
    return {
        "check": cause.check,
        "count": cause.count,
        "examples": list(cause.examples),
        "title": cause.title,
        "fix": _fix_json(cause.fix),
        "automatable": cause.automatable,
    }


def _full_detail(finding: Finding) -> str:
    """The detail with its evidence and console link: a tool reading the JSON has no other
    way to see what a terminal shows under the finding."""
    parts = [finding.detail] if finding.detail else []
    parts += [f"{label}: {value}" for label, value in finding.evidence]
    if finding.link:
        parts.append(f"Admin console: {finding.link}")
    return "\n".join(parts)


def _fix_json(fix: Fix | None) -> dict[str, Any] | None:
    return {"id": fix.id, "automated": fix.automated, "summary": fix.summary} if fix else None
