"""The exceptions attrsync raises; str() of each is one sentence fit to show a person, but for
the internal ones, which the part that raises them catches before anyone sees them.

Every exception class `checks` and `bot` define, by base and wherever it is defined
(tests/test_error_tree.py holds this tree to the code):

* AttrsyncError
  * UsageError             bad input or configuration (exit code 2)
    * BadPath              checks.readers.scim_paths: not a SCIM attribute path
  * OktaError              talking to Okta failed
    * OktaNotFound
    * OktaBadRequest
    * OktaUnauthorized     the token is rejected: nothing can be checked
    * OktaForbidden        a scope or admin role is missing: only what needs it fails
    * OktaRateLimited
    * OktaUnavailable      unreachable, timed out or 5xx
    * OktaMalformed        a 2xx that is not the shape Okta documents
    * NotReadInScan        checks.scan: a per-user fact a scan does not read
  * AppReadFailed          reading the user's record in the app failed (checks.readers)
    * AppUnauthorized      the app refused the reader's credentials
    * AppForbidden         the credentials lack a scope or role to read users
    * AppRateLimited       the app asked us to slow down for longer than the read may wait
    * AppUnavailable       unreachable, timed out, 5xx, or no such endpoint at the URL
    * AppMalformed         a 2xx that is not the shape the app's API documents
  * Unresolved             a precondition of later checks does not hold (they are skipped)
    * UserNotFound
    * AppNotFound
    * NotAssigned
    * NotProvisioned
  * CannotEvaluate         checks.expressions: a mapping expression not evaluated exactly
  * Refused                checks.expressions, internal: the reason, wrapped in CannotEvaluate
  * NotAutomatable         checks.remediation.model: no safe way through the API now
  * NothingToDo            checks.remediation.model: the fix is in place already
  * LeaseLost              checks.remediation.execute: another worker holds the run
  * ApproverCheckFailed    bot.approvers: Slack would not list an approver user group
  * NotPosted              bot.watch.triage, internal: Slack refused a report; tried again

The fakes raise their own, named apart so that neither is taken for the other:
fakes.okta.state.FakeOktaError, fakes.okta.filters.FakeFilterError and the fake Slack's
private _Refusal.
"""

from __future__ import annotations


class AttrsyncError(Exception):
    """Base of every exception attrsync defines (the tree above)."""


class UsageError(AttrsyncError):
    """Bad input or configuration (exit code 2)."""


class OktaError(AttrsyncError):
    """Talking to Okta failed."""

    request_id: str | None = None


class OktaNotFound(OktaError):
    pass


class OktaBadRequest(OktaError):
    pass


class OktaUnauthorized(OktaError):
    """The token (or the OAuth service app) was rejected: nothing can be checked."""


class OktaForbidden(OktaError):
    """The token lacks a scope or admin role; only what needs it is affected."""


class OktaRateLimited(OktaError):
    pass


class OktaUnavailable(OktaError):
    """Okta could not be reached, timed out or answered 5xx."""


class OktaMalformed(OktaError):
    """Okta answered 2xx with something that is not the shape its API documents (an HTML
    page from a proxy, `{}`, a list where an object belongs, an id that is no Okta id)."""


class AppReadFailed(AttrsyncError):
    """Reading the user's record in the app failed; only the app_record check is affected."""

    app: str = ""
    """The app's label, as the settings file names it."""


class AppUnauthorized(AppReadFailed):
    pass


class AppForbidden(AppReadFailed):
    pass


class AppRateLimited(AppReadFailed):
    retry_after: float | None = None
    """Seconds the app asked us to wait (its Retry-After), when it said."""


class AppUnavailable(AppReadFailed):
    pass


class AppMalformed(AppReadFailed):
    pass


class Unresolved(AttrsyncError):
    """A precondition of later checks does not hold (they are skipped, not unknown)."""


class UserNotFound(Unresolved):
    pass


class AppNotFound(Unresolved):
    def __init__(self, message: str, candidates: tuple[str, ...] = (), advice: str = "") -> None:
        super().__init__(message)
        self.candidates = candidates
        self.advice = advice or "Use the app's label as shown in Applications > Applications."


class NotAssigned(Unresolved):
    pass


class NotProvisioned(Unresolved):
    pass


FATAL_OKTA_ERRORS = (OktaUnauthorized, OktaUnavailable, OktaRateLimited)
"""Errors that, hitting the user or app lookup, leave nothing to diagnose (exit code 3)."""
