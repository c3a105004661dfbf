"""Leases: named rights held for a while in the shared database, and consumers' heartbeats.

One mechanism for everything that must happen once however many consumers run: the
periodic tick, pumping one dispatch, polling delivery reports, and the daily mail of one
day (`claim_period`, a lease that is marked done when the work is). A lease whose holder
died is free at its end, or at once when the caller names the holders still alive.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from tui_notifier.clock import UTC
from tui_notifier.db import database
from tui_notifier.delivery.store.common import now_or, sql
from tui_notifier.models import ConsumerHeartbeat, EngineLease, to_millis

DONE = _dt.datetime(9999, 1, 1, tzinfo=UTC)
"""The end of a lease whose work is done for good (a day's mail that went out)."""


def hold(name: str, holder: int | None, seconds: float, now: _dt.datetime | None = None) -> None:
    """Take or renew `name` regardless of who held it (with every claim, so in plain SQL)."""
    until = now_or(now) + _dt.timedelta(seconds=seconds)
    with database.atomic():
        database.execute_sql(sql(
            f'INSERT INTO {EngineLease._meta.table_name} (name, holder, "until", attempts) VALUES (?, ?, ?, 1) '
            'ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "until" = excluded."until"'
        ), (name, holder, to_millis(until)))


def acquire(name: str, holder: int | None, seconds: float, now: _dt.datetime | None = None,
            live_holders=None) -> int | None:
    """Take `name` for `seconds` if it is free: never taken, released, expired, or held by
    someone not among `live_holders`. How many times it has been taken (1 the first), or None."""
    now = now_or(now)
    until = now + _dt.timedelta(seconds=seconds)
    free = EngineLease.until.is_null() | (EngineLease.until <= now)
    if live_holders is not None:
        live = sorted(set(live_holders))
        free = free | EngineLease.holder.is_null() | (EngineLease.holder.not_in(live) if live else True)
    with database.atomic():
        EngineLease.insert(name=name, holder=None, until=None, attempts=0).on_conflict_ignore().execute()
        taken = (EngineLease.update(holder=holder, until=until, attempts=EngineLease.attempts + 1)
                 .where((EngineLease.name == name) & free).execute())
        if not taken:
            return None
        return EngineLease.select(EngineLease.attempts).where(EngineLease.name == name).scalar()


def is_free(name: str, now: _dt.datetime | None = None, live_holders=None) -> bool:
    lease = EngineLease.get_or_none(EngineLease.name == name)
    if lease is None or lease.until is None or lease.until <= now_or(now):
        return True
    return live_holders is not None and lease.until < DONE and lease.holder not in set(live_holders)


def release(name: str) -> None:
    with database.atomic():
        EngineLease.update(until=None).where(EngineLease.name == name).execute()


# ---------------------------------------------------------------- work once per period


@dataclass(frozen=True)
class PeriodClaim:
    """The right to do the work of one period (`name` says which) once; `attempt` counts the
    tries, and only this try may settle it."""

    name: str
    attempt: int


def claim_period(name: str, holder: int | None, lease_seconds: float,
                 now: _dt.datetime | None = None) -> PeriodClaim | None:
    """Exactly one caller gets the work of `name` (e.g. `report_email:2026-11-22`); every other
    gets None. A claim not settled within `lease_seconds` (its holder died) counts as a failed
    try, so the work is claimable again then."""
    attempt = acquire(name, holder, lease_seconds, now)
    return PeriodClaim(name, attempt) if attempt else None


def _settle(claim: PeriodClaim, until: _dt.datetime) -> None:
    with database.atomic():
        EngineLease.update(until=until).where(
            (EngineLease.name == claim.name) & (EngineLease.attempts == claim.attempt)).execute()


def complete_period(claim: PeriodClaim) -> None:
    """The claimed work is done: nobody does it again."""
    _settle(claim, DONE)


def release_period(claim: PeriodClaim, now: _dt.datetime | None = None, first_delay: float = 60.0,
                   max_delay: float = 3600.0) -> float:
    """The claimed work failed: it may be claimed again after a delay that doubles with each
    failed try, up to `max_delay`. Returns the delay."""
    delay = min(first_delay * 2 ** (max(claim.attempt, 1) - 1), max_delay)
    _settle(claim, now_or(now) + _dt.timedelta(seconds=delay))
    return delay


# ---------------------------------------------------------------- heartbeats


def beat(consumer_id: int | None, queue: str, kind: str, host: str, pid: int,
         now: _dt.datetime | None = None) -> int:
    """Record that a consumer is alive; the first beat registers it and returns its id."""
    now = now_or(now)
    with database.atomic():
        if consumer_id is not None and ConsumerHeartbeat.update(seen_at=now).where(
                ConsumerHeartbeat.id == consumer_id).execute():
            return consumer_id
        return ConsumerHeartbeat.insert(queue=queue, kind=kind, host=host, pid=pid, started_at=now,
                                        seen_at=now).execute()


def forget_consumer(consumer_id: int) -> None:
    with database.atomic():
        ConsumerHeartbeat.delete().where(ConsumerHeartbeat.id == consumer_id).execute()


def consumers(queue: str | None = None, fresh_seconds: float | None = None,
              now: _dt.datetime | None = None) -> list[ConsumerHeartbeat]:
    """Registered consumers, optionally only on `queue` and seen within `fresh_seconds`."""
    query = ConsumerHeartbeat.select().order_by(ConsumerHeartbeat.id)
    if queue is not None:
        query = query.where(ConsumerHeartbeat.queue == queue)
    if fresh_seconds is not None:
        query = query.where(ConsumerHeartbeat.seen_at >= now_or(now) - _dt.timedelta(seconds=fresh_seconds))
    return list(query)


def forget_stale_consumers(older_than_seconds: float, now: _dt.datetime | None = None) -> int:
    since = now_or(now) - _dt.timedelta(seconds=older_than_seconds)
    with database.atomic():
        return ConsumerHeartbeat.delete().where(ConsumerHeartbeat.seen_at < since).execute()
