"""What Okta POSTs to an Event Hook: a CloudEvents-style envelope around System Log events
(developer.okta.com, "Event hooks": eventType com.okta.event_hook, eventId, eventTime,
data.events[]). The demo and the tests deliver the fake org's own System Log events in it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from fakes.okta.shapes import JSON, iso


def envelope(events: Sequence[JSON], org_url: str, hook_id: str = "whoDemoEventHook0001") -> JSON:
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": f"{org_url.rstrip('/')}/api/v1/eventHooks/{hook_id}",
        "eventId": str(uuid.uuid4()),
        "data": {"events": list(events)},
        "eventTime": iso(datetime.now(UTC)),
        "contentType": "application/json",
    }
