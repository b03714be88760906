"""Redis-backed state shared by every bot process: fact cache, duplicate guard, fix offers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.bulk import Bulks
from bot.store.codec import as_text
from bot.store.events import OktaEvents
from bot.store.jobs import Jobs
from bot.store.keys import Keys
from bot.store.runs import Journals, Leases
from bot.store.scans import Scans
from bot.store.triage import TriageStore
from bot.store.warm import WarmStore

DEFAULT_PREFIX = "attrsync:"
RECENT = 10
"""Diagnoses per person shown in App Home."""
_ANSWERED = "answered:"
"""Prefix of a claim's value once its report is out (the permalink follows, if any)."""
DUPLICATE_WINDOW = 60
"""Seconds during which the same question in the same channel links to the first answer."""


def _digest(*parts: str) -> str:
    # Keys hold org URLs and words people typed: hash them to a fixed, safe shape.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class RedisFactCache:
    """App-level Okta JSON kept for a short TTL."""

    def __init__(self, redis: Redis, ttl: float, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._ttl_ms = max(1, int(ttl * 1000))
        self._keys = Keys(prefix)

    async def get(self, key: str) -> Any | None:
        try:
            raw = await self._redis.get(self._keys.facts(_digest(key)))
        except RedisError:  # a cache that is down is a cache that misses
            return None
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any) -> None:
        with contextlib.suppress(RedisError):
            await self._redis.set(
                self._keys.facts(_digest(key)), json.dumps(value), px=self._ttl_ms
            )


@dataclass(frozen=True, slots=True)
class Earlier:
    """The same question was asked moments ago: still running, or answered (with a link to the
    report when Slack gave one)."""

    answered: bool
    permalink: str | None


@dataclass(frozen=True, slots=True)
class FixOffer:
    """What a fix button stands for; the button carries only the id of this record. Data, not
    words: what to say is derived afresh from Okta when the button is clicked."""

    check: str
    fix_id: str
    automated: bool
    user_id: str
    app_id: str
    attribute: str | None
    channel: str
    requester: str | None
    asked: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> FixOffer:
        return cls(**json.loads(raw))


class Store:
    def __init__(
        self, redis: Redis, *, fact_ttl: float, offer_ttl: float, prefix: str = DEFAULT_PREFIX
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keys = Keys(prefix)
        """Every key attrsync writes starts with it (ATTRSYNC_REDIS_PREFIX)."""
        self.facts = RedisFactCache(redis, fact_ttl, prefix)
        self._offer_ttl = max(1, int(offer_ttl))

    async def claim(self, *question: str) -> str | Earlier:
        """A key to answer this question under, or the earlier answer to link to instead."""
        key = self.keys.asked(_digest(*question))
        if await self.redis.set(key, "", nx=True, ex=DUPLICATE_WINDOW):
            return key
        earlier = as_text(await self.redis.get(key))
        return Earlier(bool(earlier), earlier.removeprefix(_ANSWERED) or None)

    async def answered(self, key: str, permalink: str) -> None:
        await self.redis.set(key, _ANSWERED + permalink, keepttl=True, xx=True)

    async def release(self, key: str) -> None:
        """Forget a claim whose answer failed, so that asking again runs again."""
        await self.redis.delete(key)

    async def save_offer(self, offer: FixOffer) -> str:
        offer_id = secrets.token_urlsafe(12)
        await self.redis.set(self.keys.offer(offer_id), offer.to_json(), ex=self._offer_ttl)
        return offer_id

    async def forget_facts(self) -> None:
        """Drop every cached app-level fact: attrsync just changed something in Okta."""
        async for key in self.redis.scan_iter(match=self.keys.all_facts, count=500):
            await self.redis.delete(key)

    async def remember_diagnosis(self, user: str, entry: dict[str, str]) -> None:
        key = self.keys.recent(user)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, json.dumps(entry))
            pipe.ltrim(key, 0, RECENT - 1)
            pipe.expire(key, 30 * 86400)
            await pipe.execute()

    async def recent_diagnoses(self, user: str) -> list[dict[str, str]]:
        return [json.loads(raw) for raw in await self.redis.lrange(self.keys.recent(user), 0, -1)]

    async def start_request(self, offer_id: str, who: str, seconds: int) -> bool:
        """Hold a fix offer while one click plans and posts its request; False if held."""
        return bool(
            await self.redis.set(self.keys.offer_planning(offer_id), who, nx=True, ex=seconds)
        )

    async def end_request(self, offer_id: str) -> None:
        await self.redis.delete(self.keys.offer_planning(offer_id))

    async def group_members(self, group: str) -> set[str] | None:
        """An approver user group's members as last read from Slack, if still fresh."""
        cached = await self.redis.get(self.keys.usergroup(group))
        return None if cached is None else set(json.loads(as_text(cached)))

    async def remember_group(self, group: str, members: list[str], seconds: int) -> None:
        await self.redis.set(self.keys.usergroup(group), json.dumps(members), ex=seconds)

    @cached_property
    def jobs(self) -> Jobs:
        return Jobs(self.redis, self.prefix)

    @cached_property
    def journals(self) -> Journals:
        return Journals(self.redis, self.prefix)

    @cached_property
    def triage(self) -> TriageStore:
        return TriageStore(self.redis, self.prefix)

    @cached_property
    def warm(self) -> WarmStore:
        return WarmStore(self.redis, self.prefix)

    @cached_property
    def okta_events(self) -> OktaEvents:
        return OktaEvents(self.redis, self.prefix)

    @cached_property
    def bulks(self) -> Bulks:
        return Bulks(self.redis, self.prefix)

    @cached_property
    def scans(self) -> Scans:
        return Scans(self.redis, self.prefix)

    def leases(self, ttl_ms: int) -> Leases:
        return Leases(self.redis, self.prefix, ttl_ms=ttl_ms)

    async def ping(self) -> None:
        await self.redis.ping()

    async def load_offer(self, offer_id: str) -> FixOffer | None:
        raw = await self.redis.get(self.keys.offer(offer_id))
        return None if raw is None else FixOffer.from_json(raw)
