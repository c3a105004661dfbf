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

    @property
    def length(self) -> _dt.timedelta:
        """How long the window lasts on a day without a clock change."""
        day = _dt.date(2000, 1, 1)
        span = _dt.datetime.combine(day, self.end) - _dt.datetime.combine(day, self.start)
        return span if span > _dt.timedelta(0) else span + _dt.timedelta(days=1)

    def is_open(self, timezone: str, at: _dt.datetime) -> bool:
        local_day = at.astimezone(_zone(timezone)).date()
        for offset in (-1, 0, 1):
            opens, closes = _opening(self, timezone, local_day + _dt.timedelta(days=offset))
            if opens <= at < closes:
                return True
        return False

    def next_open(self, timezone: str, at: _dt.datetime) -> _dt.datetime:
        """`at` itself when the window is open then, else the next moment it opens (UTC)."""
        if self.is_open(timezone, at):
            return at
        local_day = at.astimezone(_zone(timezone)).date()
        for offset in range(-1, 3):
            opens, _closes = _opening(self, timezone, local_day + _dt.timedelta(days=offset))
            if opens > at:
                return opens
        raise AssertionError("a daily window opens within two days")  # pragma: no cover


@lru_cache(maxsize=65536)
def _opening(window: Window, timezone: str, day: _dt.date) -> tuple[_dt.datetime, _dt.datetime]:
    """When the window of local `day` opens and closes (UTC): once a day, even on the days
    clocks change.

    Each bound is the first instant the clocks read it. So a start the clocks skip (02:30 on
    a spring-forward night) opens the window at the first instant after the jump, and an hour
    that repeats in autumn does not reopen a window that has already closed. A window lying
    wholly in the skipped hour opens after the jump for its usual length."""
    zone = _zone(timezone)
    opens = _first_instant(zone, _dt.datetime.combine(day, window.start))
    end_day = day + _dt.timedelta(days=1) if window.wraps_midnight else day
    closes = _first_instant(zone, _dt.datetime.combine(end_day, window.end))
    if closes <= opens:
        closes = opens + window.length
    return opens, closes


def _first_instant(zone, wall: _dt.datetime) -> _dt.datetime:
    """The first instant (UTC) at which the clocks of `zone` read `wall` or later."""
    try:
        return zone.localize(wall, is_dst=None).astimezone(UTC)
    except pytz.AmbiguousTimeError:
        return min(zone.localize(wall, is_dst=flag) for flag in (True, False)).astimezone(UTC)
    except pytz.NonExistentTimeError:
        pass
    lo, hi = sorted(zone.localize(wall, is_dst=flag).astimezone(UTC) for flag in (True, False))
    if lo == hi:
        lo, hi = lo - _dt.timedelta(days=1), hi + _dt.timedelta(days=1)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp()) + 1
    while hi_s - lo_s > 1:
        middle = (lo_s + hi_s) // 2
        if _dt.datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            hi_s = middle
        else:
            lo_s = middle
    return _dt.datetime.fromtimestamp(hi_s, UTC)


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
