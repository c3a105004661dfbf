"""A time-zone field that completes the name as it is typed, and takes the completion on Enter."""
from __future__ import annotations

import pytz
from textual.suggester import SuggestFromList
from textual.widgets import Input

ZONES = tuple(pytz.common_timezones)
_FOLDED = tuple(zone.casefold() for zone in ZONES)


def complete_timezone(typed: str) -> str:
    """The first time zone that starts with `typed` (any case), or `typed` as it is when it is
    already a name or none starts so."""
    text = typed.strip()
    if not text or text in ZONES:
        return typed
    folded = text.casefold()
    for zone, name in zip(ZONES, _FOLDED):
        if name.startswith(folded):
            return zone
    return typed


class TimezoneInput(Input):
    """Shows the completion of what is typed; Enter accepts it before the form is submitted."""

    def __init__(self, value: str = "UTC", **kwargs):
        kwargs.setdefault("suggester", SuggestFromList(ZONES, case_sensitive=False))
        super().__init__(value, **kwargs)

    async def action_submit(self) -> None:
        completed = complete_timezone(self.value)
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)
        await super().action_submit()
