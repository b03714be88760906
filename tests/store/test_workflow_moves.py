"""Every move of every machine, from every state, made by the one move script (store/moves.py)
against a real Redis: it is made exactly from its source states, with exactly its side effects."""

from __future__ import annotations

import importlib
import pkgutil
from enum import StrEnum
from typing import Any

import pytest
from redis.asyncio import Redis

import bot.store
from bot.store.codec import as_text
from bot.store.keys import Keys
from bot.store.moves import GROUP, Guards, Remember, Where, Workflows
from bot.workflow.bulk import APPROVE_CANARY, APPROVE_REST, BULK
from bot.workflow.fixes import APPROVE, FIX, START
from bot.workflow.fixes import State as FixState
from bot.workflow.machine import Machine, Move
from bot.workflow.scans import SCAN

MACHINES: tuple[Machine[Any], ...] = (FIX, SCAN, BULK)
CASES = [
    pytest.param(machine, move, state, id=f"{machine.kind}-{move.name}-from-{state.value}")
    for machine in MACHINES
    for move in machine.moves
    for state in machine.states
]
LEASE_VALUE = "run|worker|7"
NOW = 1_000_000.0


def _where(keys: Keys, record_id: str) -> Where:
    return Where(
        keys.prefix + f"rec:{record_id}",
        index=keys.prefix + "index",
        link=keys.prefix + "link",
        items=keys.prefix + f"rec:{record_id}:items",
    )


async def _record_in(redis: Redis, keys: Keys, record_id: str, state: StrEnum) -> Where:
    where = _where(keys, record_id)
    await redis.hset(where.record, mapping={"state": state.value, "expires": str(NOW + 3600)})
    await redis.zadd(where.index, {record_id: NOW})
    await redis.set(where.link, record_id)
    await redis.set(keys.lock("run"), LEASE_VALUE)
    return where


async def _pending_entry(redis: Redis, keys: Keys) -> str:
    """A job entry read by the workers' group, for a move that acknowledges it."""
    await redis.xgroup_create(keys.jobs, GROUP, id="0", mkstream=True)
    entry = await redis.xadd(keys.jobs, {"approval": "rec"})
    await redis.xreadgroup(GROUP, "tester", {keys.jobs: ">"})
    return as_text(entry)


@pytest.mark.parametrize(("machine", "move", "state"), CASES)
async def test_a_move_is_made_exactly_from_its_sources_with_its_side_effects(
    redis: Redis, prefix: str, machine: Machine[Any], move: Move[Any], state: StrEnum
) -> None:
    keys = Keys(prefix)
    where = await _record_in(redis, keys, "rec", state)
    entry = await _pending_entry(redis, keys)
    jobs_before = await redis.xlen(keys.jobs)
    said = await Workflows(redis, prefix).move(
        machine,
        move,
        "rec",
        where,
        now=NOW,
        lease=(keys.lock("run"), LEASE_VALUE) if move.fenced else None,
        entry=entry,
        retry_at=NOW + 30,
        fields={"note": "made"},
        items=["row"],
    )
    allowed = state in move.sources
    assert said.moved is allowed
    assert said.found == state.value
    record = {as_text(k): as_text(v) for k, v in (await redis.hgetall(where.record)).items()}
    assert record["state"] == (move.to if allowed else state).value
    assert said.fields == record
    queued = await redis.xlen(keys.jobs) - jobs_before
    assert queued == (1 if allowed and move.enqueue else 0)
    if queued:
        [(_, job)] = list(await redis.xrevrange(keys.jobs, count=1) or [])
        assert {as_text(k): as_text(v) for k, v in dict(job or {}).items()} == {machine.kind: "rec"}
    pending = (await redis.xpending(keys.jobs, GROUP))["pending"]
    assert pending == (0 if allowed and move.ack else 1)
    retrying = await redis.zscore(keys.retries, "rec")
    assert (retrying is not None) is (allowed and move.retry)
    attention = await redis.zscore(keys.attention, "rec")
    assert (attention is not None) is (allowed and move.attention is True)
    assert await redis.lrange(where.items, 0, -1) == ([b"row"] if allowed else [])
    in_index = await redis.zscore(where.index, "rec")
    assert (in_index is not None) is (not allowed or move.to == machine.initial)
    linked = await redis.get(where.link)
    assert (linked is None) is (allowed and move.to in machine.final)


@pytest.mark.parametrize(
    "move", [m for machine in MACHINES for m in machine.moves if m.fenced], ids=lambda m: m.name
)
async def test_a_fenced_move_is_refused_to_a_lost_lease_and_writes_nothing(
    redis: Redis, prefix: str, move: Move[Any]
) -> None:
    machine = next(m for m in MACHINES if move in m.moves)
    keys = Keys(prefix)
    source = sorted(move.sources)[0]
    where = await _record_in(redis, keys, "rec", source)
    workflows = Workflows(redis, prefix)
    said = await workflows.move(
        machine, move, "rec", where, now=NOW, lease=(keys.lock("run"), "run|other|6"), items=["x"]
    )
    assert said.outcome == "fenced"
    assert as_text(await redis.hget(where.record, "state")) == source.value
    assert await redis.xlen(keys.jobs) == 0
    assert await redis.llen(where.items) == 0
    with pytest.raises(ValueError, match="lease"):
        await workflows.move(machine, move, "rec", where, now=NOW)


async def test_a_record_past_its_expiry_lapses_before_any_move_is_judged(
    redis: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    where = await _record_in(redis, keys, "rec", FixState.PENDING)
    await redis.hset(where.record, "expires", str(NOW - 1))
    said = await Workflows(redis, prefix).move(FIX, APPROVE, "rec", where, now=NOW)
    assert (said.outcome, said.found) == ("lapsed", "EXPIRED")
    assert as_text(await redis.hget(where.record, "state")) == "EXPIRED"
    assert await redis.zscore(where.index, "rec") is None
    assert await redis.xlen(keys.jobs) == 0


async def test_a_move_of_another_machine_is_refused(redis: Redis, prefix: str) -> None:
    where = await _record_in(redis, Keys(prefix), "rec", FixState.APPROVED)
    with pytest.raises(ValueError, match="no move of the scan machine"):
        await Workflows(redis, prefix).move(SCAN, START, "rec", where, now=NOW)


async def test_create_makes_one_open_record_per_link(redis: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    workflows = Workflows(redis, prefix)
    record_prefix = keys.prefix + "rec:"

    async def create(record_id: str) -> tuple[bool, str]:
        return await workflows.create(
            BULK,
            record_id,
            _where(keys, record_id),
            fields={"who": "U1"},
            keep=60,
            enqueue=True,
            score=NOW,
            items=["u1,a", "u2,b"],
        )

    assert await create("first") == (True, "first")
    assert await create("second") == (False, "first")
    first = {
        as_text(k): as_text(v) for k, v in (await redis.hgetall(record_prefix + "first")).items()
    }
    assert first == {"state": "PENDING", "who": "U1"}
    assert await redis.lrange(record_prefix + "first:items", 0, -1) == [b"u1,a", b"u2,b"]
    assert await redis.zscore(keys.prefix + "index", "first") == NOW
    assert await redis.xlen(keys.jobs) == 1
    assert 0 < await redis.ttl(record_prefix + "first") <= 60
    await redis.hset(record_prefix + "first", "state", "REJECTED")
    assert await create("third") == (True, "third")


async def test_guards_hold_or_the_move_is_refused(redis: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    workflows = Workflows(redis, prefix)
    where = await _record_in(redis, keys, "rec", BULK.initial)
    await redis.rpush(where.items, "u1,a", "u2,b")

    async def approve(guards: Guards) -> str:
        return (await workflows.move(BULK, APPROVE_CANARY, "rec", where, guards=guards)).outcome

    assert await approve(Guards(first="u2")) == "first"
    await redis.hset(where.record, "flag", "1")
    assert await approve(Guards(first="u1", unflagged="flag")) == "unflagged"
    assert await approve(Guards(first="u1")) == "moved"
    await redis.hset(where.record, mapping={"state": "CONFIRM", "approver": "U1"})
    said = await workflows.move(
        BULK, APPROVE_REST, "rec", where, guards=Guards(not_by=("approver", "U1"))
    )
    assert said.outcome == "not_by"
    said = await workflows.move(
        BULK, APPROVE_REST, "rec", where, guards=Guards(not_by=("approver", "U2"))
    )
    assert said.moved


async def test_a_move_remembers_what_it_is_told_to(redis: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    where = await _record_in(redis, keys, "rec", SCAN.initial)
    lease = (keys.lock("run"), LEASE_VALUE)
    size = Remember(keys.prefix + "size", "1200", 60)
    finish = SCAN.move("finish")
    said = await Workflows(redis, prefix).move(
        SCAN, finish, "rec", where, lease=lease, remember=size
    )
    assert said.moved
    assert await redis.get(size.key) == b"1200"


class _Light(StrEnum):
    OFF = "OFF"
    ON = "ON"
    BROKEN = "BROKEN"
    GONE = "GONE"


@pytest.mark.parametrize(
    ("moves", "final", "problem"),
    [
        (
            (Move("on", frozenset({_Light.OFF}), _Light.ON, "x"),),
            {_Light.GONE},
            "cannot be reached",
        ),
        (
            (Move("on", frozenset({_Light.OFF}), _Light.ON, "x"),),
            {_Light.BROKEN, _Light.GONE},
            "ON has no way out",
        ),
        (
            (
                Move("on", frozenset({_Light.OFF}), _Light.ON, "x"),
                Move("on", frozenset({_Light.ON}), _Light.GONE, "x"),
                Move("fix", frozenset({_Light.GONE}), _Light.BROKEN, "x"),
            ),
            {_Light.BROKEN, _Light.GONE},
            "two moves share a name",
        ),
        (
            (
                Move("on", frozenset({_Light.OFF}), _Light.GONE, "x"),
                Move("back", frozenset({_Light.GONE}), _Light.BROKEN, "x"),
            ),
            {_Light.BROKEN, _Light.GONE, _Light.ON},
            "back leaves a final state",
        ),
    ],
)
def test_a_wrong_machine_is_refused_when_it_is_defined(
    moves: tuple[Move[_Light], ...], final: set[_Light], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Machine("light", _Light, _Light.OFF, frozenset(final), moves)


def test_no_state_is_spelled_in_a_store_script() -> None:
    """The scripts are fed the states by the machines: a renamed state cannot be missed."""
    states = {state.value for machine in MACHINES for state in machine.states}
    for info in pkgutil.iter_modules(bot.store.__path__):
        module = importlib.import_module(f"bot.store.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") and isinstance(value, str) and "redis.call" in value:
                spelled = {s for s in states if f"'{s}'" in value or f'"{s}"' in value}
                assert not spelled, f"bot/store/{info.name}.py {name} names {spelled}"
