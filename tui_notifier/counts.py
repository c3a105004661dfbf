"""Counts of messages by status per dispatch, kept as counters (`DispatchCount` rows): storage
that the core and the engine's store both write through, and every report reads.

Every status change of a message, wherever it is made (the engine's fan-out, claims, results
and sweeps; cancelling a dispatch, stopping a phone, deleting a client), changes the counters
in its own transaction through a `Tally`, so a reader sees them equal to a GROUP BY over the
messages at every moment, and a report costs O(dispatches) instead of O(messages).

Every writer on PostgreSQL takes the rows it changes in one global order: the dispatch row
first (when it locks it), then the message rows in ascending id (`in_id_order`,
`lock_messages`; results and reports lock the messages they name before writing them), then
the counter rows sorted (`Tally.apply`). Two writers then never wait on each other in a
circle: a delete of a dispatch waits for a consumer recording results for its messages.

A writer notes the moves it made (from the rows its statements changed, never from what it
meant to change) and applies the tally last, just before its commit: the counter rows are
then locked last and always in the same order, so writers on PostgreSQL never deadlock on
them, and `count = count + n` loses no concurrent change (under READ COMMITTED an UPDATE that
waited for a row re-reads it). On SQLite the write transaction holds the database anyway.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from tui_notifier.models import Dispatch, DispatchCount, Message, MessageStatus, database, is_sqlite

SETTLE_MS = 5000
"""How far before a reader's last read `changed_since` looks again: a change stamped just before
that read may commit just after it."""


def key_of(dispatch_id) -> str:
    """A dispatch's key in every tally and every read: its UUID as 32 hex digits (the column's
    text as SQLite or PostgreSQL gives it is taken as it is, being read by the thousand)."""
    if isinstance(dispatch_id, uuid.UUID):
        return dispatch_id.hex
    text = str(dispatch_id)
    if len(text) == 32 or (len(text) == 36 and text[8] == "-"):
        return text.replace("-", "").lower()
    return uuid.UUID(text).hex


def _table() -> str:
    return DispatchCount._meta.table_name


def _sql(text: str) -> str:
    param = database.obj.param
    return text if param == "?" else text.replace("?", param)


def _now_ms_sql() -> str:
    """The database's own clock in epoch milliseconds, as SQL."""
    if is_sqlite(database.obj):
        return "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"


def database_now_ms() -> int:
    return database.execute_sql(f"SELECT {_now_ms_sql()}").fetchone()[0]


class Tally:
    """The moves of messages between statuses one transaction made, per dispatch."""

    def __init__(self) -> None:
        self.deltas: Counter = Counter()

    def add(self, dispatch_id, status: str, n: int = 1) -> None:
        if n:
            self.deltas[(key_of(dispatch_id), str(status))] += n

    def move(self, dispatch_id, old: str, new: str, n: int = 1) -> None:
        """`n` messages of a dispatch went from `old` to `new`."""
        if n and old != new:
            self.add(dispatch_id, old, -n)
            self.add(dispatch_id, new, n)

    def moves(self, dispatch_ids: Iterable, old: str, new: str) -> None:
        """One message moved for each dispatch id given (the ids a statement's RETURNING gave)."""
        for dispatch_id, n in Counter(key_of(d) for d in dispatch_ids).items():
            self.move(dispatch_id, old, new, n)

    def apply(self) -> None:
        """Add the moves to the counters; the last thing its transaction writes."""
        rows = sorted((key, status, n) for (key, status), n in self.deltas.items() if n)
        self.deltas.clear()
        if not rows:
            return
        database.obj.cursor().executemany(_sql(
            f'INSERT INTO {_table()} (dispatch_id, status, "count", changed_at) VALUES (?, ?, ?, {_now_ms_sql()}) '
            f'ON CONFLICT (dispatch_id, status) DO UPDATE SET "count" = {_table()}."count" + excluded."count", '
            "changed_at = excluded.changed_at"
        ), [(Dispatch.id.db_value(uuid.UUID(key)), status, n) for key, status, n in rows])


def _statuses_sql() -> str:
    return " UNION ALL ".join(f"SELECT '{status}' AS status" for status in MessageStatus.ALL)


def prepare(dispatch_id) -> None:
    """Rows at zero for every status of a dispatch whose messages are being made, so later
    changes only ever update counters: inserting one would wait on the dispatch row (its foreign
    key), which a delete of the dispatch holds while it waits for a consumer's messages."""
    database.execute_sql(_sql(
        f'INSERT INTO {_table()} (dispatch_id, status, "count", changed_at) '
        f"SELECT ?, status, 0, {_now_ms_sql()} FROM ({_statuses_sql()}) AS every_status WHERE 1 = 1 "
        "ON CONFLICT (dispatch_id, status) DO NOTHING"), (Dispatch.id.db_value(uuid.UUID(key_of(dispatch_id))),))


def in_id_order(where):
    """The ids of the messages `where` picks, as a query (or a subquery for `Message.id.in_`)
    that on PostgreSQL locks them in ascending id, the one order every writer takes them in; a
    row changed meanwhile is checked against `where` again, and left out if it no longer fits."""
    query = Message.select(Message.id).where(where)
    if is_sqlite(database.obj):
        return query
    return query.order_by(Message.id).for_update()


def lock_messages(where) -> None:
    """Lock the messages `where` picks in ascending id before a write that changes them by some
    other condition (a cascade, several statements); nothing to do on SQLite."""
    if not is_sqlite(database.obj):
        in_id_order(where).execute()


def _statuses(message_ids: list[int], lock: bool) -> dict[int, tuple[str, str]]:
    """{message id: (dispatch key, status)}. On SQLite in one row: each row read is a step
    of its engine, which lets go of the interpreter lock and waits to take it back."""
    if not message_ids:
        return {}
    ids = sorted(set(message_ids))
    where = f"FROM {Message._meta.table_name} WHERE id IN ({', '.join('?' for _ in ids)})"
    if is_sqlite(database.obj):
        (packed,), = database.execute_sql(
            f"SELECT group_concat(id || ' ' || dispatch_id || ' ' || status, ' ') {where}", ids)
        words = packed.split(" ") if packed else []
        return {int(words[i]): (words[i + 1], words[i + 2]) for i in range(0, len(words), 3)}
    query = f"SELECT id, dispatch_id, status {where} ORDER BY id"
    if lock:
        query += " FOR UPDATE"
    return {m: (d, s) for m, d, s in database.execute_sql(_sql(query), ids)}


class Watch:
    """Counts the status changes its transaction makes to these messages with statements that
    name each message by id and move it to one status from any of several (results).

    Their statuses are read once, when it is made, and locked on PostgreSQL (on SQLite the
    write transaction holds the database), so nobody else changes them before the commit: each
    statement's effect then follows from what was read, as `update` is told of it, without
    reading them again."""

    def __init__(self, message_ids: list[int]):
        found = _statuses(message_ids, lock=True)
        self.dispatch = {m: d for m, (d, _) in found.items()}
        self.before = {m: s for m, (_, s) in found.items()}
        self.status = dict(self.before)

    def update(self, message_ids: Iterable[int], new: str, allowed: Iterable[str]) -> None:
        """`UPDATE … SET status = new WHERE id = ? AND status IN allowed` ran for these
        messages, one after another."""
        allowed = set(allowed)
        status = self.status
        for message_id in message_ids:
            if status.get(message_id) in allowed:
                status[message_id] = new

    def apply(self) -> None:
        moved = Counter((self.dispatch[m], old, self.status[m])
                        for m, old in self.before.items() if self.status[m] != old)
        tally = Tally()
        for (dispatch_id, old, new), n in moved.items():
            tally.move(dispatch_id, old, new, n)
        tally.apply()


# ---------------------------------------------------------------- reading


def _read(where: str = "", params: tuple = ()) -> dict[str, dict[str, int]]:
    """{dispatch key: {status: count}} of the counters `where` picks."""
    out: dict = {}
    for dispatch_id, status, n in database.execute_sql(
            _sql(f'SELECT dispatch_id, status, "count" FROM {_table()} {where}'), params).fetchall():
        found = out.get(dispatch_id)
        if found is None:
            found = out[dispatch_id] = {}
        found[status] = n
    return {key_of(dispatch_id): found for dispatch_id, found in out.items()}


def read(dispatch_id=None) -> dict[str, dict[str, int]]:
    """{dispatch key: {status: count}} for every dispatch, or for one; statuses with no message
    are left out, as a GROUP BY leaves them."""
    if dispatch_id is None:
        return _read('WHERE "count" <> 0')
    return _read('WHERE dispatch_id = ? AND "count" <> 0', (Dispatch.id.db_value(uuid.UUID(key_of(dispatch_id))),))


def changed_since(since_ms: int | None) -> tuple[int, dict[str, dict[str, int]]]:
    """(the database's clock now, the counts that changed at or after `since_ms`, zeros
    included, so a reader updates what it holds); every count when `since_ms` is None. The next
    call passes the clock returned here less `SETTLE_MS`."""
    now = database_now_ms()
    return now, _read() if since_ms is None else _read("WHERE changed_at >= ?", (since_ms,))


def totals() -> dict[str, int]:
    """Messages by status over every dispatch, every status present."""
    out = dict.fromkeys(MessageStatus.ALL, 0)
    for status, n in database.execute_sql(f'SELECT status, SUM("count") FROM {_table()} GROUP BY status'):
        out[status] = int(n)
    return out


# ---------------------------------------------------------------- checking and repairing


@dataclass(frozen=True, order=True)
class Mismatch:
    """A counter that does not equal the number of messages it counts."""

    dispatch_id: str
    status: str
    counted: int
    actual: int


def verify() -> list[Mismatch]:
    """Every counter that disagrees with a GROUP BY over the messages, in one statement so
    both sides are read from one snapshot while consumers keep writing."""
    query = (
        f'SELECT dispatch_id, status, SUM(counted), SUM(actual) FROM ('
        f'SELECT dispatch_id, status, "count" AS counted, 0 AS actual FROM {_table()} '
        f'UNION ALL SELECT dispatch_id, status, 0, COUNT(*) FROM {Message._meta.table_name} '
        f'GROUP BY dispatch_id, status) AS both_sides '
        f'GROUP BY dispatch_id, status HAVING SUM(counted) <> SUM(actual)'
    )
    return sorted(Mismatch(key_of(d), s, int(c), int(a)) for d, s, c, a in database.execute_sql(query))


def rebuild() -> int:
    """Recompute every counter from the messages (a database written by a version without
    counters, or a repair); returns how many counters changed. Writers wait meanwhile."""
    with database.atomic():
        if not is_sqlite(database.obj):
            database.execute_sql(f"LOCK TABLE {Message._meta.table_name} IN SHARE MODE")
        changed = len(verify())
        database.execute_sql(f"DELETE FROM {_table()}")
        database.execute_sql(
            f'INSERT INTO {_table()} (dispatch_id, status, "count", changed_at) '
            f'SELECT dispatch_id, status, COUNT(*), {_now_ms_sql()} FROM {Message._meta.table_name} '
            "GROUP BY dispatch_id, status")
        database.execute_sql(
            f'INSERT INTO {_table()} (dispatch_id, status, "count", changed_at) '
            f"SELECT dispatch_id, every_status.status, 0, {_now_ms_sql()} "
            f"FROM (SELECT DISTINCT dispatch_id FROM {_table()}) AS counted CROSS JOIN ({_statuses_sql()}) AS every_status "
            "WHERE 1 = 1 ON CONFLICT (dispatch_id, status) DO NOTHING")
    return changed

