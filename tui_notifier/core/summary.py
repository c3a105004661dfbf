"""The daily summary an operator gets by e-mail: what the last day's dispatches did."""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field

import peewee as pw
import pytz

from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.models import Dispatch, Message, MessageStatus


@dataclass
class DailySummary:
    since: _dt.datetime
    until: _dt.datetime
    counts: Counter = field(default_factory=Counter)
    """Messages by status, over every dispatch active during the period."""
    active: list[tuple[Dispatch, Counter]] = field(default_factory=list)
    started: int = 0
    finished: int = 0
    cancelled: int = 0
    top_errors: list[tuple[str, int]] = field(default_factory=list)

    def as_text(self, timezone: str = "UTC") -> str:
        zone = pytz.timezone(timezone)

        def local(moment):
            return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

        lines = [
            f"tui_notifier daily summary, {local(self.since)} to {local(self.until)}",
            "",
            f"Dispatches active: {len(self.active)}; started: {self.started}; "
            f"finished: {self.finished}; cancelled: {self.cancelled}",
            "",
            "Messages by status:",
        ]
        total = sum(self.counts.values())
        for status in MessageStatus.ALL:
            lines.append(f"  {status:<10} {self.counts.get(status, 0)}")
        lines.append(f"  {'total':<10} {total}")
        lines += ["", "Top error reasons:"]
        lines += [f"  {n:>6}  {reason}" for reason, n in self.top_errors] or ["  none"]
        if self.active:
            lines += ["", "Dispatches:"]
            for dispatch, counts in self.active:
                text = " ".join(dispatch.message_text.split())[:40]
                done = sum(counts[s] for s in MessageStatus.COMPLETED)
                lines.append(f"  {dispatch.id}  {dispatch.status:<9} {done}/{sum(counts.values())} sent  {text}")
        return "\n".join(lines) + "\n"


def daily_summary(now: _dt.datetime | None = None, hours: int = 24) -> DailySummary:
    until = now or utcnow()
    since = until - _dt.timedelta(hours=hours)
    summary = DailySummary(since, until)
    active = list(
        Dispatch.select()
        .where((Dispatch.start_at <= until) & (Dispatch.end_at >= since))
        .order_by(Dispatch.start_at)
    )
    ids = [d.id for d in active]
    per_dispatch: dict = {d.id: Counter() for d in active}
    if ids:
        counted = counts.read()
        for d in active:
            per_dispatch[d.id].update(counted.get(d.id.hex, {}))
            summary.counts.update(counted.get(d.id.hex, {}))
        errors = (
            Message.select(Message.last_error, pw.fn.COUNT(pw.SQL("*")).alias("n"))
            .where(Message.dispatch.in_(ids) & (Message.last_error != ""))
            .group_by(Message.last_error)
            .order_by(pw.SQL("n").desc())
            .limit(5)
            .tuples()
        )
        summary.top_errors = list(errors)
    summary.active = [(d, per_dispatch[d.id]) for d in active]
    summary.started = sum(1 for d in active if d.fanned_out_at and since <= d.fanned_out_at <= until)
    for d in active:
        if d.finished_at and since <= d.finished_at <= until:
            if d.status == "cancelled":
                summary.cancelled += 1
            else:
                summary.finished += 1
    return summary

