"""Errors the core raises; each says what was wrong and where, in words an operator reads."""
from __future__ import annotations


class CoreError(Exception):
    """Base of every error the faces show the operator as it is."""


class ValidationError(CoreError):
    """A value the operator gave is not acceptable; `field` names it."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NotFound(CoreError):
    pass


class Conflict(CoreError):
    """The change would break a rule of the directory, such as one phone per client."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class StateError(CoreError):
    """The change is not allowed in the dispatch's current state."""
