"""Errors the core raises; each says what was wrong and where, in words an operator reads."""
from __future__ import annotations

import reprlib

from tui_notifier.core.text import visible

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = _repr.maxdict = 4
_repr.maxlevel = 3
SHOWN_LENGTH = 120


def shown(value) -> str:
    """A value quoted for an error message, cut short so hostile input cannot bloat it (the
    quoting writes control characters out, as `visible` does)."""
    text = _repr.repr(value)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 3] + "..."


class CoreError(Exception):
    """Base of every error the faces show the operator as it is: its text carries no control
    character, whatever value it names."""

    def __str__(self) -> str:
        return visible(super().__str__())


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
