"""The `attrsync` command. Imports stay inside the commands: `--help` must not pay for them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from bot.cli.exits import Exit


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attrsync",
        description="Explain why a change to an Okta user's profile did not reach an app.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    why = commands.add_parser(
        "why",
        help="diagnose one user in one app",
        description="Diagnose why USER's Okta attribute changes do not reach APP.",
        epilog="Exit codes: 0 no problem found, 1 problem(s) found, 2 usage or configuration "
        "error, 3 could not complete.",
    )
    why.add_argument("user", help="Okta login, email, login short name (jdoe) or user id")
    why.add_argument("app", help="app label or name, e.g. Box or boxnet (a unique prefix will do)")
    why.add_argument("attribute", nargs="?", help="the app attribute you care about, e.g. lastName")
    why.add_argument("--json", action="store_true", help="print the report as one JSON object")
    why.add_argument("--demo", action="store_true", help="use the built-in demo Okta org")
    scan = commands.add_parser(
        "scan",
        help="check every user assigned to an app at once",
        description="Check every user assigned to APP and group the affected ones by cause.",
        epilog="Exit codes: 0 nobody affected, 1 some affected, 2 usage or configuration error, "
        "3 incomplete (some users could not be read).",
    )
    scan.add_argument("app", help="app label or name, e.g. Box or boxnet (a unique prefix will do)")
    scan.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    scan.add_argument("--csv", metavar="FILE", help="write one row per affected user to FILE")
    scan.add_argument("--demo", action="store_true", help="use the built-in demo Okta org")
    for name, what in (
        ("serve", "run the Slack bot over HTTP (Events API) on $PORT"),
        ("socket", "run the Slack bot in Socket Mode (needs SLACK_APP_TOKEN)"),
        ("worker", "run approved fixes (serve and socket run one unless --no-worker)"),
        ("watch", "follow Okta's System Log and triage sync failures as they happen"),
    ):
        bot = commands.add_parser(name, help=what, description=what[0].upper() + what[1:] + ".")
        bot.add_argument("--demo", action="store_true", help="answer from the built-in demo org")
        if name != "worker":
            bot.add_argument(
                "--no-worker", action="store_true", help="leave approved fixes to `attrsync worker`"
            )
        if name == "watch":
            bot.add_argument(
                "--replay",
                type=_hours,
                default=0.0,
                metavar="HOURS",
                help="on a first start, begin HOURS back (e.g. 24 with --demo: its day of events)",
            )
    audit = commands.add_parser(
        "audit", help="print the audit trail of fixes", description="Print the audit trail."
    )
    audit.add_argument("--count", type=int, default=50, help="how many entries (newest)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    commands.add_parser(
        "demo",
        help="walk through the built-in demo org's scenarios (no credentials needed)",
        description="Start the built-in demo Okta org and diagnose each of its scenarios.",
    )
    return parser


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= 24 * 7:
        raise argparse.ArgumentTypeError("HOURS must be a number from 0 to 168 (a week)")
    return hours


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command; `env` replaces the process environment (and `.env`) when given."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the error
        return Exit.USAGE if exc.code else 0
    from bot.cli.main import run

    return run(args, _environment() if env is None else env)


def _environment() -> dict[str, str]:
    """The process environment over the values of a `.env` file, if there is one."""
    env: dict[str, str] = {}
    if os.path.exists(".env"):
        from dotenv import dotenv_values

        env = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return env | dict(os.environ)


if __name__ == "__main__":
    sys.exit(main())
