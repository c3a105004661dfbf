"""Delivery reports: which sent messages are due a poll, and what each poll found.

A report is stored as a row only when it differs from the message's last one, so a
message's history reads as the steps it went through. Like every store module, pure
database work called from the engine's worker threads.
"""
from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass

import peewee as pw

from tui_notifier import counts
from tui_notifier.db import database
from tui_notifier.delivery.store.common import as_uuid, is_postgres, now_or, without_nul
from tui_notifier.models import DeliveryReport, Message, MessageStatus


@dataclass(frozen=True)
class ReportData:
    """One delivery report as a gateway gave it, in the shape of a DeliveryReport row."""

    status: int
    substatus: int | None = None
    provider_status: int | None = None
    channel: str = ""
    parts_total: int | None = None
    parts_delivered: int | None = None
    clicks: int | None = None
    reported_at: _dt.datetime | None = None
    raw: str = ""

    @property
    def key(self) -> tuple:
        return (self.status, self.substatus, self.provider_status)


@dataclass(frozen=True, order=True)
class ReportDue:
    message_id: int
    dispatch_id: uuid.UUID
    client_id: int | None
    provider_id: str | None
    sent_at: _dt.datetime | None
    last_key: tuple | None


def claim_reports(limit: int, lease_seconds: float,
                  now: _dt.datetime | None = None) -> list[ReportDue]:
    """Take up to `limit` sent messages whose report poll is due; their next poll moves a
    lease ahead so no other consumer polls them meanwhile."""
    now = now_or(now)
    until = now + _dt.timedelta(seconds=lease_seconds)
    with database.atomic():
        inner = (Message.select(Message.id)
                 .where((Message.status == MessageStatus.SENT) & (Message.next_attempt_at <= now))
                 .order_by(Message.next_attempt_at).limit(limit))
        if is_postgres():
            inner = inner.for_update("FOR UPDATE SKIP LOCKED")
        rows = list(Message.update(next_attempt_at=until).where(Message.id.in_(inner))
                    .returning(Message.id, Message.dispatch, Message.client, Message.provider_id,
                               Message.sent_at).tuples().execute())
    if not rows:
        return []
    ids = [row[0] for row in rows]
    latest = (DeliveryReport.select(pw.fn.MAX(DeliveryReport.id))
              .where(DeliveryReport.message.in_(ids)).group_by(DeliveryReport.message))
    keys = {m: (s, ss, ps) for m, s, ss, ps in DeliveryReport.select(
        DeliveryReport.message, DeliveryReport.status, DeliveryReport.substatus,
        DeliveryReport.provider_status).where(DeliveryReport.id.in_(latest)).tuples()}
    sent_field = Message.sent_at
    return sorted(
        ReportDue(m, as_uuid(d), c, p, sent_field.python_value(s) if isinstance(s, int) else s,
                  keys.get(m))
        for m, d, c, p, s in rows
    )


@dataclass
class ReportOutcome:
    message_id: int
    report: ReportData | None = None
    """Stored as a new DeliveryReport row (the engine passes only reports that changed)."""
    final_status: str | None = None
    """`delivered` or `failed` once the report is final; None keeps polling."""
    next_poll_at: _dt.datetime | None = None
    error: str = ""


def record_reports(outcomes: list[ReportOutcome], now: _dt.datetime | None = None) -> None:
    """Store what a batch of polls found; the messages are locked first, in ascending id, the
    order every writer takes them in (a delete of their dispatch then waits for this)."""
    if not outcomes:
        return
    now = now_or(now)
    outcomes = sorted(outcomes, key=lambda o: o.message_id)
    with database.atomic():
        counts.lock_messages(Message.id.in_([o.message_id for o in outcomes]))
        rows = [dict(o.report.__dict__, message=o.message_id, received_at=now,
                     channel=without_nul(o.report.channel), raw=without_nul(o.report.raw))
                for o in outcomes if o.report is not None]
        if rows:
            existing = {m for (m,) in Message.select(Message.id).where(
                Message.id.in_([r["message"] for r in rows])).tuples()}
            rows = [r for r in rows if r["message"] in existing]
            if rows:
                DeliveryReport.insert_many(rows).execute()
        tally = counts.Tally()
        for o in outcomes:
            if o.final_status:
                fields = {"status": o.final_status, "next_attempt_at": None, "updated_at": now}
                if o.final_status == MessageStatus.FAILED:
                    fields["last_error"] = without_nul(o.error)
            else:
                fields = {"next_attempt_at": o.next_poll_at}
            changed = list(Message.update(**fields)
                           .where((Message.id == o.message_id) & (Message.status == MessageStatus.SENT))
                           .returning(Message.dispatch).tuples().execute())
            if o.final_status:
                tally.moves([d for (d,) in changed], MessageStatus.SENT, o.final_status)
        tally.apply()


def reports_due(now: _dt.datetime | None = None) -> bool:
    return Message.select(Message.id).where(
        (Message.status == MessageStatus.SENT) & (Message.next_attempt_at <= now_or(now))
    ).exists()
