"""Send windows: `HH:MM-HH:MM` in each client's local time, possibly wrapping midnight."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache

import pytz

from tui_notifier.clock import UTC
from tui_notifier.core.errors import ValidationError, shown

_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@dataclass(frozen=True)
class Window:
    start: _dt.time
    end: _dt.time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def wraps_midnight(self) -> bool:
        return self.end < self.start

    def contains(self, local: _dt.time) -> bool:
        if self.wraps_midnight:
            return local >= self.start or local < self.end
        return self.start <= local < self.end

    def is_open(self, timezone: str, at: _dt.datetime) -> bool:
        local = at.astimezone(_zone(timezone)).time().replace(tzinfo=None)
        return self.contains(local)

    def next_open(self, timezone: str, at: _dt.datetime) -> _dt.datetime:
        """`at` itself when the window is open then, else the next moment it opens (UTC)."""
        if self.is_open(timezone, at):
            return at
        zone = _zone(timezone)
        local_day = at.astimezone(zone).date()
        for offset in range(0, 3):
            naive = _dt.datetime.combine(local_day + _dt.timedelta(days=offset), self.start)
            opening = zone.normalize(zone.localize(naive, is_dst=False)).astimezone(UTC)
            if opening > at:
                return opening
        raise AssertionError("a daily window opens within two days")  # pragma: no cover


@lru_cache(maxsize=1024)
def _zone(name: str):
    return pytz.timezone(name)


def parse_window(value) -> Window | None:
    """`"09:00-21:00"` -> Window; empty -> None; anything else is a ValidationError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Window):
        return value
    match = _WINDOW.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValidationError("window", f"expected HH:MM-HH:MM, got {shown(value)}")
    h1, m1, h2, m2 = map(int, match.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise ValidationError("window", f"{shown(value)} is not a valid time of day range")
    window = Window(_dt.time(h1, m1), _dt.time(h2, m2))
    if window.start == window.end:
        raise ValidationError("window", "start and end of the window must differ")
    return window


@lru_cache(maxsize=256)
def _zones_by_openness(window: Window, minute: _dt.datetime) -> tuple[frozenset, frozenset]:
    opened, closed = set(), set()
    for zone in pytz.common_timezones:
        (opened if window.is_open(zone, minute) else closed).add(zone)
    return frozenset(opened), frozenset(closed)


def open_zones(window: Window, now: _dt.datetime) -> tuple[frozenset, frozenset]:
    """(zones where `window` is open at `now`, zones where it is closed).

    Windows are whole minutes and every zone's offset is too, so the split holds for the
    whole minute and is cached by it.
    """
    return _zones_by_openness(window, now.replace(second=0, microsecond=0))
