"""The one CSV writer of every file attrsync hands to people (a scan's affected users, a bulk
fix's outcomes): files a spreadsheet opens as the rows they are, and never runs as formulas.

Rows are rendered here only when a file is made (Redis keeps records, not CSV); `document`
ends every record with CRLF (RFC 4180), and a cell holding a line break stays inside its row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

TERMINATOR = "\r\n"
"""Also what decides quoting: Python's csv module quotes a cell holding any character of the
line terminator (and only those), so CR and LF must both be in it, or a cell holding the
other one would start a new row in a spreadsheet."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record(cells: Sequence[str]) -> str:
    """One row, without its line end: a cell holding a comma, a quote, CR or LF is quoted,
    and a cell a spreadsheet would run as a formula is prefixed with '."""
    out = io.StringIO()
    csv.writer(out, lineterminator=TERMINATOR).writerow([_inert(cell) for cell in cells])
    return out.getvalue().removesuffix(TERMINATOR)


def document(header: Sequence[str], records: Iterable[str]) -> str:
    """The file: the header row, then each record, every one ended with CRLF."""
    return lines([record(header), *records])


def lines(records: Iterable[str]) -> str:
    """Records (from `record`) as they go in a file, each ended with CRLF."""
    return "".join(row + TERMINATOR for row in records)


def parse(row: str) -> list[str]:
    """The cells of one record (a quoted line break stays in its cell), as they were before
    `record` made them inert: Redis held scan and bulk rows as CSV records once,
    and those are read back with this."""
    return [_live(cell) for cell in next(csv.reader([row]), [])]


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _live(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
