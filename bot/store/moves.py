"""Every workflow's records in Redis, created and moved by two scripts for all machines.

A record is a hash whose `state` field is one of its machine's states. `create` makes one
unless the record its link names is still open (one fix request per offer, one scan per app,
one bulk fix per scan and cause). `move` makes one `Move` of a machine (workflow/machine.py)
and its side effects at once: queue the job, acknowledge the job that ran it, schedule a
retry, put the record on or off the attention list, append rows, free the link when the
record ends. Both scripts are fed the states by the machine: no state is named in Lua.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.store.codec import as_text, pairs
from bot.store.keys import Keys
from bot.workflow.machine import Machine, Move

JOBS_MAXLEN = 10_000
"""The jobs stream is trimmed to about this many entries (acknowledged ones are history)."""
GROUP = "workers"

# Each script checks before it writes and makes the fallible writes (XADD to a key that may
# be of the wrong type) first: Redis does not roll a script back, so nothing may fail after
# the state has changed.

# KEYS: link, record, index ('' none), list ('' none), jobs ('' no job).
# ARGV: id, keep seconds, record key prefix, open states, kind, maxlen, index score,
# field count n, then n field/value pairs, then the list's items.
_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then
  local state = redis.call('HGET', ARGV[3] .. existing, 'state')
  for open in string.gmatch(ARGV[4], '[^,]+') do
    if state == open then return {0, existing} end
  end
end
if KEYS[5] ~= '' then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[6], '*', ARGV[5], ARGV[1])
end
local fields_end = 8 + 2 * tonumber(ARGV[8])
redis.call('HSET', KEYS[2], unpack(ARGV, 9, fields_end))
redis.call('EXPIRE', KEYS[2], ARGV[2])
if KEYS[4] ~= '' and #ARGV > fields_end then
  redis.call('RPUSH', KEYS[4], unpack(ARGV, fields_end + 1))
  redis.call('EXPIRE', KEYS[4], ARGV[2])
end
if KEYS[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return {1, ARGV[1]}
"""

# KEYS: record, lease, jobs, retry, attention, index, link, list, remember ('' for any unused).
# ARGV: 1 now, 2 sources, 3 to, 4 id, 5 lease value, 6 kind ('' no job), 7 entry to ack,
# 8 group, 9 retry at, 10 attention (add|remove|''), 11 maxlen, 12 initial, 13 lapse state,
# 14 first (the list's first item must start with it + ','), 15 unflagged (a field that must
# be unset), 16 not_by field, 17 its value, 18 ends (1|0), 19 remember value, 20 remember
# seconds, 21 keep seconds (0: leave), 22 field count n, then n field/value pairs, then items
# to append to the list.
_MOVE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', ''} end
local lapsed = false
if ARGV[13] ~= '' and state == ARGV[12]
   and tonumber(redis.call('HGET', KEYS[1], 'expires')) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', ARGV[13])
  if KEYS[6] ~= '' then redis.call('ZREM', KEYS[6], ARGV[4]) end
  state, lapsed = ARGV[13], true
end
local allowed = false
for source in string.gmatch(ARGV[2], '[^,]+') do
  if state == source then allowed = true end
end
if not allowed then
  if lapsed then return {'lapsed', state, redis.call('HGETALL', KEYS[1])} end
  return {'refused', state, redis.call('HGETALL', KEYS[1])}
end
if KEYS[2] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[5] then
  return {'fenced', state, redis.call('HGETALL', KEYS[1])}
end
if ARGV[14] ~= '' then
  local first = redis.call('LINDEX', KEYS[8], 0) or ''
  if string.sub(first, 1, #ARGV[14] + 1) ~= ARGV[14] .. ',' then
    return {'first', state, redis.call('HGETALL', KEYS[1])}
  end
end
if ARGV[15] ~= '' and redis.call('HGET', KEYS[1], ARGV[15]) then
  return {'unflagged', state, redis.call('HGETALL', KEYS[1])}
end
if ARGV[16] ~= '' and redis.call('HGET', KEYS[1], ARGV[16]) == ARGV[17] then
  return {'not_by', state, redis.call('HGETALL', KEYS[1])}
end
if ARGV[6] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[11], '*', ARGV[6], ARGV[4])
end
if ARGV[7] ~= '' then redis.call('XACK', KEYS[3], ARGV[8], ARGV[7]) end
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[4], ARGV[9], ARGV[4]) end
local fields_end = 22 + 2 * tonumber(ARGV[22])
redis.call('HSET', KEYS[1], 'state', ARGV[3], unpack(ARGV, 23, fields_end))
if KEYS[6] ~= '' and ARGV[3] ~= ARGV[12] then redis.call('ZREM', KEYS[6], ARGV[4]) end
if ARGV[10] == 'add' then redis.call('ZADD', KEYS[5], ARGV[1], ARGV[4]) end
if ARGV[10] == 'remove' then redis.call('ZREM', KEYS[5], ARGV[4]) end
if #ARGV > fields_end then redis.call('RPUSH', KEYS[8], unpack(ARGV, fields_end + 1)) end
if ARGV[21] ~= '0' then
  redis.call('EXPIRE', KEYS[1], ARGV[21])
  if KEYS[8] ~= '' and redis.call('EXISTS', KEYS[8]) == 1 then
    redis.call('EXPIRE', KEYS[8], ARGV[21])
  end
end
if ARGV[18] == '1' and KEYS[7] ~= '' and redis.call('GET', KEYS[7]) == ARGV[4] then
  redis.call('DEL', KEYS[7])
end
if KEYS[9] ~= '' then redis.call('SET', KEYS[9], ARGV[19], 'EX', ARGV[20]) end
return {'moved', state, redis.call('HGETALL', KEYS[1])}
"""

# KEYS: retry, jobs. ARGV: now, maxlen, limit, kind. Due retries go back on the stream.
_PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(due) do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', ARGV[4], id)
  redis.call('ZREM', KEYS[1], id)
end
return #due
"""


@dataclass(frozen=True, slots=True)
class Where:
    """The keys of one record: the hash, and those of its families a move may touch."""

    record: str
    index: str = ""
    """A sorted set holding the record while it is in its machine's initial state."""
    link: str = ""
    """The key naming the open record of its subject; freed when the record ends."""
    items: str = ""
    """A list that belongs to the record (its users, its rows)."""


@dataclass(frozen=True, slots=True)
class Guards:
    """What must also hold for a move, besides its source state and its lease."""

    first: str = ""
    """The record's list must start with the item `first,…` (a bulk fix's canary)."""
    unflagged: str = ""
    """This field of the record must be unset."""
    not_by: tuple[str, str] = ("", "")
    """(field, value): the record's field must not hold the value (a distinct approver)."""


@dataclass(frozen=True, slots=True)
class Remember:
    """A key set when the move is made (the size of an app's last full scan)."""

    key: str
    value: str
    seconds: int


@dataclass(frozen=True, slots=True)
class Moved:
    """What a move found: `outcome` is moved, missing, refused (the state forbids it), lapsed
    (this very call found it past its expiry), fenced (the caller's lease is gone), or the
    guard that failed (first, unflagged, not_by); `found` is the state before it; `fields`
    the record after it."""

    outcome: str
    found: str | None
    fields: Mapping[str, str]

    @property
    def moved(self) -> bool:
        return self.outcome == "moved"


class Workflows:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._keys = Keys(prefix)
        self._create = redis.register_script(_CREATE)
        self._move = redis.register_script(_MOVE)
        self._promote = redis.register_script(_PROMOTE)

    async def create(
        self,
        machine: Machine[Any],
        record_id: str,
        where: Where,
        *,
        fields: Mapping[str, Any],
        keep: int,
        enqueue: bool = False,
        score: float | None = None,
        items: Sequence[str] = (),
    ) -> tuple[bool, str]:
        """(True, record_id) for a new record in the machine's initial state, unless the
        link names one still open: then (False, its id)."""
        if not where.record.endswith(record_id):
            raise ValueError("a record's key ends with its id")
        # Every record of the machine's key is the same prefix and its id: the script reads
        # the linked record's state by it.
        prefix = where.record.removesuffix(record_id)
        record = {"state": machine.initial.value, **fields}
        new, found = await self._create(
            keys=[
                where.link,
                where.record,
                where.index if score is not None else "",
                where.items,
                self._keys.jobs if enqueue else "",
            ],
            args=[
                record_id,
                keep,
                prefix,
                _listed(machine.open),
                machine.kind,
                JOBS_MAXLEN,
                score if score is not None else "",
                len(record),
                *pairs({k: str(v) for k, v in record.items()}),
                *items,
            ],
        )
        return bool(new), as_text(found)

    async def move(
        self,
        machine: Machine[Any],
        move: Move[Any],
        record_id: str,
        where: Where,
        *,
        now: float = 0.0,
        lease: tuple[str, str] | None = None,
        entry: str = "",
        retry_at: float | None = None,
        guards: Guards = Guards(),
        fields: Mapping[str, str | int] | None = None,
        items: Sequence[str] = (),
        keep: int = 0,
        remember: Remember | None = None,
    ) -> Moved:
        """Make `move` if the record is in one of its source states, the lease (for a fenced
        move) is still the caller's and the guards hold. `now` (seconds) matters only to a
        machine that lapses or a move onto the attention list."""
        if move not in machine.moves:
            raise ValueError(f"{move.name} is no move of the {machine.kind} machine")
        if move.fenced and lease is None:
            raise ValueError(f"moving to {move.to} needs the run's lease")
        lock, value = lease or ("", "")
        extra = {k: str(v) for k, v in (fields or {}).items()}
        outcome, found, *record = await self._move(
            keys=[
                where.record,
                lock,
                self._keys.jobs,
                self._keys.retries,
                self._keys.attention,
                where.index,
                where.link,
                where.items,
                remember.key if remember else "",
            ],
            args=[
                now,
                _listed(move.sources) or "-",
                move.to.value,
                record_id,
                value,
                machine.kind if move.enqueue else "",
                entry if move.ack else "",
                GROUP,
                f"{retry_at:.3f}" if move.retry and retry_at is not None else "",
                {True: "add", False: "remove", None: ""}[move.attention],
                JOBS_MAXLEN,
                machine.initial.value,
                machine.lapse.value if machine.lapse is not None else "",
                guards.first,
                guards.unflagged,
                *guards.not_by,
                "1" if move.to in machine.final else "0",
                remember.value if remember else "",
                remember.seconds if remember else 0,
                keep,
                len(extra),
                *pairs(extra),
                *items,
            ],
        )
        flat = record[0] if record else []
        after = {as_text(k): as_text(v) for k, v in zip(flat[::2], flat[1::2], strict=True)}
        return Moved(as_text(outcome), as_text(found) or None, after)

    async def promote_retries(self, machine: Machine[Any], now: float, limit: int = 10) -> int:
        """Put the runs whose retry is due back on the jobs stream."""
        return int(
            await self._promote(
                keys=[self._keys.retries, self._keys.jobs],
                args=[now, JOBS_MAXLEN, limit, machine.kind],
            )
        )


def _listed(states: frozenset[Any]) -> str:
    """States as a script's argument: comma-separated."""
    return ",".join(sorted(state.value for state in states))
