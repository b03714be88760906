"""Backoff: the pauses between attempts, and the policies the product names with it."""

from __future__ import annotations

import dataclasses

import pytest

from checks.okta import OKTA_RETRY
from checks.remediation.execute import STEP_RETRY
from checks.retry import Attempt, Backoff
from checks.scan import PAGE_RETRY


def test_pauses_grow_by_the_factor_up_to_the_cap() -> None:
    backoff = Backoff(initial=0.5, factor=3.0, cap=10.0, attempts=5)
    assert [backoff.pause(n) for n in range(1, 6)] == [0.5, 1.5, 4.5, 10.0, 10.0]


def test_the_stalled_fix_backoff_is_expressible() -> None:
    # bot/fixes/runner.py: min(900, 30 * 2 ** (stalls - 1)), for as many stalls as come.
    stalled = Backoff(initial=30, factor=2, cap=900, attempts=1)
    assert [stalled.pause(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
    # 2.0 ** 4999 overflows a float: the cap holds all the same.
    assert Backoff(initial=30.0, factor=2.0, cap=900.0, attempts=1).pause(5_000) == 900.0
    assert Backoff(initial=0.0, factor=2.0, cap=900.0, attempts=1).pause(5_000) == 0.0


def test_a_factor_of_one_keeps_the_pause() -> None:
    steady = Backoff(initial=2.0, factor=1.0, cap=5.0, attempts=4)
    assert [steady.pause(n) for n in (1, 2, 9)] == [2.0, 2.0, 2.0]


def test_tries_say_which_is_last_and_the_pause_after_each() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, cap=3.0, attempts=4)
    assert list(backoff.tries()) == [
        Attempt(last=False, pause=1.0),
        Attempt(last=False, pause=2.0),
        Attempt(last=False, pause=3.0),
        Attempt(last=True, pause=0.0),
    ]
    assert list(Backoff(initial=1.0, factor=2.0, cap=3.0, attempts=1).tries()) == [
        Attempt(last=True, pause=0.0)
    ]


def test_scaled_makes_every_pause_longer_by_the_same_ratio() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, cap=3.0, attempts=4)
    scaled = backoff.scaled(0.5)
    assert [a.pause for a in scaled.tries()] == [a.pause / 2 for a in backoff.tries()]
    assert scaled.attempts == backoff.attempts


def test_a_backoff_is_immutable() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, cap=3.0, attempts=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        backoff.attempts = 5  # type: ignore[misc]
    assert not hasattr(backoff, "__dict__")


@pytest.mark.parametrize(
    ("initial", "factor", "cap", "attempts"),
    [(1.0, 2.0, 3.0, 0), (-1.0, 2.0, 3.0, 2), (1.0, -2.0, 3.0, 2), (1.0, 2.0, -3.0, 2)],
)
def test_a_backoff_that_cannot_be_is_refused(
    initial: float, factor: float, cap: float, attempts: int
) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial=initial, factor=factor, cap=cap, attempts=attempts)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        Backoff(initial=1.0, factor=2.0, cap=3.0, attempts=2).pause(0)


def test_the_product_policies_keep_their_timings() -> None:
    # What the loops slept before they were written with Backoff.
    assert [(a.last, a.pause) for a in OKTA_RETRY.tries()] == [
        (False, 0.5),
        (False, 1.0),
        (True, 0.0),
    ]
    assert [a.pause for a in PAGE_RETRY.tries()] == [1.0, 2.0, 0.0]
    assert [a.pause for a in STEP_RETRY.scaled(2.0).tries()] == [2.0, 4.0, 0.0]
