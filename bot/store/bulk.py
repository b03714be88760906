"""Bulk fixes in Redis: `bulk:<id>` (hash: the record, with `a:<i>` naming the approval made
for the i-th user), `bulk:<id>:users` (list of `user_id,login`), `bulk:<id>:outcomes` (one
JSON record per user done: the CSV is made only for the file) and `bulk-open:<scan>:<check>`
(the open bulk fix of a scan's cause).
The machine is workflow/bulk.py; its records are created and moved by store/moves.py.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot import csvfile
from bot.store.codec import as_text
from bot.store.keys import Keys
from bot.store.moves import Guards, Where, Workflows
from bot.workflow.bulk import BULK, BulkState
from bot.workflow.machine import Move

KEEP_FOR = 30 * 86400


# KEYS: bulk, users. ARGV: the state a canary may change in, user id. The user goes first
# (the canary); `canary_changed` tells an approval that cannot say which canary it saw that it
# may not be this one.
_CANARY = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= ARGV[1] then return state or '' end
local prefix = ARGV[2] .. ','
for i, row in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if string.sub(row, 1, #prefix) == prefix then
    if i > 1 then
      redis.call('LREM', KEYS[2], 1, row)
      redis.call('LPUSH', KEYS[2], row)
      redis.call('HSET', KEYS[1], 'canary_changed', '1')
    end
    return 'moved'
  end
end
return 'unknown'
"""

# KEYS: bulk, outcomes, lease. ARGV: lease value, index done, outcome, ok|failed|skipped.
_RECORD = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'done') or '0') ~= tonumber(ARGV[2]) then return 1 end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
redis.call('HSET', KEYS[1], 'done', tonumber(ARGV[2]) + 1)
redis.call('EXPIRE', KEYS[2], redis.call('TTL', KEYS[1]))
return 1
"""


@dataclass(frozen=True, slots=True)
class Target:
    user_id: str
    login: str


@dataclass(frozen=True, slots=True)
class UserDone:
    """What a bulk fix did for one of its users, as its file says it."""

    login: str
    user_id: str
    said: str
    """fixed, already fine, skipped or failed."""
    detail: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "login": self.login,
                "user_id": self.user_id,
                "said": self.said,
                "detail": self.detail,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, row: str) -> UserDone:
        if not row.startswith("{"):  # kept as a CSV record, once
            return cls(*csvfile.parse(row))
        data = json.loads(row)
        return cls(data["login"], data["user_id"], data["said"], data["detail"])


@dataclass(frozen=True, slots=True)
class BulkRecord:
    id: str
    scan_id: str
    check: str
    fix_id: str
    app_id: str
    app_label: str
    channel: str
    thread_ts: str
    message_ts: str
    requester: str
    state: BulkState
    total: int
    done: int = 0
    """Users finished (fixed, failed or skipped), in order; the next one is users[done]."""
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    approver: str | None = None
    """Who approved the canary."""
    confirmer: str | None = None
    """Who approved the rest, once the canary was verified."""
    stop_by: str | None = None
    result: str | None = None
    approvals: tuple[tuple[int, str], ...] = ()

    def approval_for(self, index: int) -> str | None:
        return next((a for i, a in self.approvals if i == index), None)

    @classmethod
    def from_redis(cls, bulk_id: str, raw: dict[Any, Any]) -> BulkRecord:
        data = {as_text(k): as_text(v) for k, v in raw.items()}
        made = tuple(sorted((int(k[2:]), v) for k, v in data.items() if k.startswith("a:")))
        return cls(
            id=bulk_id,
            scan_id=data["scan_id"],
            check=data["check"],
            fix_id=data["fix_id"],
            app_id=data["app_id"],
            app_label=data["app_label"],
            channel=data["channel"],
            thread_ts=data["thread_ts"],
            message_ts=data.get("message_ts", ""),
            requester=data["requester"],
            state=BulkState(data["state"]),
            total=int(data["total"]),
            done=int(data.get("done") or 0),
            ok=int(data.get("ok") or 0),
            failed=int(data.get("failed") or 0),
            skipped=int(data.get("skipped") or 0),
            approver=data.get("approver") or None,
            confirmer=data.get("confirmer") or None,
            stop_by=data.get("stop") or None,
            result=data.get("result") or None,
            approvals=made,
        )


@dataclass(frozen=True, slots=True)
class BulkCreated:
    bulk_id: str
    new: bool


class Bulks:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._workflows = Workflows(redis, prefix)
        self._record = redis.register_script(_RECORD)
        self._canary = redis.register_script(_CANARY)

    async def create(
        self,
        *,
        scan_id: str,
        check: str,
        fix_id: str,
        app_id: str,
        app_label: str,
        channel: str,
        thread_ts: str,
        requester: str,
        targets: Sequence[Target],
    ) -> BulkCreated:
        """A PENDING bulk fix of a scan's cause, unless one is open for it already."""
        bulk_id = secrets.token_hex(8)
        fields = {
            "scan_id": scan_id,
            "check": check,
            "fix_id": fix_id,
            "app_id": app_id,
            "app_label": app_label,
            "channel": channel,
            "thread_ts": thread_ts,
            "requester": requester,
            "total": str(len(targets)),
        }
        new, found = await self._workflows.create(
            BULK,
            bulk_id,
            self._where(bulk_id, scan_id, check),
            fields=fields,
            keep=KEEP_FOR,
            items=[f"{t.user_id},{t.login}" for t in targets],
        )
        return BulkCreated(found, new)

    def _where(self, bulk_id: str, scan_id: str = "", check: str = "") -> Where:
        link = self._keys.bulk_open(scan_id, check) if scan_id else ""
        return Where(self._keys.bulk(bulk_id), link=link, items=self._keys.bulk_users(bulk_id))

    async def get(self, bulk_id: str) -> BulkRecord | None:
        raw = await self._redis.hgetall(self._keys.bulk(bulk_id))
        return BulkRecord.from_redis(bulk_id, raw) if raw else None

    async def targets(self, bulk_id: str) -> list[Target]:
        raw = await self._redis.lrange(self._keys.bulk_users(bulk_id), 0, -1)
        return [Target(*as_text(row).split(",", 1)) for row in raw]

    async def outcomes(self, bulk_id: str) -> list[UserDone]:
        raw = await self._redis.lrange(self._keys.bulk_outcomes(bulk_id), 0, -1)
        return [UserDone.from_json(as_text(row)) for row in raw]

    async def note(self, bulk_id: str, **fields: str) -> None:
        await self._redis.hset(self._keys.bulk(bulk_id), mapping=dict[Any, Any](fields))

    async def claim_approval(self, bulk_id: str, index: int, approval_id: str) -> str:
        """Name the approval made for the index-th user, unless one is named already; the
        one that is named (so a user never gets two)."""
        key = self._keys.bulk(bulk_id)
        await self._redis.hsetnx(key, f"a:{index}", approval_id)
        return as_text(await self._redis.hget(key, f"a:{index}"))

    async def move(
        self,
        bulk_id: str,
        move: Move[BulkState],
        *,
        lease: tuple[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
        canary: str | None = None,
        canary_unchanged: bool = False,
        not_by: str | None = None,
    ) -> str:
        """Make `move`: "moved", "fenced", or the state found that forbids it; "canary" unless
        its canary is the user `canary` names (or, `canary_unchanged`, the one first
        proposed); "same" if `not_by` approved its canary. The canary is checked in the move,
        not before: it may change between a read and the move."""
        guards = Guards(
            first=canary or "",
            unflagged="canary_changed" if canary_unchanged else "",
            not_by=("approver", not_by) if not_by else ("", ""),
        )
        said = await self._workflows.move(
            BULK,
            move,
            bulk_id,
            self._where(bulk_id),
            lease=lease,
            guards=guards,
            fields=fields,
        )
        named = {"first": "canary", "unflagged": "canary", "not_by": "same"}
        if said.outcome in ("moved", "fenced"):
            return said.outcome
        return named.get(said.outcome) or (said.found or "")

    async def record(
        self, bulk_id: str, lease: tuple[str, str], index: int, done: UserDone, kind: str
    ) -> bool:
        """Count the index-th user's outcome once (a resumed run may record it again: the
        second time is a no-op). False when the lease is no longer ours."""
        lock, value = lease
        keys = [self._keys.bulk(bulk_id), self._keys.bulk_outcomes(bulk_id), lock]
        return bool(await self._record(keys=keys, args=[value, index, done.to_json(), kind]))

    async def choose_canary(self, bulk_id: str, user_id: str) -> str:
        """Make one of the bulk's users its canary: "moved", "unknown" (not one of its users)
        or the state that forbids it (only a PENDING bulk's canary can change)."""
        keys = [self._keys.bulk(bulk_id), self._keys.bulk_users(bulk_id)]
        return as_text(await self._canary(keys=keys, args=[BULK.initial.value, user_id]))

    async def request_stop(self, bulk_id: str, who: str) -> BulkState | None:
        record = await self.get(bulk_id)
        if record is None:
            return None
        if not record.state.ended:
            await self.note(bulk_id, stop=who)
        return record.state
