"""What reader tests inject instead of time: a clock they move, pauses not taken."""

from __future__ import annotations


class ManualClock:
    """Monotonic seconds that pass only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Pauses:
    """Stands in for asyncio.sleep: the pauses a reader took, without taking them."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)
