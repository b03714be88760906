"""The evaluator's two failures: the public one, and the internal one it is raised from."""

from __future__ import annotations

from checks.errors import AttrsyncError


class CannotEvaluate(AttrsyncError):
    """The expression is outside what this package can evaluate exactly; `reason` says why."""

    def __init__(self, expression: str, reason: str | None = None) -> None:
        self.expression = expression
        self.reason = reason
        suffix = f" ({reason})" if reason else ""
        super().__init__(f"cannot evaluate locally: {expression}{suffix}")


class Refused(AttrsyncError):
    """Raised deep inside parsing or evaluation with the reason only; the public functions
    wrap it in CannotEvaluate with the whole expression."""
