"""Errors the workflow services raise, each with a message a user can act on (Vietnamese first).

``status`` is the HTTP status an interface should answer with.
"""

from __future__ import annotations

from collections.abc import Sequence


class WorkflowError(Exception):
    code = "workflow_error"
    status = 400

    def __init__(self, message: str, *, problems: Sequence[str] = ()):
        super().__init__(str(message))
        self.message = str(message)
        self.problems = [str(p) for p in problems]

    def __str__(self) -> str:
        if self.problems:
            return f"{self.message} " + " ".join(self.problems)
        return self.message


class NotFound(WorkflowError):
    """Absent, or not visible to this user (the two are not told apart)."""

    code = "not_found"
    status = 404


class NotPermitted(WorkflowError):
    code = "not_permitted"
    status = 403


class GuardFailed(WorkflowError):
    code = "guard_failed"
    status = 400


class Conflict(WorkflowError):
    """Someone else acted first; nothing was written."""

    code = "conflict"
    status = 409


class NotAllowedFromStatus(Conflict):
    """The trigger does not leave the current status — often because someone else acted first."""

    code = "not_allowed_from_status"
    status = 409


class InvalidAddress(WorkflowError):
    """The province, district and commune do not describe one place (core/addresses.py); nothing was written."""

    code = "invalid_address"
    status = 400
