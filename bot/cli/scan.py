"""`attrsync scan APP`: page through the app's users with a progress line on a terminal, then
print the summary (text or JSON) and write the affected users to a CSV file if asked."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TextIO

from bot import csvfile
from bot.cli import exits
from bot.cli.okta import okta_client
from bot.config import Settings
from bot.scan.report import CSV_HEADER, csv_rows, render_text
from checks.errors import AppNotFound, UsageError
from checks.json_shapes import rendered, scan_json
from checks.rate_budget import background
from checks.scan import AppScan, Page, described, scan_app
from checks.scan_tally import Tally


async def scan(args: argparse.Namespace, env: Mapping[str, str], *, color: bool) -> int:
    settings = Settings.load(env)
    progress = sys.stderr if sys.stderr.isatty() else None
    with _csv(args.csv) as rows:
        # Bulk reading, even from a terminal: it leaves the people asking Slack room to ask.
        async with okta_client(args.demo, settings, env) as okta:
            try:
                with background():
                    app_scan = await AppScan.open(
                        okta, args.app, now=datetime.now(UTC), page_size=settings.scan_page_size
                    )
            except AppNotFound as exc:
                raise UsageError(described(exc)) from None

            async def on_page(page: Page, tally: Tally) -> None:
                if rows is not None:
                    rows.write(csvfile.lines(csv_rows(page.outcomes)))
                if progress is not None:
                    progress.write(f"\r  {tally.listed} users read, {tally.affected} affected …")
                    progress.flush()

            with background():
                result = await scan_app(app_scan, on_page=on_page)
    if progress is not None:
        progress.write("\r\033[K")
    print(rendered(scan_json(result)) if args.json else render_text(result, color=color))
    return exits.of_scan(result)


@contextlib.contextmanager
def _csv(path: str | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    try:
        handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"Cannot write the CSV file {path!r} ({exc.strerror}).") from None
    with handle:
        handle.write(csvfile.document(CSV_HEADER, ()))
        yield handle
