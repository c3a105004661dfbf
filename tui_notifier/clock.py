"""The one source of "now" for the whole program, always an aware UTC datetime."""
from __future__ import annotations

import datetime as _dt

UTC = _dt.timezone.utc


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(UTC)


def as_utc(value: _dt.datetime) -> _dt.datetime:
    """An aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat_z(value: _dt.datetime | None) -> str | None:
    """`2024-01-21T15:52:00Z`, the shape the report API uses."""
    if value is None:
        return None
    text = as_utc(value).replace(tzinfo=None).isoformat()
    return text + "Z"
