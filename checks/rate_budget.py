"""Okta's rate limits as a budget every attrsync process for an org draws from.

Okta counts requests per bucket (most `/api/v1/apps*` calls share one, `/api/v1/users*`
another, the System Log a third, …) and per minute, and tells each answer's bucket ceiling,
what is left and when it refills (X-Rate-Limit-Limit, -Remaining, -Reset). A budget hands out
a share of each bucket (ATTRSYNC_OKTA_SHARE) before a request goes out and learns the ceilings
from the answers. Background work (scans, triage) runs inside `background()`: it waits while a
reserve is kept for the questions people are waiting on.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Protocol

_BACKGROUND = contextvars.ContextVar("attrsync_okta_background", default=False)


class RateBudget(Protocol):
    async def take(self, bucket: str, *, background: bool) -> None:
        """Wait until a request to `bucket` fits the budget, and count it."""

    async def observe(self, bucket: str, limit: int, remaining: int, reset: float) -> None:
        """What Okta said of `bucket` in an answer's X-Rate-Limit-* headers."""

    async def aclose(self) -> None:
        """Tell the other processes what is still untold; the budget is not used after."""


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Okta requests made inside (in this task and the tasks it starts) yield to people."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def in_background() -> bool:
    return _BACKGROUND.get()


_BUCKETS = (
    ("/api/v1/apps", "apps"),
    ("/api/v1/users", "users"),
    ("/api/v1/logs", "logs"),
    ("/api/v1/groups", "groups"),
    ("/api/v1/mappings", "mappings"),
    ("/api/v1/meta", "meta"),
    ("/oauth2/", "oauth"),
)


def bucket_of(path: str) -> str:
    """The Okta rate-limit bucket a request path counts against (by Okta's published
    grouping: every `/api/v1/apps*` call, app users included, shares the apps bucket)."""
    return next((bucket for prefix, bucket in _BUCKETS if path.startswith(prefix)), "other")
