"""An OAuth access token kept until shortly before it expires, fetched once however many reads
want it at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from checks.errors import AppUnauthorized

Clock = Callable[[], float]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str
    expires_in: float
    """Seconds the token is valid for, from when it was issued."""

    def __repr__(self) -> str:  # never show the token
        return f"IssuedToken(expires_in={self.expires_in:g})"


class CachedToken:
    """`fetch` asks the app's token endpoint; `clock` is monotonic seconds."""

    def __init__(
        self, fetch: Callable[[], Awaitable[IssuedToken]], clock: Clock, *, margin: float = 60.0
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        # Renewed `margin` seconds early: a request signed just before expiry must still
        # arrive while the token is good.
        self._margin = margin
        self._value: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return "CachedToken()"

    async def get(self) -> str:
        return (await self._get())[0]

    async def _get(self) -> tuple[str, bool]:
        """The token, and whether it was issued for this call."""
        async with self._lock:
            fresh = self._value is None or self._clock() >= self._renew_at
            if fresh:
                started = self._clock()
                issued = await self._fetch()
                self._value = issued.value
                self._renew_at = started + max(0.0, issued.expires_in - self._margin)
            assert self._value is not None
            return self._value, fresh

    async def use(self, call: Callable[[str], Awaitable[T]]) -> T:
        """`call` with the token. A kept token the app refuses (revoked, or the app's clock
        ahead of ours) is dropped and one new token tried; a new one refused is the answer."""
        token, fresh = await self._get()
        try:
            return await call(token)
        except AppUnauthorized:
            self.forget()
            if fresh:
                raise
        token, _ = await self._get()
        try:
            return await call(token)
        except AppUnauthorized:
            self.forget()
            raise

    def forget(self) -> None:
        """The app refused the token: the next read asks for a new one."""
        self._value = None
