"""Messages on their way out: fan-out, claims with leases, results, sweeps, send windows.

Pure database work (no network, no queue) so it can be tested alone, with `now=` under the
test's control. The engine calls it from its worker threads, never from the event loop; each
function is one short transaction. Writes that touch one row per message go through
`executemany` with plain SQL: the ORM's per-row query building would cost more than the
write itself at thousands of rows a second.

Claims are `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`; on SQLite the write
transaction is `BEGIN IMMEDIATE` (see db.py), on PostgreSQL the inner select takes
`FOR UPDATE SKIP LOCKED`, so concurrent consumers never claim one row twice. Every status
change a transaction here makes goes to the per-dispatch counters (`counts`) in that same
transaction, last.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

import peewee as pw

from tui_notifier import counts
from tui_notifier.core import stoplist, templates
from tui_notifier.core.dispatches import audience_of, stopped_in_audience
from tui_notifier.core.windows import Window, open_zones, parse_window
from tui_notifier.db import database
from tui_notifier.delivery.store import leases
from tui_notifier.delivery.store.common import as_uuid, dispatch_key, is_postgres, now_or, sql, without_nul
from tui_notifier.models import (
    Attempt,
    Client,
    Dispatch,
    DispatchStatus,
    Message,
    MessageStatus,
    SendOutcome,
    StopEntry,
    StrEnum,
    TestSend,
    to_millis,
)

ENDED_ERROR = "the dispatch ended before the message could be sent"
_LAST_MILLISECOND = _dt.timedelta(milliseconds=1)
"""Instants are stored to the millisecond: a request in the end's last one could be recorded at the end."""


# ---------------------------------------------------------------- dispatch state


@dataclass(frozen=True)
class DispatchState:
    """What the engine needs to know of a dispatch to decide whether a request may start."""

    id: uuid.UUID
    status: str
    start_at: _dt.datetime
    end_at: _dt.datetime
    text: str
    window: Window | None
    fanned_out: bool
    sender: str = ""
    last_start: _dt.datetime = field(init=False, repr=False, compare=False)
    """The first instant no request may start at (asked twice per message)."""

    def __post_init__(self):
        object.__setattr__(self, "last_start", self.end_at - _LAST_MILLISECOND)

    def blocker(self, now: _dt.datetime) -> str | None:
        """Why no request may start now (`ended`, `paused`, `cancelled`, ...), or None."""
        if self.status == DispatchStatus.CANCELLED:
            return "cancelled"
        if now >= self.last_start or self.status == DispatchStatus.FINISHED:
            return "ended"
        if self.status != DispatchStatus.RUNNING:
            return self.status
        return None


_STATE_FIELDS = (Dispatch.id, Dispatch.status, Dispatch.start_at, Dispatch.end_at, Dispatch.message_text,
                 Dispatch.window_start, Dispatch.window_end, Dispatch.fanned_out_at, Dispatch.sender)


def dispatch_state(dispatch_id) -> DispatchState | None:
    """Read every 30 ms for each batch being sent (`delivery.watch`), so in plain SQL rather than
    a query peewee builds each time."""
    row = database.execute_sql(sql(
        f"SELECT {', '.join(f.column_name for f in _STATE_FIELDS)} FROM {Dispatch._meta.table_name} WHERE id = ?"
    ), (dispatch_key(dispatch_id),)).fetchone()
    if row is None:
        return None
    d_id, status, start_at, end_at, text, window_start, window_end, fanned_out_at, sender = (
        f.python_value(v) for f, v in zip(_STATE_FIELDS, row))
    window = f"{window_start}-{window_end}" if window_start and window_end else None
    return DispatchState(
        id=d_id, status=status, start_at=start_at, end_at=end_at, text=text,
        window=parse_window(window), fanned_out=fanned_out_at is not None, sender=sender,
    )


# ---------------------------------------------------------------- windows


def _in_open_zones(window: Window | None, now: _dt.datetime) -> tuple[str, list]:
    """SQL (and its parameters) narrowing messages `m` to those whose client's window is open
    at `now`: the shorter of the open zones and the closed ones is named."""
    if window is None:
        return "", []
    opened, closed = open_zones(window, now)
    zones, test = (sorted(opened), "IN") if len(opened) <= len(closed) else (sorted(closed), "NOT IN")
    if not zones:
        return (" AND 1 = 0" if test == "IN" else ""), []
    return f" AND m.timezone {test} ({', '.join('?' for _ in zones)})", zones


# ---------------------------------------------------------------- fan-out


@dataclass
class FanOut:
    created: int = 0
    started: bool = False
    finished: bool = False


def _insert_messages(dispatch: Dispatch, now: _dt.datetime) -> int:
    """One INSERT … SELECT of the dispatch's audience; rows that exist are left alone.

    Without a window every message is due now. With one, clients in zones where it is
    closed get their zone's next opening, so the claim's index range skips them.
    """
    audience = audience_of(dispatch)
    now_ms = to_millis(now)
    window = parse_window(dispatch.window)
    due: pw.Node = pw.Value(now_ms)
    if window is not None:
        zones = [z for (z,) in audience.select(Client.timezone).distinct().tuples()]
        closed = [(z, to_millis(window.next_open(z, now))) for z in zones if not window.is_open(z, now)]
        if closed:
            due = pw.Case(Client.timezone, closed, now_ms)
    source = audience.select(
        pw.Value(dispatch_key(dispatch.id)), Client.id, Client.phone, Client.timezone,
        pw.Value(MessageStatus.CREATED), pw.Value(0), due, pw.Value(now_ms), pw.Value(""),
    )
    columns = [Message.dispatch, Message.client, Message.phone, Message.timezone, Message.status,
               Message.attempts, Message.next_attempt_at, Message.created_at, Message.last_error]
    return Message.insert_from(source, columns).on_conflict_ignore().as_rowcount().execute()


def fan_out(dispatch_id, now: _dt.datetime | None = None) -> FanOut:
    """Start a due dispatch: create its messages and make it `running` (or `finished` when
    nobody matches). A dispatch not due, not `scheduled`, or already fanned out is left alone.

    Several consumers may try at once: the dispatch row is locked first (on SQLite the
    immediate write transaction does it), so exactly one fans out and the others see it done."""
    now = now_or(now)
    with database.atomic():
        query = Dispatch.select().where(Dispatch.id == as_uuid(dispatch_id))
        if is_postgres():
            query = query.for_update()
        d = query.first()
        if (d is None or d.fanned_out_at is not None or d.status != DispatchStatus.SCHEDULED
                or d.start_at > now or d.end_at <= now):
            return FanOut()
        created = _insert_messages(d, now)
        fields = {"status": DispatchStatus.RUNNING, "fanned_out_at": now, "updated_at": now,
                  "skipped_stoplist": stopped_in_audience(d)}
        if created == 0:
            fields.update(status=DispatchStatus.FINISHED, finished_at=now)
        Dispatch.update(**fields).where(Dispatch.id == d.id).execute()
        counts.prepare(d.id)
        tally = counts.Tally()
        tally.add(d.id, MessageStatus.CREATED, created)
        tally.apply()
    return FanOut(created=created, started=True, finished=created == 0)


def due_to_start(now: _dt.datetime | None = None) -> list[uuid.UUID]:
    """Scheduled dispatches whose start has come and whose end has not."""
    now = now_or(now)
    query = Dispatch.select(Dispatch.id).where(
        (Dispatch.status == DispatchStatus.SCHEDULED) & (Dispatch.start_at <= now)
        & (Dispatch.end_at > now) & Dispatch.fanned_out_at.is_null()
    )
    return [d for (d,) in query.tuples()]


# ---------------------------------------------------------------- claims


class Claimed(NamedTuple):
    """A claimed message: a tuple, made and ordered (by id) at the cost of one, a few hundred
    per claim."""

    id: int
    client_id: int | None
    phone: str
    timezone: str
    attempts: int
    text: str | None = None
    """The text rendered for this client, when the dispatch's has placeholders."""


@dataclass
class Claim:
    dispatch: DispatchState | None
    messages: list[Claimed] = field(default_factory=list)


def pump_lease(dispatch_id) -> str:
    return f"pump:{as_uuid(dispatch_id).hex}"


def _claimable(dispatch_id, window: Window | None, now: _dt.datetime) -> tuple[str, list]:
    """The messages `m` of a dispatch a claim may take now, as SQL and its parameters: due,
    not to a stopped phone, and in a zone whose window is open. Plain SQL, since a claim is
    made for every batch and peewee took longer to build it than SQLite to run it."""
    zones, zone_params = _in_open_zones(window, now)
    return (f"m.{Message.dispatch.column_name} = ? AND m.status = ? AND m.next_attempt_at <= ? "
            f"AND m.phone NOT IN (SELECT phone FROM {StopEntry._meta.table_name}){zones}",
            [dispatch_key(dispatch_id), MessageStatus.CREATED, to_millis(now), *zone_params])


def claim(dispatch_id, limit: int, lease_seconds: float, owner: int | None,
          now: _dt.datetime | None = None) -> Claim:
    """Move up to `limit` due messages of a running dispatch to `sending` under a lease.

    Only messages whose client's window is open now are taken, and nothing once the end has
    come. On PostgreSQL the dispatch row is share-locked, so a delete waits for the claim and
    then sees its messages in flight. The latest due go first: a retry (or a window that just opened) is due after the
    bulk that was due at the start, and would otherwise wait behind all of it. The dispatch's pump lease is renewed with the claim, so the periodic wake-up knows
    someone is working on it.
    """
    now = now_or(now)
    until = now + _dt.timedelta(seconds=lease_seconds)
    with database.atomic():
        if is_postgres():
            Dispatch.select(Dispatch.id).where(Dispatch.id == as_uuid(dispatch_id)).for_update("FOR SHARE").execute()
        state = dispatch_state(dispatch_id)
        if state is None or state.blocker(now) is not None:
            return Claim(state)
        where, params = _claimable(dispatch_id, state.window, now)
        table = Message._meta.table_name
        rows = [Claimed(*row) for row in sorted(database.execute_sql(sql(
            f"UPDATE {table} SET status = ?, lease_until = ?, lease_owner = ?, updated_at = ? "
            f"WHERE id IN (SELECT m.id FROM {table} AS m WHERE {where} "
            f"ORDER BY m.next_attempt_at DESC LIMIT ?{' FOR UPDATE SKIP LOCKED' if is_postgres() else ''}) "
            f"RETURNING id, {Message.client.column_name}, phone, timezone, attempts"
        ), [MessageStatus.SENDING, to_millis(until), owner, to_millis(now), *params, limit]))]
        if rows:
            rows = _personalised(state.text, rows)
            leases.hold(pump_lease(dispatch_id), owner, lease_seconds, now)
            tally = counts.Tally()
            tally.move(state.id, MessageStatus.CREATED, MessageStatus.SENDING, len(rows))
            tally.apply()
    return Claim(state, rows)


def _personalised(text: str, rows: list[Claimed]) -> list[Claimed]:
    """Each message's text rendered for its client, kept on the message; unchanged without placeholders."""
    template = templates.parse(text)
    if not template.names:
        return rows
    clients = {c.id: c for c in Client.select().where(Client.id.in_([r.client_id for r in rows if r.client_id]))}
    rendered = [r._replace(text=template.render(
        templates.client_values(clients[r.client_id]) if r.client_id in clients else {})) for r in rows]
    Message.update(text=pw.Case(Message.id, [(r.id, r.text) for r in rendered])) \
        .where(Message.id.in_([r.id for r in rendered])).execute()
    return rendered


def blocked_among(message_ids: list[int], owner: int | None) -> dict[int, str]:
    """Which of these messages claimed by `owner` may no longer be sent, and why: `lost` (the
    claim is no longer its own: its lease was taken back, say while its heartbeat was late, and
    the message may be another consumer's now), `stopped` (the phone is on the stop list now)
    or `deleted` (the client was deleted). Read again before requests start, so a stop, a
    delete or a lost claim holds for messages already claimed; every 30 ms for each batch being
    sent, so in plain SQL: peewee would build a parameter per id each time."""
    if not message_ids:
        return {}
    mine = "m.lease_owner IS NULL" if owner is None else "m.lease_owner = ?"
    lost = f"(m.status <> '{MessageStatus.SENDING}' OR NOT ({mine}))"
    owners = [] if owner is None else [owner]
    rows = database.execute_sql(sql(
        f"SELECT m.id, s.phone, CASE WHEN {lost} THEN 1 ELSE 0 END "
        f"FROM {Message._meta.table_name} AS m LEFT OUTER JOIN {StopEntry._meta.table_name} AS s "
        f"ON s.phone = m.phone WHERE m.id IN ({', '.join(['?'] * len(message_ids))}) "
        f"AND (m.{Message.client.column_name} IS NULL OR s.phone IS NOT NULL OR {lost})"
    ), [*owners, *message_ids, *owners])
    return {message_id: "lost" if gone else "stopped" if stopped else "deleted"
            for message_id, stopped, gone in rows}


def has_claimable(dispatch_id, now: _dt.datetime | None = None) -> bool:
    now = now_or(now)
    state = dispatch_state(dispatch_id)
    if state is None or state.blocker(now) is not None:
        return False
    where, params = _claimable(dispatch_id, state.window, now)
    return database.execute_sql(sql(
        f"SELECT 1 FROM {Message._meta.table_name} AS m WHERE {where} LIMIT 1"), params).fetchone() is not None


def running_dispatches() -> list[uuid.UUID]:
    return [d for (d,) in Dispatch.select(Dispatch.id).where(
        Dispatch.status == DispatchStatus.RUNNING).tuples()]


def renew(message_ids: list[int], owner: int | None, lease_seconds: float,
          now: _dt.datetime | None = None) -> int:
    """Extend the lease of messages still being worked on."""
    if not message_ids:
        return 0
    until = now_or(now) + _dt.timedelta(seconds=lease_seconds)
    with database.atomic():
        return (Message.update(lease_until=until)
                .where(Message.id.in_(message_ids) & (Message.status == MessageStatus.SENDING)
                       & (Message.lease_owner == owner))
                .execute())


def defer_closed(dispatch_id, now: _dt.datetime | None = None) -> int:
    """Give due messages whose window has closed again their zone's next opening.

    They would otherwise sit at the front of the claim's index range and be read by every
    claim until their window opens.
    """
    now = now_or(now)
    state = dispatch_state(dispatch_id)
    if state is None or state.window is None:
        return 0
    _, closed = open_zones(state.window, now)
    with database.atomic():
        zones = [z for (z,) in Message.select(Message.timezone).where(
            (Message.dispatch == state.id) & (Message.status == MessageStatus.CREATED)
            & (Message.next_attempt_at <= now) & Message.timezone.in_(sorted(closed))
        ).distinct().tuples()]
        moved = 0
        for zone in zones:
            moved += Message.update(next_attempt_at=state.window.next_open(zone, now)).where(
                (Message.dispatch == state.id) & (Message.status == MessageStatus.CREATED)
                & (Message.next_attempt_at <= now) & (Message.timezone == zone)
            ).execute()
    return moved


# ---------------------------------------------------------------- results


class Result(StrEnum):
    """What became of one claimed message."""

    SENT = "sent"            # the gateway accepted it
    RETRY = "retry"          # transient failure: back to the queue at next_attempt_at
    REFUSED = "refused"      # the gateway refused our credentials: back to the queue
    FAILED = "failed"        # permanent failure
    RELEASE = "release"      # no request was made (paused, window, shutdown): back to the queue
    TIMEOUT = "timeout"      # no request was made: the end came first
    CANCEL = "cancel"        # no request was made: the dispatch was cancelled


# kind -> (new status, statuses it may replace, Attempt outcome or None when no request was made)
_TRANSITIONS = {
    Result.SENT: (MessageStatus.SENT, (MessageStatus.SENDING, MessageStatus.CREATED,
                                       MessageStatus.TIMEOUT, MessageStatus.CANCELLED),
                  SendOutcome.SENT),
    Result.RETRY: (MessageStatus.CREATED, (MessageStatus.SENDING,), SendOutcome.TRANSIENT),
    Result.REFUSED: (MessageStatus.CREATED, (MessageStatus.SENDING,), SendOutcome.REFUSED),
    Result.FAILED: (MessageStatus.FAILED, (MessageStatus.SENDING, MessageStatus.CREATED),
                    SendOutcome.PERMANENT),
    Result.RELEASE: (MessageStatus.CREATED, (MessageStatus.SENDING,), None),
    Result.TIMEOUT: (MessageStatus.TIMEOUT, (MessageStatus.SENDING, MessageStatus.CREATED), None),
    Result.CANCEL: (MessageStatus.CANCELLED, (MessageStatus.SENDING, MessageStatus.CREATED), None),
}


@dataclass
class Fate:
    message_id: int
    kind: str
    at: _dt.datetime
    """When the request started (or the decision not to make one was taken)."""
    next_attempt_at: _dt.datetime | None = None
    """RETRY/REFUSED/RELEASE: when it is due again; SENT: when to poll its delivery report."""
    error: str | None = None
    http_status: int | None = None
    latency_ms: int | None = None
    provider_id: str | None = None

    @property
    def attempted(self) -> bool:
        return _TRANSITIONS[self.kind][2] is not None


_UNAVAILABLE = (pw.OperationalError, pw.InterfaceError)
"""The database cannot be written now (down, locked past the busy timeout): no row is to blame."""


def record(outcomes: list[Fate], now: _dt.datetime | None = None) -> list[Fate]:
    """Write a handful of results in one transaction, with an Attempt row per request; the
    results that could not be written at all are returned.

    A message only moves from the states its result may replace: a late transient failure
    does not revive a message the sweep has timed out, while a late success is the truth.
    One result the database refuses (text it cannot store, a number out of range) never costs
    the others: the write is done again row by row, and a refused row once more with its
    texts and numbers made storable. A database that cannot be written at all raises.
    """
    if not outcomes:
        return []
    now_ms = to_millis(now_or(now))
    try:
        with database.atomic():
            _write_results(outcomes, now_ms)
        return []
    except _UNAVAILABLE:
        raise
    except Exception:  # one row the database refuses: find it, write the others
        pass
    lost = []
    for outcome in outcomes:
        for version in (outcome, _storable(outcome)):
            try:
                with database.atomic():
                    _write_results([version], now_ms)
                break
            except _UNAVAILABLE:
                raise
            except Exception:
                continue
        else:
            lost.append(outcome)
    return lost


_MAX_INT = 2**31 - 1


def _storable(outcome: Fate) -> Fate:
    """The result with its texts in plain UTF-8 without NUL, cut short, and its numbers in range."""
    def text(value: str | None, limit: int) -> str | None:
        if value is None:
            return None
        return without_nul(value.encode("utf-8", "backslashreplace").decode("utf-8"))[:limit]

    def number(value: int | None) -> int | None:
        return value if isinstance(value, int) and 0 <= value <= _MAX_INT else None

    return dataclasses.replace(outcome, error=text(outcome.error, 1000), provider_id=text(outcome.provider_id, 64),
                               http_status=number(outcome.http_status), latency_ms=number(outcome.latency_ms))


ROWS_PER_STATEMENT = 1000
"""Results written by one statement: one statement is one step of SQLite's engine, where
`executemany` takes a step per row, and every step lets go of the interpreter lock and then
waits to take it back from the busy event loop; a write of 60 results took about 180 of them
and 10 ms, its requests holding their places meanwhile."""

_RESULT_ROW = ("(CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), "
               "CAST(? AS TEXT), CAST(? AS BIGINT))")
_ATTEMPT_ROW = ("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS INTEGER), "
                "CAST(? AS TEXT), CAST(? AS INTEGER))")
"""Typed, so that PostgreSQL reads a column of the rows as its column's type even when every
row has NULL there."""


def _values(row: str, count: int) -> str:
    return "VALUES " + ", ".join([row] * count)


def _rounds(outcomes: list[Fate]) -> list[list[Fate]]:
    """The results in rounds, each naming a message once, in the order they came: a message
    claimed again while its first result waited is written twice, one after the other."""
    rounds: list[list[Fate]] = []
    seen: dict[int, int] = {}
    for o in outcomes:
        n = seen.get(o.message_id, 0)
        seen[o.message_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(o)
    return rounds


def _write_results(outcomes: list[Fate], now_ms: int) -> None:
    """The messages are locked first in ascending id (`counts.Watch`), the order every writer
    takes them in; then each kind of result is one UPDATE of its messages and the requests
    made are one INSERT of attempts, whatever their number."""
    watch = counts.Watch([o.message_id for o in outcomes])
    cursor = database.obj.cursor()
    message, attempt = Message._meta.table_name, Attempt._meta.table_name
    for one_each in _rounds(sorted(outcomes, key=lambda o: o.message_id)):
        by_kind: dict[str, list] = {}
        attempts = []
        for o in one_each:
            kind = o.kind
            attempt_outcome = _TRANSITIONS[kind][2]
            said = without_nul(o.error) or ""
            at_ms = to_millis(o.at) if attempt_outcome else None
            by_kind.setdefault(kind, []).append((
                1 if attempt_outcome else 0,
                to_millis(o.next_attempt_at) if o.next_attempt_at else None,
                "" if kind == Result.SENT else None if kind == Result.RELEASE else said,
                at_ms if kind == Result.SENT else None,
                without_nul(o.provider_id),
                o.message_id,
            ))
            if attempt_outcome:
                attempts.append((o.message_id, at_ms, attempt_outcome, o.http_status, said, o.latency_ms))
        for kind, rows in by_kind.items():
            status, allowed, _ = _TRANSITIONS[kind]
            watch.update((row[-1] for row in rows), status, allowed)
            for chunk in _chunks(rows):
                cursor.execute(sql(
                    f"UPDATE {message} SET status = '{status}', attempts = attempts + v.column1, "
                    "next_attempt_at = v.column2, last_error = COALESCE(v.column3, last_error), "
                    "sent_at = COALESCE(v.column4, sent_at), provider_id = COALESCE(v.column5, provider_id), "
                    f"lease_until = NULL, lease_owner = NULL, updated_at = ? "
                    f"FROM ({_values(_RESULT_ROW, len(chunk))}) AS v "
                    f"WHERE {message}.id = v.column6 AND {message}.status IN ({', '.join('?' for _ in allowed)})"
                ), [now_ms, *(value for row in chunk for value in row), *allowed])
        for chunk in _chunks(attempts):
            cursor.execute(sql(
                f"INSERT INTO {attempt} (message_id, at, outcome, http_status, error, latency_ms) "
                "SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 "
                f"FROM ({_values(_ATTEMPT_ROW, len(chunk))}) AS v "
                f"WHERE EXISTS (SELECT 1 FROM {message} WHERE {message}.id = v.column1)"
            ), [value for row in chunk for value in row])
    watch.apply()


def _chunks(rows: list) -> list[list]:
    return [rows[i:i + ROWS_PER_STATEMENT] for i in range(0, len(rows), ROWS_PER_STATEMENT)]


# ---------------------------------------------------------------- sweeps


@dataclass(frozen=True, order=True)
class Touched:
    """A message a sweep changed, with what a log line about it needs."""

    dispatch_id: uuid.UUID
    message_id: int
    client_id: int | None


def _touched(rows) -> list[Touched]:
    return sorted(Touched(as_uuid(d), m, c) for m, d, c in rows)


_RETURN_IDS = (Message.id, Message.dispatch, Message.client)


def _nothing_left(dispatch_id) -> bool:
    return not Message.select(Message.id).where(
        (Message.dispatch == as_uuid(dispatch_id)) & Message.status.in_(MessageStatus.UNSENT)
    ).exists()


def finish_if_done(dispatch_id, now: _dt.datetime | None = None) -> bool:
    """A running dispatch with no message left to send becomes `finished`."""
    now = now_or(now)
    with database.atomic():
        if not _nothing_left(dispatch_id):
            return False
        return bool(Dispatch.update(status=DispatchStatus.FINISHED, finished_at=now, updated_at=now)
                    .where((Dispatch.id == as_uuid(dispatch_id))
                           & (Dispatch.status == DispatchStatus.RUNNING)).execute())


@dataclass
class Sweep:
    timed_out: list[Touched] = field(default_factory=list)
    finished: list[uuid.UUID] = field(default_factory=list)


def sweep_ended(now: _dt.datetime | None = None) -> Sweep:
    """At a dispatch's end every unsent message becomes `timeout` (requests already in flight
    under a live lease are waited for), and a dispatch with nothing left becomes `finished`.

    A dispatch whose whole time passed with no consumer running is fanned out first, so its
    report shows whom it missed rather than nobody. Each dispatch's row is locked before its
    messages, as a delete of it does.
    """
    now = now_or(now)
    result = Sweep()
    ended = list(Dispatch.select().where(
        Dispatch.status.in_((DispatchStatus.SCHEDULED, DispatchStatus.RUNNING, DispatchStatus.PAUSED))
        & (Dispatch.end_at <= now)))
    for d in ended:
        with database.atomic():
            if is_postgres():
                Dispatch.select(Dispatch.id).where(Dispatch.id == d.id).for_update().execute()
            tally = counts.Tally()
            if d.fanned_out_at is None and d.start_at <= now:
                counts.prepare(d.id)
                tally.add(d.id, MessageStatus.CREATED, _insert_messages(d, now))
                Dispatch.update(fanned_out_at=now).where(Dispatch.id == d.id).execute()
            result.timed_out.extend(_settle(d.id, MessageStatus.TIMEOUT, now, tally, last_error=ENDED_ERROR))
            if _nothing_left(d.id):
                Dispatch.update(status=DispatchStatus.FINISHED, finished_at=now, updated_at=now).where(
                    Dispatch.id == d.id).execute()
                result.finished.append(d.id)
            tally.apply()
    return result


def _settle(dispatch_id, status: str, now: _dt.datetime, tally: counts.Tally, **fields) -> list[Touched]:
    """A dispatch's unsent messages (waiting, or claimed under a lease that ran out) become
    `status`; one statement per status they leave, so the tally knows each move, after both
    kinds are locked together in ascending id."""
    touched = []
    settled = ((MessageStatus.CREATED, Message.status == MessageStatus.CREATED),
               (MessageStatus.SENDING, (Message.status == MessageStatus.SENDING) & (Message.lease_until <= now)))
    counts.lock_messages((Message.dispatch == as_uuid(dispatch_id)) & (settled[0][1] | settled[1][1]))
    for old, condition in settled:
        rows = list(Message.update(status=status, lease_until=None, lease_owner=None, next_attempt_at=None,
                                   updated_at=now, **fields)
                    .where((Message.dispatch == as_uuid(dispatch_id)) & condition)
                    .returning(*_RETURN_IDS).tuples().execute())
        tally.move(dispatch_id, old, status, len(rows))
        touched.extend(rows)
    return _touched(touched)


def settle_cancelled(dispatch_id, now: _dt.datetime | None = None) -> list[Touched]:
    """Messages of a cancelled dispatch that came back to the queue become `cancelled` too."""
    now = now_or(now)
    with database.atomic():
        if not Dispatch.select().where((Dispatch.id == as_uuid(dispatch_id))
                                       & (Dispatch.status == DispatchStatus.CANCELLED)).exists():
            return []
        tally = counts.Tally()
        touched = _settle(dispatch_id, MessageStatus.CANCELLED, now, tally)
        tally.apply()
        return touched


def recently_cancelled(now: _dt.datetime | None = None, within_seconds: float = 3600) -> list[uuid.UUID]:
    since = now_or(now) - _dt.timedelta(seconds=within_seconds)
    return [d for (d,) in Dispatch.select(Dispatch.id).where(
        (Dispatch.status == DispatchStatus.CANCELLED) & (Dispatch.finished_at >= since)).tuples()]


def release_stale(live_owners, now: _dt.datetime | None = None) -> list[Touched]:
    """Claimed messages whose lease ran out, or whose owner is no longer alive, go back to
    the queue: a crashed consumer's batch is claimed again."""
    now = now_or(now)
    stale = Message.lease_until <= now
    owners = sorted(set(live_owners))
    dead_owner = Message.lease_owner.is_null() | (Message.lease_owner.not_in(owners) if owners else True)
    with database.atomic():
        rows = list(Message.update(status=MessageStatus.CREATED, lease_until=None, lease_owner=None,
                                   updated_at=now)
                    .where(Message.id.in_(counts.in_id_order(
                        (Message.status == MessageStatus.SENDING) & (stale | dead_owner))))
                    .returning(*_RETURN_IDS).tuples().execute())
        tally = counts.Tally()
        tally.moves([d for _m, d, _c in rows], MessageStatus.SENDING, MessageStatus.CREATED)
        tally.apply()
        return _touched(rows)


# ---------------------------------------------------------------- test sends


def claim_test_sends(limit: int = 20, now: _dt.datetime | None = None) -> list[TestSend]:
    """Move waiting test sends to `sending`, oldest first; each is sent once at most."""
    now = now_or(now)
    with database.atomic():
        inner = (TestSend.select(TestSend.id).where(TestSend.status == MessageStatus.CREATED)
                 .order_by(TestSend.id).limit(limit))
        if is_postgres():
            inner = inner.for_update("FOR UPDATE SKIP LOCKED")
        ids = [t for (t,) in inner.tuples()]
        if not ids:
            return []
        TestSend.update(status=MessageStatus.SENDING).where(TestSend.id.in_(ids)).execute()
        return list(TestSend.select().where(TestSend.id.in_(ids)).order_by(TestSend.id))


def record_test_send(test_id: int, status: str, error: str = "", provider_id: str | None = None,
                     now: _dt.datetime | None = None) -> None:
    TestSend.update(status=status, error=without_nul(error), provider_id=without_nul(provider_id),
                    sent_at=now_or(now) if status == MessageStatus.SENT else None) \
        .where(TestSend.id == test_id).execute()


def waiting_test_sends() -> bool:
    return TestSend.select().where(TestSend.status == MessageStatus.CREATED).exists()
