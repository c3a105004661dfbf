"""The one source of "now" for the whole program, always an aware UTC datetime.

`TUI_NOTIFIER_CLOCK_OFFSET` (seconds, may be negative) shifts it, so that every face and
consumer started with the same value can rehearse a dispatch at another hour of the day:
send windows in far time zones, a start at 09:00, without waiting for the wall clock."""
from __future__ import annotations

import datetime as _dt
import os

UTC = _dt.timezone.utc
OFFSET_VARIABLE = "TUI_NOTIFIER_CLOCK_OFFSET"


def _offset_from_environment() -> _dt.timedelta:
    raw = os.environ.get(OFFSET_VARIABLE, "").strip()
    try:
        return _dt.timedelta(seconds=float(raw or 0))
    except (ValueError, OverflowError):
        raise SystemExit(f"{OFFSET_VARIABLE}: expected a number of seconds, got {raw[:40]!r}") from None


_offset = _offset_from_environment()


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(UTC) + _offset


def wall_clock(moment: _dt.datetime) -> _dt.datetime:
    """The real instant at which the program's clock shows `moment`, for schedulers that read
    the real clock (Huey's eta); the same instant unless a clock offset is set."""
    return moment - _offset


def as_utc(value: _dt.datetime) -> _dt.datetime:
    """An aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat_z(value: _dt.datetime | None) -> str | None:
    """`2024-01-21T15:52:00Z` (`…:34.459Z` with milliseconds), the shape the report API uses."""
    if value is None:
        return None
    moment = as_utc(value).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds") + "Z"
