"""Every action, block, callback and metadata id attrsync puts in Slack (`docs/contract.md`).

Slack sends these back with each click, shortcut and submission; the listeners route on them,
so a rename here is a change of the contract.
"""

from __future__ import annotations

from typing import Final

# One user's fix (the report and its thread).
FIX: Final = "fix:"
"""`fix:<check id>`, value: the opaque id of an offer kept in Redis."""
RECHECK: Final = "recheck:"
"""`recheck:<check id>`, value: the offer id (after a manual fix)."""
APPROVE: Final = "approval:approve"
REJECT: Final = "approval:reject"

# Scans.
SCAN_START: Final = "scan:start"
"""On a triage message, value: the app id."""
SCAN_STOP: Final = "scan:stop"
"""On a scan's progress message, value: the scan id."""

# Bulk fixes.
BULK_FIX: Final = "bulkfix:"
"""`bulkfix:<check id>` on a scan's summary, value: the scan id."""
BULK_APPROVE: Final = "bulk:approve"
BULK_REJECT: Final = "bulk:reject"
BULK_STOP: Final = "bulk:stop"
BULK_CANARY: Final = "bulk:canary"
"""The static select naming another canary, option values `<bulk id>:<user id>`."""
BULK_DECISION: Final = "bulk:decision:"
"""The block_id of Approve and Reject: `bulk:decision:<state>:<canary's user id>`."""

# The message shortcut and its modal.
SHORTCUT: Final = "diagnose_message"
"""The shortcut's callback_id, and its modal's."""
MODAL_USER, MODAL_APP, MODAL_ATTRIBUTE = "user", "app", "attribute"
"""The modal's inputs (each both block and action id)."""

# Message metadata.
TRIAGE_METADATA: Final = "attrsync_triage"
"""The event_type of a triage report's metadata, `{"key": "<user>:<app>:<cause>"}`."""
