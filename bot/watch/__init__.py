"""Watching Okta: the events that say a sync failed (or may have), triaged before anyone asks."""
