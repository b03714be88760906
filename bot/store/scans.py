"""Scans in Redis: a record per scan (`scan:<id>`), the CSV rows of its affected users
(`scan:<id>:rows`), the one queued or running scan of each app (`scan-active:<app>`) and the
size of an app's last scan (`scan-size:<app>`, for the estimate of time left).

Each change is one script: starting a scan also queues its job; a page's cursor, tally and
rows are saved together and only by the holder of the scan's lease (a worker that lost it
can never count a page twice); the end clears the app's active scan.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from bot.store.approvals import JOBS_MAXLEN
from bot.store.codec import as_text, pairs
from bot.store.keys import Keys
from checks.scan_tally import Tally

KEEP_FOR = 7 * 86400
SIZE_KEEP_FOR = 30 * 86400


class ScanState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    """Every page read."""
    STOPPED = "STOPPED"
    """Someone pressed Stop."""
    INCOMPLETE = "INCOMPLETE"
    """Okta would not give a page."""
    FAILED = "FAILED"
    """The scan could not start (the app is gone, Okta refused the token)."""

    @property
    def ended(self) -> bool:
        return self not in (ScanState.QUEUED, ScanState.RUNNING)


# KEYS: active, scan, jobs. ARGV: id, keep, maxlen, scan key prefix, then field/value pairs.
_START = """
local existing = redis.call('GET', KEYS[1])
if existing then
  local state = redis.call('HGET', ARGV[4] .. existing, 'state')
  if state == 'QUEUED' or state == 'RUNNING' then return {0, existing} end
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'scan', ARGV[1])
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
return {1, ARGV[1]}
"""

# KEYS: scan, rows, lease. ARGV: lease value, keep, then field/value pairs, '--', rows.
_SAVE = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
local split = 0
for i = 3, #ARGV do if ARGV[i] == '--' then split = i break end end
if split > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, split - 1)) end
if split < #ARGV then redis.call('RPUSH', KEYS[2], unpack(ARGV, split + 1)) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

# KEYS: scan, active, size, lease. ARGV: lease value, id, listed ('' to leave the size),
# size keep, then field/value pairs.
_END = """
if KEYS[4] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4]) end
return 1
"""

# KEYS: scan. ARGV: who. Stop is asked of a queued or running scan only.
_STOP = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'QUEUED' or state == 'RUNNING' then redis.call('HSET', KEYS[1], 'stop', ARGV[1]) end
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
            tally=Tally.from_json(json.loads(data["tally"])) if data.get("tally") else Tally(),
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
        self._start = redis.register_script(_START)
        self._save = redis.register_script(_SAVE)
        self._end = redis.register_script(_END)
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
            "state": ScanState.QUEUED.value,
            "started": repr(now),
        }
        keys = self._keys
        created, found = await self._start(
            keys=[keys.scan_active(app_id), keys.scan(scan_id), keys.jobs],
            args=[scan_id, KEEP_FOR, JOBS_MAXLEN, keys.scan(""), *pairs(fields)],
        )
        return Started(as_text(found), bool(created))

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
        rows: list[str],
    ) -> bool:
        """Record a page: its rows, the cursor after it and the tally with it, at once.
        False when the lease is no longer ours (nothing written)."""
        lock, value = fence
        fields = {
            "state": ScanState.RUNNING.value,
            "cursor": cursor or "",
            "tally": json.dumps(tally.to_json()),
            "log_complete": "1" if log_complete else "0",
        }
        keys = [self._keys.scan(scan_id), self._keys.scan_rows(scan_id), lock]
        args: list[str | int] = [value, KEEP_FOR, *pairs(fields), "--", *rows]
        return bool(await self._save(keys=keys, args=args))

    async def end(
        self,
        record: ScanRecord,
        fence: tuple[str, str] | None,
        state: ScanState,
        *,
        tally: Tally | None = None,
        unread: str | None = None,
    ) -> bool:
        """Move the scan to an end state and free its app for the next scan."""
        lock, value = fence or ("", "")
        fields: dict[str, str] = {"state": state.value, "unread": unread or ""}
        if tally is not None:
            fields["tally"] = json.dumps(tally.to_json())
        listed = str(tally.listed) if tally is not None and state is ScanState.DONE else ""
        keys = self._keys
        return bool(
            await self._end(
                keys=[
                    keys.scan(record.id),
                    keys.scan_active(record.app_id),
                    keys.scan_size(record.app_id),
                    lock,
                ],
                args=[value, record.id, listed, SIZE_KEEP_FOR, *pairs(fields)],
            )
        )

    async def mark_reported(self, scan_id: str) -> None:
        await self._redis.hset(self._keys.scan(scan_id), "reported", "1")

    async def request_stop(self, scan_id: str, who: str) -> ScanState | None:
        """Ask a queued or running scan to stop; the state it was in (None: no such scan)."""
        state = as_text(await self._stop(keys=[self._keys.scan(scan_id)], args=[who]))
        return ScanState(state) if state else None

    async def last_size(self, app_id: str) -> int | None:
        raw = await self._redis.get(self._keys.scan_size(app_id))
        return int(raw) if raw else None

    async def rows(self, scan_id: str, chunk: int = 5000) -> list[str]:
        key = self._keys.scan_rows(scan_id)
        found: list[str] = []
        start = 0
        while True:
            part = await self._redis.lrange(key, start, start + chunk - 1)
            found += [as_text(row) for row in part]
            if len(part) < chunk:
                return found
            start += chunk
