"""Reports: counts of messages by status per dispatch, message pages, one message's history.

`report_json` gives the shape of the report API the earlier systems served (`id,
start_datetime, end_datetime, message_text, filter_mobile_operator_code__code,
filter_tag__code, created, completed, error, timeout`) plus richer keys.
"""
from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from functools import cached_property

import peewee as pw

from tui_notifier import counts
from tui_notifier.clock import isoformat_z
from tui_notifier.core import audit
from tui_notifier.core.dispatches import get_dispatch
from tui_notifier.core.errors import NotFound
from tui_notifier.core.windows import open_zones, parse_window
from tui_notifier.db import database, is_sqlite
from tui_notifier.models import (Attempt, DeliveryReport, Dispatch, DispatchCount, DispatchStatus, Message, MessageStatus,
                                 to_millis)


@dataclass
class DispatchReport:
    dispatch: Dispatch
    counts: dict[str, int] = field(default_factory=dict)

    @cached_property
    def key(self) -> str:
        """The dispatch's UUID as 32 hex digits, as screens key their rows."""
        return self.dispatch.id.hex

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, *statuses: str) -> int:
        return sum(self.counts.get(status, 0) for status in statuses)

    @property
    def done(self) -> int:
        """Messages that need nothing more from the engine."""
        return self.total - self.count(*MessageStatus.UNSENT)

    shared: dict | None = field(default=None, repr=False, compare=False)
    """A cache that lives as long as this dispatch's row is unchanged (`all_reports` gives one),
    so the dispatch's own part of `as_json` is made once, not on every report."""

    def as_json(self) -> dict:
        head, middle, tail = self._dispatch_json()
        every = {status: self.counts.get(status, 0) for status in MessageStatus.ALL}
        return {
            **head,
            "created": every[MessageStatus.CREATED] + every[MessageStatus.SENDING],
            "completed": every[MessageStatus.SENT] + every[MessageStatus.DELIVERED],
            "error": every[MessageStatus.FAILED],
            "timeout": every[MessageStatus.TIMEOUT],
            **middle,
            "counts": every,
            "total": sum(every.values()),
            **tail,
        }

    def _dispatch_json(self) -> tuple[dict, dict, dict]:
        d = self.dispatch
        if self.shared is not None and self.shared.get("of") is d:
            return self.shared["json"]
        made = ({
            "id": str(d.id),
            "start_datetime": isoformat_z(d.start_at),
            "end_datetime": isoformat_z(d.end_at),
            "message_text": d.message_text,
            "filter_mobile_operator_code__code": ",".join(d.operator_codes),
            "filter_tag__code": ",".join(d.tags),
        }, {
            "status": d.status,
            "status_reason": d.status_reason,
            "timezone": d.timezone,
            "window": d.window,
            "operator_codes": list(d.operator_codes),
            "tags": list(d.tags),
        }, {
            "sender": d.sender,
            "source_id": str(d.source) if d.source else None,
            "audience": "list" if d.explicit_audience else "filters",
            "skipped_stoplist": d.skipped_stoplist,
        })
        if self.shared is not None:
            self.shared.update(of=d, json=made)
        return made


def status_counts(dispatch_id=None) -> dict:
    """{dispatch key (32 hex digits): {status: count}} for every dispatch, or for one, read
    from the counters."""
    return counts.read(dispatch_id)


def verify_counts() -> list[counts.Mismatch]:
    """Every counter that disagrees with a count of the messages themselves; empty when all agree."""
    return counts.verify()


def repair_counts() -> int:
    """Count every dispatch's messages again into its counters (a database an older version or
    an outside tool wrote); returns how many counters were wrong."""
    with database.atomic():
        wrong = counts.rebuild()
        audit.record("repair", "counts", "", f"{wrong} counters were wrong")
    return wrong


def totals() -> tuple[dict, dict]:
    """Messages by status and dispatches by status over the whole database, every status
    present (zero when none), for dashboards and metrics."""
    messages = counts.totals()
    dispatches = dict.fromkeys(DispatchStatus.ALL, 0)
    for status, n in (Dispatch.select(Dispatch.status, pw.fn.COUNT(pw.SQL("*")))
                      .group_by(Dispatch.status).tuples()):
        dispatches[status] = n
    return messages, dispatches


_STAMP = (Dispatch.id, Dispatch.status, Dispatch.updated_at, Dispatch.fanned_out_at, Dispatch.finished_at,
          Dispatch.end_at, Dispatch.number, Dispatch.skipped_stoplist)
"""The columns that tell whether a dispatch changed: every change of it moves one of them."""


_known: tuple[object, dict] = (None, {})
"""(the database, {key: (stamp, Dispatch)}) as `_dispatches` last read them in this process."""


_STAMP_SQL: dict = {}


def _stamp_sql() -> tuple[str, list]:
    """The stamps' SELECT, built once per kind of database (building it costs more than running it)."""
    kind = type(database.obj)
    if kind not in _STAMP_SQL:
        _STAMP_SQL[kind] = Dispatch.select(*_STAMP).sql()
    return _STAMP_SQL[kind]


def _stamp_of(dispatch: Dispatch) -> tuple:
    return tuple(column.db_value(getattr(dispatch, column.name)) for column in _STAMP[1:])


def _dispatches() -> list[tuple[str, tuple, Dispatch, dict]]:
    """Every dispatch with its key, stamp and a cache for its report, latest start first. A dispatch whose stamp has not changed
    since this process last read it is the object read then (shared: read only), as making
    one from its row costs many times what reading the row does."""
    global _known
    known = _known[1] if _known[0] is database.obj else {}
    stamps = {counts.key_of(row[0]): tuple(row[1:]) for row in database.execute_sql(*_stamp_sql())}
    stale = [uuid.UUID(key) for key, stamp in stamps.items() if known.get(key, (None, None))[1] != stamp]
    fresh = {d.id.hex: (d.id.hex, _stamp_of(d), d, {}) for d in Dispatch.select().where(Dispatch.id.in_(stale))} \
        if stale else {}
    held = {key: fresh.get(key) or known[key] for key in stamps if key in fresh or key in known}
    _known = (database.obj, held)
    return sorted(held.values(), key=lambda known: (known[2].start_at, known[2].created_at), reverse=True)


def all_reports(version: ReportsVersion | None = None) -> list[DispatchReport]:
    """Every dispatch's report, latest start first: O(dispatches), whatever the messages.

    Given a `version` (read just before), the counts are the ones it holds, so the reports
    made are the ones that version stands for (the dispatches, whose stamps only move
    forward, are read as they are now)."""
    dispatches = _dispatches()
    counted = counts.read() if version is None else version.counts()
    return [DispatchReport(d, counted.get(key, {}), shared) for key, _stamp, d, shared in dispatches]


@dataclass(frozen=True)
class ReportsVersion:
    """Every nonzero counter and every dispatch's stamp as one statement read them: two equal
    versions of one database stand for the same reports, so an answer made from the reports
    of one can be served again for the other without making it anew."""

    source: object
    """The database read (versions of two databases are never equal)."""
    counters: str
    """[[dispatch id, status, count], ...] as JSON."""
    dispatches: str

    def counts(self) -> dict[str, dict[str, int]]:
        """The counters this version holds, as `counts.read()` gives them."""
        out: dict[str, dict[str, int]] = {}
        for dispatch_id, status, n in json.loads(self.counters) if self.counters else ():
            out.setdefault(counts.key_of(dispatch_id), {})[status] = n
        return out


_VERSION_SQL: dict = {}


def _version_sql() -> str:
    """One statement giving one row of two JSON texts: a reader under load pays one round trip
    (and, on SQLite, one release of the interpreter lock) instead of one per row."""
    kind = type(database.obj)
    if kind not in _VERSION_SQL:
        rows = "json_group_array(json_array({}))" if is_sqlite(database.obj) else "json_agg(json_build_array({}))::text"
        left, right = database.obj.quote
        name = lambda column: f"{left}{column}{right}"  # noqa: E731
        counter = rows.format(", ".join(name(c) for c in ("dispatch_id", "status", "count")))
        stamp = rows.format(", ".join(name(c.column_name) for c in _STAMP))
        _VERSION_SQL[kind] = (
            f"SELECT (SELECT {counter} FROM {name(DispatchCount._meta.table_name)} WHERE {name('count')} <> 0), "
            f"(SELECT {stamp} FROM {name(Dispatch._meta.table_name)})")
    return _VERSION_SQL[kind]


_last_versions: dict = {}
"""{SQLite connection: (what it had seen when it read, the version it read)} for the last few
connections (a pool hands a thread a different one from request to request). The connection
itself is the key, held here, so a new connection cannot take a closed one's place."""
_CONNECTIONS_HELD = 32
_versions_lock = threading.Lock()


def _seen(connection) -> tuple[int, int] | None:
    """On SQLite, what a connection has seen of the database: `data_version` moves with every
    commit of any other connection (other processes included), `total_changes` with every row
    this one changed. While both stand still the version cannot have moved; None elsewhere."""
    if not is_sqlite(database.obj):
        return None
    return connection.execute("PRAGMA data_version").fetchone()[0], connection.total_changes


def reports_version() -> ReportsVersion:
    """What `all_reports` would be made of now, read in one statement; on SQLite not even that
    while nothing was written since this thread's connection last read it."""
    connection = database.connection()
    seen = _seen(connection)
    held = _last_versions.get(connection) if seen is not None else None
    if held is not None and held[0] == seen:
        return held[1]
    counters, stamps = database.execute_sql(_version_sql()).fetchone()
    version = ReportsVersion(database.obj, counters or "", stamps or "")
    if seen is not None:
        with _versions_lock:
            if connection not in _last_versions and len(_last_versions) >= _CONNECTIONS_HELD:
                del _last_versions[next(iter(_last_versions))]
            _last_versions[connection] = (seen, version)
    return version


FULL_READ_MS = 30_000
"""How often `refreshed_reports` reads every counter again, whatever it was told changed."""


@dataclass
class ReportSet:
    """Every dispatch's report as one read found them, and what the next read needs to read
    only what changed since."""

    reports: list[DispatchReport]
    read_at: int
    """The database's clock when this read began (epoch ms)."""
    full_at: int
    """When every counter was last read."""
    changed: set[str] = field(default_factory=set)
    """Keys of the dispatches whose counts or state changed lately (since a little before the
    read before: `counts.SETTLE_MS`), all of them after a full read."""
    stamps: dict[str, tuple] = field(default_factory=dict, repr=False)


def refreshed_reports(previous: ReportSet | None = None) -> ReportSet:
    """`all_reports`, reading only the counters that changed since `previous` (every
    `FULL_READ_MS` all of them again), and the dispatches whose state changed. For a screen
    that shows them every second."""
    full = previous is None or counts.database_now_ms() - previous.full_at >= FULL_READ_MS
    read_at, changed_counts = counts.changed_since(None if full else previous.read_at - counts.SETTLE_MS)
    held = {} if full else {r.dispatch.id.hex: r.counts for r in previous.reports}
    old_stamps = {} if full else previous.stamps
    reports, changed, stamps = [], set(), {}
    for key, stamp, dispatch, shared in _dispatches():
        stamps[key] = stamp
        figures = held.get(key, {}) if key in held or full else counts.read(key).get(key, {})
        if key in changed_counts:
            figures = {status: n for status, n in {**figures, **changed_counts[key]}.items() if n}
        if key in changed_counts or old_stamps.get(key) != stamp:
            changed.add(key)
        reports.append(DispatchReport(dispatch, figures, shared))
    return ReportSet(reports, read_at, read_at if full else previous.full_at, changed, stamps)


def dispatch_report(dispatch_id) -> DispatchReport:
    dispatch = get_dispatch(dispatch_id)
    return DispatchReport(dispatch, status_counts(dispatch.id).get(dispatch.id.hex, {}))


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
    """How many messages a dispatch has (with `status`), from its counters."""
    found = counts.read(dispatch_id).get(counts.key_of(dispatch_id), {})
    return found.get(status, 0) if status else sum(found.values())


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
