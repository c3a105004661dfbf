"""The daily summary an operator gets by e-mail: what the last day's dispatches did.

Also the once-per-period guard (`claim_period`), so that of several consumers sharing a
database exactly one sends the day's mail, and a failed one is tried again with back-off.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field

import peewee as pw
import pytz

from tui_notifier.clock import utcnow
from tui_notifier.db import database
from tui_notifier.models import Checkpoint, Dispatch, Message, MessageStatus, to_millis


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
        rows = (
            Message.select(Message.dispatch, Message.status, pw.fn.COUNT(pw.SQL("*")))
            .where(Message.dispatch.in_(ids))
            .group_by(Message.dispatch, Message.status)
            .tuples()
        )
        by_key = {d.id.hex: d.id for d in active}
        for dispatch_id, status, n in rows:
            key = by_key[str(dispatch_id).replace("-", "")]
            per_dispatch[key][status] += n
            summary.counts[status] += n
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


def _retry_marker(period: str, attempts: int, not_before: _dt.datetime) -> str:
    return f"retry {period} {attempts} {to_millis(not_before)}"


def _parse_retry(value: str, period: str) -> tuple[int, int] | None:
    """(attempts so far, not-before epoch ms) when `value` marks a failed try of `period`."""
    parts = value.split(" ")
    if len(parts) == 4 and parts[0] == "retry" and parts[1] == period:
        return int(parts[2]), int(parts[3])
    return None


def _claimable(value: str, period: str, now: _dt.datetime) -> bool:
    if value == period:
        return False
    retry = _parse_retry(value, period)
    return retry is None or retry[1] <= to_millis(now)


def period_pending(name: str, period: str, now: _dt.datetime | None = None) -> bool:
    """Whether the work of (`name`, `period`) is still to do and may be tried now (a cheap read)."""
    row = Checkpoint.get_or_none(Checkpoint.name == name)
    return _claimable(row.value if row else "", period, now or utcnow())


@dataclass(frozen=True)
class PeriodClaim:
    """The right to do the work of (`name`, `period`) once; `marker` is what the database holds
    while the work runs, so that finishing or failing it touches this claim and no later one."""

    name: str
    period: str
    attempt: int
    marker: str


def claim_period(name: str, period: str, now: _dt.datetime | None = None,
                 lease: float = 600.0) -> PeriodClaim | None:
    """A compare-and-set in the database that lets exactly one caller do the work of
    (`name`, `period`); every other caller gets None. The attempt number is 1, or one more than
    the tries so far. A claim not finished within `lease` seconds (its holder died) counts as a
    failed try, so the period is claimable again then; a failed period once its retry time has come."""
    now = now or utcnow()
    with database.atomic():
        Checkpoint.insert(name=name, value="", updated_at=now).on_conflict_ignore().execute()
        seen = Checkpoint.get(Checkpoint.name == name).value
        if not _claimable(seen, period, now):
            return None
        retry = _parse_retry(seen, period)
        attempt = retry[0] + 1 if retry else 1
        marker = _retry_marker(period, attempt, now + _dt.timedelta(seconds=lease))
        claimed = (
            Checkpoint.update(value=marker, updated_at=now)
            .where((Checkpoint.name == name) & (Checkpoint.value == seen))
            .execute()
        )
    return PeriodClaim(name, period, attempt, marker) if claimed == 1 else None


def complete_period(claim: PeriodClaim, now: _dt.datetime | None = None) -> None:
    """The claimed work is done: nobody does it again for this period."""
    _settle_claim(claim, claim.period, now or utcnow())


def release_period(claim: PeriodClaim, now: _dt.datetime | None = None,
                   first_delay: float = 60.0, max_delay: float = 3600.0) -> float:
    """The claimed work failed: the period may be claimed again after a delay that doubles with
    each failed attempt, up to `max_delay`. Returns the delay."""
    now = now or utcnow()
    delay = min(first_delay * 2 ** (max(claim.attempt, 1) - 1), max_delay)
    _settle_claim(claim, _retry_marker(claim.period, claim.attempt, now + _dt.timedelta(seconds=delay)), now)
    return delay


def _settle_claim(claim: PeriodClaim, value: str, now: _dt.datetime) -> None:
    with database.atomic():
        Checkpoint.update(value=value, updated_at=now).where(
            (Checkpoint.name == claim.name) & (Checkpoint.value == claim.marker)).execute()
