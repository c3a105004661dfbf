"""Reports: counts of messages by status per dispatch, message pages, one message's history.

`report_json` gives the shape of the report API the earlier systems served (`id,
start_datetime, end_datetime, message_text, filter_mobile_operator_code__code,
filter_tag__code, created, completed, error, timeout`) plus richer keys.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import peewee as pw

from tui_notifier.clock import isoformat_z
from tui_notifier.core.dispatches import get_dispatch
from tui_notifier.core.errors import NotFound
from tui_notifier.core.windows import open_zones, parse_window
from tui_notifier.models import (Attempt, DeliveryReport, Dispatch, DispatchStatus, Message, MessageStatus,
                                 to_millis)


@dataclass
class DispatchReport:
    dispatch: Dispatch
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, *statuses: str) -> int:
        return sum(self.counts.get(status, 0) for status in statuses)

    @property
    def done(self) -> int:
        """Messages that need nothing more from the engine."""
        return self.total - self.count(*MessageStatus.UNSENT)

    def as_json(self) -> dict:
        d = self.dispatch
        return {
            "id": str(d.id),
            "start_datetime": isoformat_z(d.start_at),
            "end_datetime": isoformat_z(d.end_at),
            "message_text": d.message_text,
            "filter_mobile_operator_code__code": ",".join(d.operator_codes),
            "filter_tag__code": ",".join(d.tags),
            "created": self.count(MessageStatus.CREATED, MessageStatus.SENDING),
            "completed": self.count(*MessageStatus.COMPLETED),
            "error": self.count(MessageStatus.FAILED),
            "timeout": self.count(MessageStatus.TIMEOUT),
            "status": d.status,
            "status_reason": d.status_reason,
            "timezone": d.timezone,
            "window": d.window,
            "operator_codes": list(d.operator_codes),
            "tags": list(d.tags),
            "counts": {status: self.counts.get(status, 0) for status in MessageStatus.ALL},
            "total": self.total,
            "sender": d.sender,
            "source_id": str(d.source) if d.source else None,
            "audience": "list" if d.explicit_audience else "filters",
            "skipped_stoplist": d.skipped_stoplist,
        }


def status_counts(dispatch_id=None) -> dict:
    """{dispatch id: {status: count}} for every dispatch, or for one."""
    query = Message.select(Message.dispatch, Message.status, pw.fn.COUNT(pw.SQL("*")).alias("n"))
    if dispatch_id is not None:
        query = query.where(Message.dispatch == dispatch_id)
    counts: dict = defaultdict(dict)
    for dispatch, status, n in query.group_by(Message.dispatch, Message.status).tuples():
        counts[str(dispatch).replace("-", "")][status] = n
    return counts


def totals() -> tuple[dict, dict]:
    """Messages by status and dispatches by status over the whole database, every status
    present (zero when none), for dashboards and metrics."""
    messages = dict.fromkeys(MessageStatus.ALL, 0)
    for status, n in (Message.select(Message.status, pw.fn.COUNT(pw.SQL("*")))
                      .group_by(Message.status).tuples()):
        messages[status] = n
    dispatches = dict.fromkeys(DispatchStatus.ALL, 0)
    for status, n in (Dispatch.select(Dispatch.status, pw.fn.COUNT(pw.SQL("*")))
                      .group_by(Dispatch.status).tuples()):
        dispatches[status] = n
    return messages, dispatches


def _key(dispatch: Dispatch) -> str:
    return dispatch.id.hex


def all_reports() -> list[DispatchReport]:
    dispatches = list(Dispatch.select().order_by(Dispatch.start_at.desc(), Dispatch.created_at.desc()))
    counts = status_counts()
    return [DispatchReport(d, counts.get(_key(d), {})) for d in dispatches]


def dispatch_report(dispatch_id) -> DispatchReport:
    dispatch = get_dispatch(dispatch_id)
    return DispatchReport(dispatch, status_counts(dispatch.id).get(_key(dispatch), {}))


def dispatch_messages(dispatch_id, status: str | None = None, limit: int = 50, offset: int = 0,
                      after_id: int | None = None, before_id: int | None = None) -> list[Message]:
    """A page of a dispatch's messages in id order; `after_id` / `before_id` page by key like
    `clients.list_clients` (`before_id` gives the `limit` messages just before it)."""
    query = Message.select().where(Message.dispatch == dispatch_id)
    if status:
        query = query.where(Message.status == status)
    if after_id is not None:
        query = query.where(Message.id > after_id)
    if before_id is not None:
        query = query.where(Message.id < before_id).order_by(Message.id.desc())
    else:
        query = query.order_by(Message.id)
    rows = list(query.limit(limit).offset(offset))
    return rows[::-1] if before_id is not None else rows


def count_messages(dispatch_id, status: str | None = None) -> int:
    query = Message.select().where(Message.dispatch == dispatch_id)
    if status:
        query = query.where(Message.status == status)
    return query.count()


def top_errors(dispatch_id, limit: int = 5) -> list[tuple[str, int]]:
    """The most frequent last errors of a dispatch's messages, most frequent first."""
    query = (
        Message.select(Message.last_error, pw.fn.COUNT(pw.SQL("*")).alias("n"))
        .where((Message.dispatch == dispatch_id) & (Message.last_error != ""))
        .group_by(Message.last_error)
        .order_by(pw.SQL("n").desc())
        .limit(limit)
    )
    return [(error, n) for error, n in query.tuples()]


@dataclass
class MessageHistory:
    message: Message
    attempts: list[Attempt]
    reports: list[DeliveryReport]

    @property
    def text(self) -> str:
        """The text sent (or to be sent): the message's own when personalised, else its dispatch's."""
        return self.message.text if self.message.text is not None else self.message.dispatch.message_text


def message_history(message_id: int) -> MessageHistory:
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise NotFound(f"message {message_id} not found")
    attempts = list(Attempt.select().where(Attempt.message == message_id).order_by(Attempt.id))
    reports = list(DeliveryReport.select().where(DeliveryReport.message == message_id).order_by(DeliveryReport.id))
    return MessageHistory(message, attempts, reports)


def sends_per_second(dispatch_id, now, seconds: int = 60) -> list[int]:
    """Messages of a dispatch sent in each of the last `seconds` seconds before `now`, oldest
    first: the dashboard's send-rate sparkline and ETA."""
    return sends_per_second_of([dispatch_id], now, seconds)[_uuid_of(dispatch_id)]


def sends_per_second_of(dispatch_ids, now, seconds: int = 60) -> dict:
    """`sends_per_second` of several dispatches in one query over the recent sends only:
    {dispatch UUID: counts}. Grouped by the second first, so the planner walks the `sent_at`
    index rather than a dispatch's every message."""
    ids = [_uuid_of(d) for d in dispatch_ids]
    out = {d: [0] * seconds for d in ids}
    if not ids:
        return out
    since = to_millis(now) - seconds * 1000
    bucket = (Message.sent_at - pw.Value(since, converter=False)) / pw.Value(1000, converter=False)
    query = (
        Message.select(bucket.alias("b"), Message.dispatch, pw.fn.COUNT(pw.SQL("*")))
        .where(Message.sent_at >= pw.Value(since, converter=False))
        .group_by(pw.SQL("b"), Message.dispatch)
    )
    for index, dispatch, n in query.tuples():
        counts = out.get(_uuid_of(dispatch))
        if counts is not None and 0 <= index < seconds:
            counts[int(index)] = n
    return out


def _uuid_of(dispatch_id) -> uuid.UUID:
    return dispatch_id if isinstance(dispatch_id, uuid.UUID) else uuid.UUID(str(dispatch_id))


def waiting_for_window(report: DispatchReport, now) -> bool:
    """A running dispatch with messages waiting and a send window that is closed now for every
    one of them: nothing goes out until it opens, and the faces say so."""
    d = report.dispatch
    if d.status != DispatchStatus.RUNNING or not d.window or not report.count(MessageStatus.CREATED):
        return False
    if report.count(MessageStatus.SENDING):
        return False
    opened, _closed = open_zones(parse_window(d.window), now)
    return not Message.select(Message.id).where(
        (Message.dispatch == d.id) & (Message.status == MessageStatus.CREATED)
        & Message.timezone.in_(sorted(opened))
    ).exists()
