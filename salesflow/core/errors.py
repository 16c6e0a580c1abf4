"""Typed domain errors raised by services and mapped once per interface (form, API, import)."""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["DomainError", "NotAllowed", "PermissionDenied", "ValidationError"]


class DomainError(Exception):
    """A rule of the business refused the action; ``message`` is shown to the user."""

    def __init__(self, message, *, code: str = "", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NotAllowed(PermissionDenied):
    """The actor lacks the right for this action (in scope, but not permitted)."""
