"""The exceptions attrsync raises; str() of each is one sentence fit to show a person."""

from __future__ import annotations


class AttrsyncError(Exception):
    """Base of every error attrsync explains to a person."""


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
