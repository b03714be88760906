"""A scan's result -> text for a terminal, and CSV rows (its JSON object is
checks/json_shapes.py's)."""

from __future__ import annotations

from collections.abc import Iterable

from bot import csvfile
from bot.terminal import painter, wrap
from checks.model import Status
from checks.scan import ScanResult
from checks.scan_tally import Outcome

CSV_HEADER = ("login", "user_id", "check", "summary")
BAR = 30


def render_text(result: ScanResult, *, color: bool) -> str:
    paint = painter(color)
    tally = result.tally
    lines = [paint("1", f"attrsync scan · {result.app.label} ({result.app.name})"), ""]
    scanned = f"{tally.scanned} of {tally.listed} assigned users checked"
    lines.append(f"  {scanned}; {tally.affected} affected.")
    if result.unread:
        lines += wrap(paint("35", "Incomplete: ") + result.unread, "  ")
    if not result.log_complete:
        lines += wrap(
            "The System Log held more events than a scan reads; push errors and changed "
            "attributes were judged from the newest ones.",
            "  ",
        )
    app_problems = [f for f in result.app_findings if f.status is not Status.OK]
    if app_problems:
        lines += ["", paint("1", "For every user of the app:")]
        for finding in app_problems:
            lines += wrap(f"{finding.check}: {finding.title}", "    ", first="  ✗ ")
    if tally.causes:
        lines += ["", paint("1", "Affected users by cause:")]
        most = max(c.count for c in tally.causes.values())
        for cause in tally.ordered():
            bar = "█" * max(1, round(BAR * cause.count / most))
            lines.append(f"  {cause.check:<17} {cause.count:>6}  {paint('31', bar)}")
            lines += wrap(f"e.g. {cause.title}", " " * 20)
            lines += wrap("Users: " + ", ".join(cause.examples), " " * 20)
            if cause.fix is not None:
                how = (
                    f"automated for {cause.automatable} of {cause.count}"
                    if cause.automatable
                    else "manual"
                )
                lines += wrap(f"Fix ({how}): {cause.fix.summary}", " " * 20)
    elif not app_problems and result.complete:
        lines += ["", paint("1;32", "  Nobody affected: every assigned user is in sync.")]
    return "\n".join(lines)


def csv_rows(outcomes: Iterable[Outcome]) -> list[str]:
    """The CSV records (no header, no line ends) of the affected users among `outcomes`."""
    return [
        csvfile.record((outcome.login, outcome.user_id, outcome.check, outcome.summary))
        for outcome in outcomes
        if outcome.check is not None
    ]


def csv_document(rows: Iterable[str]) -> str:
    """The CSV file of a scan: the header, then the records from `csv_rows`."""
    return csvfile.document(CSV_HEADER, rows)
