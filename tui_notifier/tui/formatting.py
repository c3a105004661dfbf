"""How instants, ids, counts and filters read on the dashboard."""
from __future__ import annotations

import datetime as _dt
from functools import lru_cache

import pytz

from tui_notifier.core.text import one_line
from tui_notifier.models import Dispatch


@lru_cache(maxsize=256)
def _zone(name: str):
    return pytz.timezone(name)


def local_time(moment: _dt.datetime | None, timezone: str = "UTC", seconds: bool = False) -> str:
    """`2026-05-01 09:00` in `timezone`; empty for no instant."""
    if moment is None:
        return ""
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return moment.astimezone(_zone(timezone)).strftime(shape)


def short_id(dispatch_id) -> str:
    """The first 8 hex digits: enough to tell dispatches apart, and accepted by the CLI."""
    return str(dispatch_id).replace("-", "")[:8]


def dispatch_label(dispatch: Dispatch) -> str:
    """`0f3a9c1e “Sale starts today”`: how a toast or a dialog names a dispatch."""
    return f"{short_id(dispatch.id)} “{one_line(dispatch.message_text, 40)}”"


def number(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


def audience(dispatch: Dispatch) -> str:
    parts = []
    if dispatch.operator_codes:
        parts.append("codes " + ",".join(dispatch.operator_codes))
    if dispatch.tags:
        parts.append("tags " + ",".join(dispatch.tags))
    return " · ".join(parts) or "everyone"


def duration(seconds: float | None) -> str:
    """`1:02:03`, or `—` when it cannot be told."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
