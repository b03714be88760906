"""A scan's listing of app users over a reader that names each next page before its items
arrive, as Okta's Link header does: how many pages are asked for, and when."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from checks.model import App
from checks.scan import READ_AHEAD, TURN_EVERY, AppScan, Listing

APP = App("0oa" + "a" * 17, "salesforce", "Salesforce", "ACTIVE", "SAML_2_0", frozenset())


class Pages:
    """Pages 1, 2, … of app users: each names its successor at once (its headers), and
    arrives when the test releases it."""

    def __init__(self, last: int) -> None:
        self.org_url = "https://example.okta.com"
        self.asked: list[str | None] = []
        self._last = last
        self._arrived: dict[str | None, asyncio.Event] = {}

    def release(self, url: str | None) -> None:
        self._arrived.setdefault(url, asyncio.Event()).set()

    async def get_page(
        self,
        path_or_url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        on_next: Callable[[str | None], None] | None = None,
    ) -> tuple[list[Any], str | None]:
        url = None if path_or_url.startswith("/") else path_or_url
        number = 1 if url is None else int(url.rsplit("=", 1)[1])
        following = f"{self.org_url}/page?n={number + 1}" if number < self._last else None
        self.asked.append(url)
        if on_next is not None:
            on_next(following)
        await self._arrived.setdefault(url, asyncio.Event()).wait()
        return [{"page": number}], following

    async def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        raise AssertionError("a listing reads pages only")

    async def get_all(
        self, path: str, params: Mapping[str, str | int] | None = None, *, max_items: int = 0
    ) -> list[Any]:
        raise AssertionError("a listing reads pages only")


def _page(n: int) -> str:
    return f"https://example.okta.com/page?n={n}"


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_pages_are_asked_for_as_their_names_arrive_up_to_the_read_ahead() -> None:
    assert READ_AHEAD == 2
    pages = Pages(last=5)
    listing = Listing(pages, APP, page_size=1)
    listing.start(None)
    await _settle()
    # Page 1 named page 2 before arriving, page 2 named page 3: two wait, the third is held.
    assert pages.asked == [None, _page(2)]
    pages.release(None)
    items, next_url = await listing.fetch(None)
    assert items == [{"page": 1}] and next_url == _page(2)
    await _settle()
    # Taking page 1 made room: page 3 went out, though page 2 has not arrived yet.
    assert pages.asked == [None, _page(2), _page(3)]
    await listing.close()


async def test_a_listing_closed_asks_for_nothing_it_had_heard_of() -> None:
    pages = Pages(last=5)
    listing = Listing(pages, APP, page_size=1)
    listing.start(None)
    await _settle()
    await listing.close()
    pages.release(_page(2))
    await _settle()
    assert pages.asked == [None, _page(2)]


async def test_a_page_diagnosed_turns_the_event_loop_between_users() -> None:
    """So that the answer of the page read ahead meanwhile is heard (and its successor asked
    for) while a long page is diagnosed, not after."""
    scan = AppScan(Pages(last=1), {"app": APP}, (), True, {}, datetime.now(UTC))
    turns = 0

    async def count() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    counting = asyncio.ensure_future(count())
    await asyncio.sleep(0)
    started = turns
    outcomes = await scan.diagnose([{"not": "an app user"}] * (3 * TURN_EVERY))
    counting.cancel()
    assert len(outcomes) == 3 * TURN_EVERY
    assert turns - started >= 3
