"""What a spreadsheet sees in attrsync's CSV files, and an org whose push errors make them
awkward."""

from __future__ import annotations

import csv
import io

from fakes.okta.server import FakeOkta


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
