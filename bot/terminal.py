"""Report -> text for a terminal (its JSON object is checks/json_shapes.py's)."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from typing import Any

from checks.model import Finding, Report, Status

_MARKS = {
    Status.OK: ("✓", "32"),
    Status.PROBLEM: ("✗", "31"),
    Status.WARNING: ("!", "33"),
    Status.UNKNOWN: ("?", "35"),
    Status.SKIPPED: ("-", "2"),
}
_WIDTH = 100


def render_text(report: Report, *, color: bool, compact: bool = False) -> str:
    """Verdict first, then a line per check; evidence under the ones that are not ok."""
    paint = painter(color)
    who = report.user.login if report.user else "?"
    where = report.app.label if report.app else "?"
    lines = [paint("1", f"attrsync · {who} in {where}"), ""]
    top = next((f for f in report.findings if f.check == report.verdict.check), None)
    if top is not None:
        lines += wrap(paint("1;31", "Cause: ") + report.verdict.summary, "  ")
        if top.fix:
            how = "attrsync can do it after approval" if top.fix.automated else "manual"
            lines += wrap(f"Fix ({how}): {top.fix.summary}", "  ", first="  ")
    else:
        lines += wrap(paint("1;32", "Verdict: ") + report.verdict.summary, "  ")
    lines.append("")
    for finding in report.findings:
        if compact and finding.status in (Status.OK, Status.SKIPPED):
            continue
        mark, code = _MARKS[finding.status]
        head = f"{paint(code, mark)} {finding.check:<17} "
        lines += wrap(finding.title, " " * 20, first=head)
        if finding.status is not Status.OK:
            lines += [line for text in _details(finding) for line in wrap(text, " " * 20)]
            if finding.link:
                lines.append(" " * 20 + f"→ {finding.link}")
    for fault in report.faults:
        lines += wrap(paint("35", "Incomplete: ") + fault, "  ")
    return "\n".join(lines)


def _details(finding: Finding) -> list[str]:
    texts = finding.detail.splitlines() if finding.detail else []
    return texts + [f"{label}: {value}" for label, value in finding.evidence]


def wrap(text: str, indent: str, *, first: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first or indent]


def painter(color: bool) -> Any:
    def paint(code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    return paint


def render_audit_line(entry: dict[str, Any]) -> str:
    """One audit entry as a line: when, what, who, which fix for whom, and the outcome."""
    at = datetime.fromtimestamp(float(entry["at"]), UTC).strftime("%Y-%m-%d %H:%M:%S")
    line = (
        f"{at}Z {entry['event']:<9} {entry['actor']:<12} {entry['fix']} "
        f"{entry['user']} in {entry['app']} [{entry['approval']}]"
    )
    calls = json.loads(entry.get("plan") or "[]")
    if entry["event"] in ("requested", "done", "failed"):
        line += "".join(f"\n    {call}" for call in calls)
    if entry.get("result"):
        line += f"\n    result: {entry['result']}"
    return line
