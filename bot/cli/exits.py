"""The exit codes of every `attrsync` command, defined once (`docs/contract.md`)."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from checks.model import Status

if TYPE_CHECKING:  # `attrsync --help` must not pay for the engine
    from checks.model import Report
    from checks.scan import ScanResult


class Exit(IntEnum):
    OK = 0
    """Nothing wrong found."""
    PROBLEM = 1
    """A cause found (a problem in the report, or users a scan found affected)."""
    USAGE = 2
    """The command line was wrong."""
    INCOMPLETE = 3
    """The answer is not whole: Okta or Redis failed, or a scan stopped early."""


def of_report(report: Report) -> Exit:
    if report.has_problem:
        return Exit.PROBLEM
    return Exit.INCOMPLETE if report.faults else Exit.OK


def of_scan(result: ScanResult) -> Exit:
    if not result.complete:
        return Exit.INCOMPLETE
    app_problem = any(f.status is Status.PROBLEM for f in result.app_findings)
    return Exit.PROBLEM if result.tally.affected or app_problem else Exit.OK
