"""Scans in Redis: a record per scan (`scan:<id>`), its affected users (`scan:<id>:rows`, one
JSON record each: the CSV is made only for the file), the one queued or running scan of each
app (`scan-active:<app>`) and the size of an app's last scan (`scan-size:<app>`, for the
estimate of time left).

The machine is workflow/scans.py; its records are created and moved by store/moves.py:
starting a scan also queues its job, a page's cursor, tally and rows are saved together by the
READ move, the end frees the app for its next scan.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot import csvfile
from bot.store.codec import as_text
from bot.store.keys import Keys
from bot.store.moves import Remember, Where, Workflows
from bot.workflow.scans import ENDINGS, READ, SCAN, ScanState
from checks.scan_tally import Outcome, Tally

KEEP_FOR = 7 * 86400
SIZE_KEEP_FOR = 30 * 86400


# KEYS: scan. ARGV: who, then the states a stop may be asked in. Stopping is the worker's to do
# (its STOP move); this only asks it to.
_STOP = """
local state = redis.call('HGET', KEYS[1], 'state')
for i = 2, #ARGV do
  if state == ARGV[i] then redis.call('HSET', KEYS[1], 'stop', ARGV[1]) end
end
return state or ''
"""


@dataclass(frozen=True, slots=True)
class ScanRecord:
    id: str
    app_id: str
    app_label: str
    channel: str
    message_ts: str
    requester: str
    state: ScanState
    cursor: str | None
    """The next page's URL; None before the first page."""
    tally: Tally
    started: float
    stop_by: str | None = None
    unread: str | None = None
    log_complete: bool = True
    reported: bool = False

    @classmethod
    def from_redis(cls, scan_id: str, raw: dict[Any, Any]) -> ScanRecord:
        data = {as_text(k): as_text(v) for k, v in raw.items()}
        return cls(
            id=scan_id,
            app_id=data["app_id"],
            app_label=data["app_label"],
            channel=data["channel"],
            message_ts=data.get("message_ts", ""),
            requester=data["requester"],
            state=ScanState(data["state"]),
            cursor=data.get("cursor") or None,
            tally=Tally.from_record(json.loads(data["tally"])) if data.get("tally") else Tally(),
            started=float(data["started"]),
            stop_by=data.get("stop") or None,
            unread=data.get("unread") or None,
            log_complete=data.get("log_complete", "1") == "1",
            reported=data.get("reported") == "1",
        )


@dataclass(frozen=True, slots=True)
class Started:
    scan_id: str
    new: bool
    """False: a scan of the app was already queued or running; scan_id is that one."""


class Scans:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._workflows = Workflows(redis, prefix)
        self._stop = redis.register_script(_STOP)

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(8)

    async def start(
        self,
        scan_id: str,
        *,
        app_id: str,
        app_label: str,
        channel: str,
        message_ts: str,
        requester: str,
        now: float,
    ) -> Started:
        """Queue a scan of the app, unless one is queued or running already."""
        fields = {
            "app_id": app_id,
            "app_label": app_label,
            "channel": channel,
            "message_ts": message_ts,
            "requester": requester,
            "started": repr(now),
        }
        new, found = await self._workflows.create(
            SCAN,
            scan_id,
            self._where(scan_id, app_id),
            fields=fields,
            keep=KEEP_FOR,
            enqueue=True,
        )
        return Started(found, new)

    def _where(self, scan_id: str, app_id: str = "") -> Where:
        link = self._keys.scan_active(app_id) if app_id else ""
        return Where(self._keys.scan(scan_id), link=link, items=self._keys.scan_rows(scan_id))

    async def get(self, scan_id: str) -> ScanRecord | None:
        raw = await self._redis.hgetall(self._keys.scan(scan_id))
        return ScanRecord.from_redis(scan_id, raw) if raw else None

    async def active(self, app_id: str) -> ScanRecord | None:
        scan_id = await self._redis.get(self._keys.scan_active(app_id))
        record = await self.get(as_text(scan_id)) if scan_id else None
        return record if record is not None and not record.state.ended else None

    async def save_page(
        self,
        scan_id: str,
        fence: tuple[str, str],
        *,
        cursor: str | None,
        tally: Tally,
        log_complete: bool,
        affected: Sequence[Outcome],
    ) -> bool:
        """Record a page: its rows, the cursor after it and the tally with it, at once.
        False when the lease is no longer ours (nothing written)."""
        fields = {
            "cursor": cursor or "",
            "tally": json.dumps(tally.to_record()),
            "log_complete": "1" if log_complete else "0",
        }
        said = await self._workflows.move(
            SCAN,
            READ,
            scan_id,
            self._where(scan_id),
            lease=fence,
            fields=fields,
            items=[_row(o) for o in affected],
            keep=KEEP_FOR,
        )
        return said.moved

    async def end(
        self,
        record: ScanRecord,
        fence: tuple[str, str],
        state: ScanState,
        *,
        tally: Tally | None = None,
        unread: str | None = None,
    ) -> bool:
        """Move the scan to an end state and free its app for the next scan."""
        fields: dict[str, str] = {"unread": unread or ""}
        if tally is not None:
            fields["tally"] = json.dumps(tally.to_record())
        size = None
        if tally is not None and state is ScanState.DONE:
            size = Remember(self._keys.scan_size(record.app_id), str(tally.listed), SIZE_KEEP_FOR)
        said = await self._workflows.move(
            SCAN,
            ENDINGS[state],
            record.id,
            self._where(record.id, record.app_id),
            lease=fence,
            fields=fields,
            remember=size,
        )
        return said.moved

    async def mark_reported(self, scan_id: str) -> None:
        await self._redis.hset(self._keys.scan(scan_id), "reported", "1")

    async def request_stop(self, scan_id: str, who: str) -> ScanState | None:
        """Ask a queued or running scan to stop; the state it was in (None: no such scan)."""
        under_way = sorted(SCAN.open)
        state = as_text(await self._stop(keys=[self._keys.scan(scan_id)], args=[who, *under_way]))
        return ScanState(state) if state else None

    async def last_size(self, app_id: str) -> int | None:
        raw = await self._redis.get(self._keys.scan_size(app_id))
        return int(raw) if raw else None

    async def rows(self, scan_id: str, chunk: int = 5000) -> list[Outcome]:
        """The scan's affected users, in the order they were found."""
        key = self._keys.scan_rows(scan_id)
        found: list[Outcome] = []
        start = 0
        while True:
            part = await self._redis.lrange(key, start, start + chunk - 1)
            found += [_outcome(as_text(row)) for row in part]
            if len(part) < chunk:
                return found
            start += chunk


def _row(outcome: Outcome) -> str:
    kept = {k: getattr(outcome, k) for k in ("user_id", "login", "check", "summary")}
    return json.dumps(kept, separators=(",", ":"))


def _outcome(row: str) -> Outcome:
    if row.startswith("{"):
        data = json.loads(row)
        return Outcome(data["user_id"], data["login"], data["check"], data["summary"])
    login, user_id, check, summary = csvfile.parse(row)  # kept as a CSV record, once
    return Outcome(user_id, login, check, summary)
