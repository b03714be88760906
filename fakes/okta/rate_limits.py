"""Okta's rate limits as the fake counts them: per bucket and per window (a minute at Okta),
told in every answer's X-Rate-Limit-* headers and, when enforced, refused with Okta's 429."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

# Okta's grouping of endpoints into buckets (developer.okta.com, "Rate limits"), as far as the
# fake serves them: every /api/v1/apps* call, app users included, counts against one bucket.
_BUCKETS = (
    ("/api/v1/apps", "apps"),
    ("/api/v1/users", "users"),
    ("/api/v1/logs", "logs"),
    ("/api/v1/groups", "groups"),
    ("/api/v1/mappings", "mappings"),
    ("/api/v1/meta", "meta"),
    ("/oauth2/", "oauth"),
)


@dataclass
class RateLimits:
    default: int = 600
    limits: Mapping[str, int] = field(default_factory=dict)
    """Ceilings by bucket (apps, users, logs, …); the others get `default`."""
    window: float = 60.0
    enforce: bool = False
    """Refuse what exceeds a ceiling with 429 E0000047 (off: only tell, as before)."""
    refused: int = 0
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def count(self, path: str) -> tuple[int, int, int, bool]:
        """Count a request: (limit, remaining, reset epoch seconds, over the limit)."""
        bucket = next((name for prefix, name in _BUCKETS if path.startswith(prefix)), "other")
        limit = self.limits.get(bucket, self.default)
        now = time.time()
        start = now - now % self.window
        known_start, used = self._windows.get(bucket, (start, 0))
        if known_start != start:
            used = 0
        used += 1
        self._windows[bucket] = (start, used)
        over = used > limit
        self.refused += over and self.enforce
        return limit, max(0, limit - used), int(start + self.window + 0.999), over
