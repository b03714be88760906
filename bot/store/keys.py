"""Every Redis key attrsync writes, in one place, under the installation's prefix
(`ATTRSYNC_REDIS_PREFIX`, default `attrsync:`). Lifetimes are listed in docs/operations.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str

    # Diagnoses ----------------------------------------------------------------------------
    def facts(self, digest: str) -> str:
        """App-level Okta JSON (string, TTL ATTRSYNC_FACT_CACHE_TTL)."""
        return f"{self.prefix}facts:{digest}"

    @property
    def all_facts(self) -> str:
        return f"{self.prefix}facts:*"

    def asked(self, digest: str) -> str:
        """The duplicate guard of one question in one channel (string, 60 s)."""
        return f"{self.prefix}asked:{digest}"

    def recent(self, user: str) -> str:
        """A person's recent diagnoses for App Home (list, 30 days)."""
        return f"{self.prefix}recent:{user}"

    def offer(self, offer_id: str) -> str:
        """What a fix button stands for (string, ATTRSYNC_APPROVAL_TTL)."""
        return f"{self.prefix}offer:{offer_id}"

    def offer_request(self, offer_id: str) -> str:
        """The open fix request of a fix button (string, with the request)."""
        return f"{self.prefix}offer:{offer_id}:approval"

    def offer_planning(self, offer_id: str) -> str:
        """Held while one click plans and posts a request (string, 30 s)."""
        return f"{self.prefix}offer:{offer_id}:planning"

    def usergroup(self, group: str) -> str:
        """An approver user group's members (string, 5 minutes)."""
        return f"{self.prefix}usergroup:{group}"

    # Fixes --------------------------------------------------------------------------------
    @property
    def approval_prefix(self) -> str:
        return f"{self.prefix}approval:"

    def approval(self, approval_id: str) -> str:
        """A fix request (hash, ATTRSYNC_APPROVAL_TTL + 30 days)."""
        return self.approval_prefix + approval_id

    @property
    def pending(self) -> str:
        """PENDING requests by expiry (zset)."""
        return f"{self.prefix}approvals:pending"

    @property
    def attention(self) -> str:
        """Stalled runs, a user possibly unassigned (zset)."""
        return f"{self.prefix}approvals:attention"

    @property
    def jobs(self) -> str:
        """Runs for the workers' consumer group (stream, ~10,000 entries)."""
        return f"{self.prefix}jobs"

    @property
    def retries(self) -> str:
        """Stalled runs by when to try again (zset)."""
        return f"{self.prefix}jobs:retry"

    def lock(self, scope: str) -> str:
        """A run's lease on an (app, user) assignment or a whole app (string, the lease)."""
        return f"{self.prefix}lock:{scope}"

    @property
    def fence(self) -> str:
        """The counter that gives every lease a new fencing token."""
        return f"{self.prefix}lock-fence"

    def run(self, approval_id: str) -> str:
        """A run's write-ahead journal (hash, 30 days)."""
        return f"{self.prefix}run:{approval_id}"

    @property
    def audit(self) -> str:
        """The audit trail (stream, ~100,000 entries)."""
        return f"{self.prefix}audit"

    # Scans --------------------------------------------------------------------------------
    def scan(self, scan_id: str) -> str:
        """A scan: its app, cursor, running tally and state (hash, 7 days)."""
        return f"{self.prefix}scan:{scan_id}"

    def scan_rows(self, scan_id: str) -> str:
        """The CSV rows of a scan's affected users (list, 7 days)."""
        return f"{self.prefix}scan:{scan_id}:rows"

    def scan_active(self, app_id: str) -> str:
        """The scan of an app that is queued or running (string, until it ends)."""
        return f"{self.prefix}scan-active:{app_id}"

    def scan_size(self, app_id: str) -> str:
        """How many users the last complete scan of an app listed (string, 30 days)."""
        return f"{self.prefix}scan-size:{app_id}"

    def bulk(self, bulk_id: str) -> str:
        """A bulk fix of a scan's cause (hash, 30 days)."""
        return f"{self.prefix}bulk:{bulk_id}"

    def bulk_users(self, bulk_id: str) -> str:
        """The users a bulk fix works through, in order (list, 30 days)."""
        return f"{self.prefix}bulk:{bulk_id}:users"

    def bulk_outcomes(self, bulk_id: str) -> str:
        """The CSV rows of what a bulk fix did for each user (list, 30 days)."""
        return f"{self.prefix}bulk:{bulk_id}:outcomes"

    def bulk_open(self, scan_id: str, check: str) -> str:
        """The open bulk fix of one cause of one scan (string, 30 days)."""
        return f"{self.prefix}bulk-open:{scan_id}:{check}"

    # Okta's events ------------------------------------------------------------------------
    @property
    def events(self) -> str:
        """Okta events to triage, from the Event Hook or the System Log (stream, ~100,000)."""
        return f"{self.prefix}okta-events"

    def event_seen(self, uuid: str) -> str:
        """An Okta event already queued: Okta delivers at least once (string, 7 days)."""
        return f"{self.prefix}okta-event:{uuid}"

    def triage_posts(self, user_id: str, app_id: str) -> str:
        """The triage messages about one user in one app, by cause (hash, 7 days)."""
        return f"{self.prefix}triage:{user_id}:{app_id}"

    def triage_burst(self, app_id: str, cause: str) -> str:
        """Users triaged lately for one app and cause, by when (zset, the burst window)."""
        return f"{self.prefix}triage-burst:{app_id}:{cause}"

    def triage_summary(self, app_id: str, cause: str) -> str:
        """The one message that stands for a burst of one app and cause (string, the window)."""
        return f"{self.prefix}triage-summary:{app_id}:{cause}"

    def watch_cursor(self, org: str) -> str:
        """Where `attrsync watch` goes on reading an org's System Log: the next page's URL
        (string, forever)."""
        return f"{self.prefix}watch-cursor:{org}"

    def watch_changed(self, user_id: str) -> str:
        """The Okta attributes a user's pending profile changes named (set, 7 days)."""
        return f"{self.prefix}watch-changed:{user_id}"

    @property
    def watch_due(self) -> str:
        """Users whose profile changed, by when to check it reached their apps (zset)."""
        return f"{self.prefix}watch-due"

    @property
    def warm_apps(self) -> str:
        """Apps Okta's events named lately, by the latest (zset, triage's warm period)."""
        return f"{self.prefix}warm-apps"

    def warm_claim(self, app_id: str) -> str:
        """The worker refreshing an app's facts next (string, until the refresh is due)."""
        return f"{self.prefix}warm:{app_id}"

    # Okta ---------------------------------------------------------------------------------
    def budget(self, org: str, bucket: str) -> str:
        """An Okta rate-limit bucket's budget for one org (hash, until a minute after it
        refills)."""
        return f"{self.prefix}okta-budget:{org}:{bucket}"
