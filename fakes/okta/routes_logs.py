"""The System Log: `GET /api/v1/logs` with Okta's bounded and polling query semantics."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Final

from aiohttp import web

from fakes.okta.filters import FakeFilterError, parse_filter
from fakes.okta.shapes import JSON, parse_iso
from fakes.okta.state import FakeOktaError
from fakes.okta.wire import answer, int_param, next_url, state_of

_DEFAULT_WINDOW: Final = timedelta(days=7)
_RETENTION: Final = timedelta(days=180)


class _FilterableAttributes:
    """Okta cannot filter the System Log on `published` (use since/until instead)."""

    def __contains__(self, attribute: object) -> bool:
        return attribute != "published"


def _moment(request: web.Request, name: str, now: datetime) -> datetime | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw == "now":
        return now
    try:
        return parse_iso(raw)
    except ValueError as exc:
        raise FakeOktaError(
            "E0000001",
            f"'{name}': The date format in your query is not recognized. "
            "Please enter dates using ISO8601 string format.",
            [
                f"{name}: The date format in your query is not recognized. "
                "Please enter dates using ISO8601 string format."
            ],
        ) from exc


def _keywords_match(event: JSON, keywords: list[str]) -> bool:
    text = json.dumps(event).casefold()
    return all(keyword in text for keyword in keywords)


async def list_logs(request: web.Request) -> web.Response:
    state = state_of(request)
    now = state.now()
    until = _moment(request, "until", now)
    since = _moment(request, "since", now) or (until or now) - _DEFAULT_WINDOW
    if since < now - _RETENTION:
        raise FakeOktaError(
            "E0000053",
            "Invalid parameter: The since parameter is over 180 days prior to the current day.",
        )
    order = request.query.get("sortOrder", "ASCENDING").upper()
    if order not in ("ASCENDING", "DESCENDING"):
        raise FakeOktaError("E0000001", "sortOrder", ["sortOrder: must be ASCENDING or DESCENDING"])
    limit = int_param(request, "limit", default=100, minimum=0, maximum=1000)
    events = [
        event
        for event in state.logs
        if since <= parse_iso(event["published"])
        and (until is None or parse_iso(event["published"]) < until)
    ]
    text = request.query.get("filter")
    if text:
        try:
            predicate = parse_filter(text, attributes=_FilterableAttributes())
        except FakeFilterError as exc:
            raise FakeOktaError("E0000053", f"Invalid filter '{text}': {exc}") from exc
        events = [event for event in events if predicate(event)]
    keywords = request.query.get("q", "").casefold().split()
    if keywords:
        events = [event for event in events if _keywords_match(event, keywords)]
    events.sort(key=lambda event: (parse_iso(event["published"]), event["uuid"]))
    if order == "DESCENDING":
        events.reverse()
    after = request.query.get("after")
    start = 0
    if after:
        uuids = [event["uuid"] for event in events]
        start = uuids.index(after) + 1 if after in uuids else len(events)
    chunk = events[start : start + limit]
    links = [f'<{request.url}>; rel="self"']
    # A polling query (no `until`, ascending) never ends: Okta always offers a `next` link.
    polling = until is None and order == "ASCENDING"
    if start + limit < len(events) or polling:
        cursor = chunk[-1]["uuid"] if chunk else after
        if cursor:
            links.append(f'<{next_url(request, cursor)}>; rel="next"')
        elif polling:
            links.append(f'<{request.url}>; rel="next"')
    return answer(request, chunk, links=links)


def routes() -> list[web.RouteDef]:
    return [web.get("/api/v1/logs", list_logs, allow_head=False)]
