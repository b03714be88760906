"""Every CSV attrsync writes opens in a spreadsheet as the rows it holds: a line break inside a
cell is quoted (a spreadsheet would otherwise start a row inside the cell), and a cell that
would run as a formula is prefixed with '."""

from __future__ import annotations

import csv
import io
from dataclasses import astuple

from redis.asyncio import Redis

from bot import csvfile
from bot.scan.report import CSV_HEADER, csv_document, csv_rows
from bot.store.bulk import Bulks, UserDone
from bot.store.keys import Keys
from bot.store.scans import Scans
from checks.scan_tally import Outcome, Tally
from tests.harness.spreadsheets import records, unquoted_breaks

AWKWARD = (
    "line one\nline two",
    "carriage\rreturn",
    "windows\r\nbreak",
    "ends with a break\n",
    '=HYPERLINK("http://evil.example")',
    "\r=cmd|'/c calc'!A1",
    'comma, "quote"',
    "plain",
)


def test_line_breaks_stay_inside_their_cells() -> None:
    rows = [csvfile.record((cell, "00u1")) for cell in AWKWARD]
    text = csvfile.document(("cell", "user_id"), rows)
    assert unquoted_breaks(text) == []
    assert len(records(text)) == 1 + len(AWKWARD)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["cell", "user_id"]
    cells = [row[0] for row in parsed[1:]]
    assert cells == [
        "line one\nline two",
        "carriage\rreturn",
        "windows\r\nbreak",
        "ends with a break\n",
        "'" + '=HYPERLINK("http://evil.example")',
        "'\r=cmd|'/c calc'!A1",
        'comma, "quote"',
        "plain",
    ]
    assert all(row[1] == "00u1" for row in parsed[1:])


def test_a_record_reads_back_as_its_cells() -> None:
    for cell in (*AWKWARD, "'quoted"):
        assert csvfile.parse(csvfile.record((cell, "x"))) == [cell, "x"]


def test_the_scans_rows_quote_line_breaks() -> None:
    outcomes = (
        Outcome("00u1", "jdoe@example.com", "push_errors", "Box said:\r\nINVALID_FIELD\rLastName"),
        Outcome("00u2", "fine@example.com", None, ""),
        Outcome("00u3", "asmith@example.com", "mapping", "line\n=1+2"),
    )
    text = csv_document(csv_rows(outcomes))
    assert unquoted_breaks(text) == []
    assert len(records(text)) == 3
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        list(CSV_HEADER),
        ["jdoe@example.com", "00u1", "push_errors", "Box said:\r\nINVALID_FIELD\rLastName"],
        ["asmith@example.com", "00u3", "mapping", "line\n=1+2"],
    ]


def test_the_python_default_would_not_have_quoted_a_lone_cr() -> None:
    """Why the writer's terminator is CRLF: with LF alone, Python leaves a CR unquoted, which
    Excel and LibreOffice read as the end of a row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["a\rb", "c"])
    assert unquoted_breaks(out.getvalue()) != []
    assert unquoted_breaks(csvfile.record(["a\rb", "c"]) + csvfile.TERMINATOR) == []


async def test_rows_kept_as_csv_by_an_earlier_version_read_back_beside_records(
    redis: Redis, prefix: str
) -> None:
    """Redis keeps records; a scan or bulk fix under way across the upgrade kept CSV rows."""
    keys = Keys(prefix)
    awkward = Outcome("00u1", "=jdoe@example.com", "mapping", 'line\nbreak, and "quotes"')
    legacy = csvfile.record((awkward.login, awkward.user_id, awkward.check or "", awkward.summary))
    await redis.rpush(keys.scan_rows("s1"), legacy)
    scans = Scans(redis, prefix)
    await redis.hset(keys.scan("s1"), mapping={"state": "RUNNING"})
    await redis.set(keys.lock("scan:app"), "v")
    assert await scans.save_page(
        "s1",
        (keys.lock("scan:app"), "v"),
        cursor=None,
        tally=Tally(),
        log_complete=True,
        affected=[awkward],
    )
    assert await scans.rows("s1") == [awkward, awkward]
    done = UserDone("=jdoe@example.com", "00u1", "failed", "Okta said:\r\nno")
    await redis.rpush(keys.bulk_outcomes("b1"), csvfile.record(astuple(done)), done.to_json())
    assert await Bulks(redis, prefix).outcomes("b1") == [done, done]
