"""HTTP plumbing shared by the fake's routes: JSON answers, query parameters, Okta paging."""

from __future__ import annotations

import bisect
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, TypeVar

from aiohttp import web

from fakes.okta.state import FakeOktaError, OrgState

STATE: Final = web.AppKey("attrsync_demo_state", OrgState)
MUTATED: Final = web.RequestKey("attrsync_demo_mutated", bool)

T = TypeVar("T")


def state_of(request: web.Request) -> OrgState:
    return request.app[STATE]


def mark_mutation(request: web.Request) -> None:
    """Flag the request as one that changed the org (see FakeOkta.mutations)."""
    request[MUTATED] = True


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _absolute(body: str, base: str) -> str:
    """Org-relative hrefs made absolute in serialized JSON: `"href":"/` can only be a key and
    the start of its value there (inside a JSON string the quotes would be escaped)."""
    return body.replace('"href":"/', f'"href":"{base}/')


def answer(
    request: web.Request,
    data: Any,
    *,
    status: int = 200,
    links: Sequence[str] = (),
) -> web.Response:
    """A JSON answer; org-relative hrefs become absolute, `links` become Link headers."""
    body = _absolute(json.dumps(data, separators=(",", ":")), base_url(request))
    response = web.Response(body=body.encode(), status=status, content_type="application/json")
    for link in links:
        response.headers.add("Link", link)
    return response


def no_content() -> web.Response:
    """204 without a Content-Type: the okta SDK would try to parse an empty JSON body."""
    return web.Response(status=204)


async def json_body(request: web.Request) -> Any:
    """The parsed JSON body, or None when there is none; malformed JSON is a 400."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise FakeOktaError("E0000001", "body", ["The request body was not well-formed."]) from exc


def int_param(request: web.Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter clamped to Okta's bounds; not a number is a 400."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise FakeOktaError("E0000001", name, [f"{name}: must be an integer"]) from exc
    return max(minimum, min(maximum, value))


def page(
    request: web.Request,
    items: Sequence[T],
    *,
    cursor: Callable[[T], str],
    default_limit: int,
    max_limit: int,
) -> tuple[list[T], list[str]]:
    """Slice one page after the `after` cursor; return it with Okta's self/next Link headers.

    A limit of -1 (Okta's default for some lists) means everything.
    """
    after = request.query.get("after")
    start = 0
    if after:
        keys = [cursor(item) for item in items]
        if after in keys:
            start = keys.index(after) + 1
        elif keys == sorted(keys):  # a list ordered by its cursor goes on where it would be
            start = bisect.bisect_right(keys, after)
        else:
            start = len(items)
    following = itertools.islice(items, start, None)
    return page_of(
        request, following, cursor=cursor, default_limit=default_limit, max_limit=max_limit
    )


def page_of(
    request: web.Request,
    following: Iterator[T],
    *,
    cursor: Callable[[T], str],
    default_limit: int,
    max_limit: int,
) -> tuple[list[T], list[str]]:
    """As `page`, for a list already started where the `after` cursor says. Only the page and
    the one item after it (is there a next page?) are read: a list an index serves from its
    cursor costs a page's size, not the list's."""
    limit = int_param(request, "limit", default=default_limit, minimum=-1, maximum=max_limit)
    chunk = list(following) if limit < 1 else list(itertools.islice(following, limit + 1))
    links = [f'<{request.url}>; rel="self"']
    if limit >= 1 and len(chunk) > limit:
        del chunk[limit:]
        links.append(f'<{next_url(request, cursor(chunk[-1]))}>; rel="next"')
    return chunk, links


def next_url(request: web.Request, after: str) -> str:
    """The request's own URL with `after` set: Okta keeps every other parameter."""
    query = {key: value for key, value in request.query.items() if key != "after"}
    return str(request.url.with_query({"after": after, **query}))
