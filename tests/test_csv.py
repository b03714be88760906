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
from fakes.okta.server import FakeOkta

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


def unquoted_breaks(text: str) -> list[int]:
    """Where a CR or LF outside quotes is not the CRLF ending a record: where a spreadsheet
    would start a row the writer did not mean. Read by hand, not by the csv module, which
    is what is being tested."""
    found, quoted, i = [], False, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            quoted = not quoted  # a doubled quote inside quotes flips twice: still quoted
        elif char in "\r\n" and not quoted:
            if text.startswith("\r\n", i):
                i += 2
                continue
            found.append(i)
        i += 1
    return found


def records(text: str) -> list[str]:
    """The records a spreadsheet sees: the text cut at every CRLF outside quotes."""
    cut, quoted, start = [], False, 0
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and text.startswith("\r\n", i):
            cut.append(text[start:i])
            start = i + 2
    assert start == len(text), "the file does not end with a record's CRLF"
    return cut


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


BROKEN_REASON = 'Salesforce said:\r\n=HYPERLINK("http://evil.example")\rINVALID_FIELD\nLastName'
"""A push failure's reason as an app's error body may give it: Okta passes it on verbatim."""


def break_push_reasons(fake: FakeOkta) -> int:
    """Give every failed push in the fake's System Log a reason spanning lines; how many."""
    failed = [e for e in fake.state.logs if e["outcome"].get("reason")]
    for event in failed:
        event["outcome"]["reason"] = BROKEN_REASON
    return len(failed)


def spreadsheet_rows(text: str) -> list[list[str]]:
    """The rows of a CSV file, checked to hold no line break a spreadsheet would cut at."""
    assert unquoted_breaks(text) == []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(records(text)) == len(rows)
    return rows


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
