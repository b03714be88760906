"""How attrsync tries again: a number of attempts, and pauses that grow between them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attempt:
    """One of a backoff's tries, as its loop sees it."""

    last: bool
    """No attempt follows: a failure now is the caller's to report."""
    pause: float
    """Seconds to wait once this attempt failed, before the next (0.0 after the last)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Up to `attempts` tries; after the n-th fails, a pause of `initial * factor**(n - 1)`
    seconds, at most `cap`."""

    initial: float
    factor: float
    cap: float
    attempts: int
    """Tries in all, the first one included."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a backoff makes at least one attempt, not {self.attempts}")
        if min(self.initial, self.factor, self.cap) < 0:
            raise ValueError(f"a backoff's pauses cannot be negative: {self}")

    def pause(self, attempt: int) -> float:
        """Seconds to wait once attempt `attempt` (1: the first) failed. Defined past
        `attempts` too, for a caller that never gives up (a stalled fix)."""
        if attempt < 1:
            raise ValueError(f"attempts count from 1, not {attempt}")
        try:
            grown = self.initial * self.factor ** (attempt - 1)
        except OverflowError:  # float ** raises where * would give inf: past any cap
            return self.cap if self.initial else 0.0
        return min(self.cap, grown)

    def scaled(self, by: float) -> Backoff:
        """The same policy with every pause `by` times as long: one drawn in other units
        (poll intervals) made seconds."""
        return Backoff(self.initial * by, self.factor, self.cap * by, self.attempts)

    def tries(self) -> Iterator[Attempt]:
        """The attempts in order, each knowing whether it is the last and what pause follows."""
        for number in range(1, self.attempts + 1):
            last = number == self.attempts
            yield Attempt(last, 0.0 if last else self.pause(number))
