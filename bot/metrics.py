"""The process's Prometheus metrics (prometheus-client), in a registry of its own that the
services carry: tests and several bots in one process never share counts. No label ever
names a user or a person."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, generate_latest


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass(frozen=True, slots=True)
class Metrics:
    registry: CollectorRegistry = field(default_factory=_registry)
    okta_events: Counter = field(init=False)
    """Okta's events by what triage made of them: triaged, other, not_yet, unusable, failed."""
    triage_posts: Counter = field(init=False)
    """Triage's messages by kind: report, burst, app, resolved, read_back, refused."""

    def __post_init__(self) -> None:
        counters = {
            "okta_events": Counter(
                "attrsync_okta_events_total",
                "Okta events, by what triage made of them.",
                ["org", "result"],
                registry=self.registry,
            ),
            "triage_posts": Counter(
                "attrsync_triage_posts_total",
                "Triage's Slack messages, by kind.",
                ["kind"],
                registry=self.registry,
            ),
        }
        for name, counter in counters.items():
            object.__setattr__(self, name, counter)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)
