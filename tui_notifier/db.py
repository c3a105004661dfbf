"""The database every face shares: chosen by URL, opened once per process, tables made on use.

SQLite runs in WAL with a busy timeout and `BEGIN IMMEDIATE` write transactions: several
processes (dashboard, CLI, consumers) write the same file, and a deferred BEGIN that later
upgrades to a write lock fails with "database is locked" despite the timeout.

A PostgreSQL connection the server dropped (a restart, a failover) is replaced on its
thread's next use outside a transaction: the unit of work that met the break fails, and the
caller retries it (`persist`), or the next heartbeat, tick or task does.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Generic, TypeVar
from urllib.parse import urlparse

import peewee
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase

from tui_notifier import counts, models
from tui_notifier.models import database, is_sqlite

__all__ = ["DatabaseError", "GroupCommit", "TRANSIENT_ERRORS", "close_database", "database", "describe",
           "is_deadlock", "is_sqlite", "one_writer", "open_database", "persist", "writer_connection"]

log = logging.getLogger("tui_notifier.db")
T = TypeVar("T")
I = TypeVar("I")

TRANSIENT_ERRORS = (peewee.OperationalError, peewee.InterfaceError)
"""What a database says when it is away, full or locked, as opposed to a bug in a query."""

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 15000,
    "synchronous": "normal",
    "foreign_keys": 1,
    "cache_size": -64000,
    "temp_store": "memory",
}


class DatabaseError(Exception):
    """The database URL is unusable or the server cannot be reached."""


class _Recovering:
    """Replaces a connection the server has closed when its thread next uses it (never inside a
    transaction, where the error must reach the code that opened it)."""

    def is_closed(self) -> bool:
        if self._state.closed:
            return True
        conn = self._state.conn
        if not getattr(conn, "closed", False) or self.in_transaction():
            return False
        try:
            self._close(conn)
        except Exception:  # it is gone already; the pool forgets it either way
            pass
        self._state.reset()
        return True


class RecoveringPostgresqlDatabase(_Recovering, peewee.PostgresqlDatabase):
    pass


class RecoveringPooledPostgresqlDatabase(_Recovering, PooledPostgresqlDatabase):
    pass


def persist(work: Callable[[], T], what: str, give_up: Callable[[], bool] = lambda: False,
            first_wait: float = 0.1, longest_wait: float = 2.0) -> T:
    """`work()`, tried again until the database takes it: a restart, a full disk or a lock held
    past the busy timeout only delays it. Gives up (raising the error) as soon as `give_up()`
    is true, also while it waits."""
    wait, failures = first_wait, 0
    while True:
        try:
            result = work()
        except TRANSIENT_ERRORS as exc:
            failures += 1
            if failures == 1:
                log.warning("%s: the database failed (%s); retrying until it takes it", what, _one_line(exc))
            again = time.monotonic() + wait
            while True:
                if give_up():
                    raise
                if time.monotonic() >= again:
                    break
                time.sleep(min(0.05, again - time.monotonic()))
            wait = min(wait * 2, longest_wait)
            continue
        if failures:
            log.warning("%s: written after %d failed tries", what, failures)
        return result


DEADLOCK_DETECTED = "40P01"
"""PostgreSQL's SQLSTATE for the victim of a deadlock: its transaction was rolled back whole."""


def is_deadlock(exc: BaseException) -> bool:
    """Whether `exc` says PostgreSQL chose this transaction as a deadlock's victim: it did
    nothing, and the same work done again normally goes through."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    return getattr(cause, "pgcode", None) == DEADLOCK_DETECTED


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme in ("postgres", "postgresql", "postgresext")


def make_database(url: str, pool: int = 0) -> peewee.Database:
    """A peewee database for a file path, `sqlite:///path` or `postgresql://...`.

    With `pool`, up to that many connections are kept open between uses (a server whose
    threads each open and close one per request): closing hands it back, so a request pays no
    connect, and SQLite no WAL checkpoint when the last connection closes."""
    scheme = urlparse(url).scheme
    if scheme in ("", "sqlite") or len(scheme) == 1:
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
        if path != ":memory:":
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot make the folder of the database {path!r}: {exc.strerror or exc}") from None
            path = str(Path(path).expanduser())
        options = dict(timeout=15, lock_type="IMMEDIATE", returning_clause=True, pragmas=SQLITE_PRAGMAS)
        if pool:
            from playhouse.pool import PooledSqliteDatabase

            return PooledSqliteDatabase(path, max_connections=pool, stale_timeout=600,
                                        check_same_thread=False, **options)
        return peewee.SqliteDatabase(path, **options)
    if is_postgres(url):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise DatabaseError(
                "PostgreSQL needs a driver: pip install 'tui_notifier[postgres]'"
            ) from None
        params = parse_url(url.replace("postgres://", "postgresql://", 1))
        if not params.get("database"):
            raise DatabaseError(f"the database URL {describe(url)!r} names no database")
        if pool:
            return RecoveringPooledPostgresqlDatabase(max_connections=pool, stale_timeout=600, **params)
        return RecoveringPostgresqlDatabase(**params)
    raise DatabaseError(f"unsupported database URL {url!r}: use a file path, sqlite:/// or postgresql://")


def open_database(url: str, pool: int = 0) -> peewee.Database:
    """Bind the models to `url` and make any missing tables and columns (columns first, so the
    indexes made on them find them); a database written before the status counters existed gets
    them counted from its messages. Safe to call again."""
    real = make_database(url, pool)
    if database.obj is not None:
        database.obj.close()
        _close_writer(database.obj)
    database.initialize(real)
    try:
        real.connect(reuse_if_open=True)
        tables = set(real.get_tables())
        add_missing_columns(real, [m for m in models.ALL_MODELS if m._meta.table_name in tables])
        real.create_tables(models.ALL_MODELS, safe=True)
        models.number_dispatches(real)
        if models.Message._meta.table_name in tables and models.DispatchCount._meta.table_name not in tables:
            counts.rebuild()
    except peewee.DatabaseError as exc:
        raise DatabaseError(f"cannot open database {describe(url)}: {exc}") from None
    return real


def add_missing_columns(db: peewee.Database, models) -> list[str]:
    """Add the columns a newer version's models have and this database lacks; return them.

    A database written by an older version opens as it is: every new field is nullable or
    has a default, so adding its column is all an upgrade takes.
    """
    from playhouse.migrate import SchemaMigrator, migrate

    migrator = SchemaMigrator.from_database(db)
    added = []
    with db.atomic():
        for model in models:
            table = model._meta.table_name
            present = {column.name for column in db.get_columns(table)}
            for field in model._meta.sorted_fields:
                if field.column_name not in present:
                    migrate(migrator.add_column(table, field.column_name, field))
                    added.append(f"{table}.{field.column_name}")
    return added


def close_database() -> None:
    if database.obj is not None and not database.obj.is_closed():
        database.obj.close()


def describe(url: str) -> str:
    """The URL without its password, for headers and messages."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


WRITER = threading.Lock()
"""This process's turn to write SQLite: one writer at a time, queued here, is handed the
database straight from the one before, where SQLite makes the others poll for its lock with
growing sleeps. (PostgreSQL writes concurrently: `one_writer` takes no turn there.)"""


@contextlib.contextmanager
def one_writer():
    """Hold this process's turn to write while the block runs (on SQLite)."""
    if is_sqlite(database.obj):
        with WRITER:
            yield
    else:
        yield


@contextlib.contextmanager
def writer_connection():
    """Run the block on this process's one connection kept for writes (on SQLite; the caller
    holds the turn to write, `one_writer`), instead of the thread's own.

    A connection reads the pages a write changes through its own page cache, which SQLite
    empties whenever another connection has written since: on the connection of whichever
    thread writes, a pooled server read them again for nearly every write. The one kept for
    writes saw the last write itself, so its cache holds them. Inside a transaction the block
    stays on it; PostgreSQL keeps no such cache and writes on the thread's own."""
    db = database.obj
    if not is_sqlite(db) or db.in_transaction():
        yield
        return
    writer = getattr(db, "_writer", None)
    if writer is None:
        writer = db._writer = _connect_writer(db)
    state = db._state
    saved = state.conn, state.closed, state.ctx, state.transactions, state.commit_callbacks
    state.set_connection(writer)
    try:
        yield
    finally:
        state.conn, state.closed, state.ctx, state.transactions, state.commit_callbacks = saved


def _connect_writer(db: peewee.SqliteDatabase):
    conn = sqlite3.connect(db.database, timeout=db._timeout, isolation_level=None, check_same_thread=False)
    try:
        db._add_conn_hooks(conn)
    except Exception:
        conn.close()
        raise
    return conn


def _close_writer(db: peewee.Database) -> None:
    writer = db.__dict__.pop("_writer", None)
    if writer is not None:
        writer.close()


class _Turn(Generic[I]):
    __slots__ = ("item", "result", "done", "wake")

    def __init__(self, item: I):
        self.item = item
        self.result = None
        self.done = False
        self.wake = threading.Lock()
        self.wake.acquire()


_YIELD = getattr(os, "sched_yield", None) or (lambda: time.sleep(0))


class GroupCommit(Generic[I, T]):
    """Writes of many threads, each waiting for its own: those that arrive while one batch is
    being written are written together in the next, so a burst of them costs a transaction
    and a commit each batch instead of each write, and nobody waits on the database's lock.

    `write(items)` writes a batch in one transaction of the calling thread's connection and
    gives one result per item: its value, or the exception its caller gets. A batch that fails
    as a whole is written again one item at a time, so each caller gets its own answer. Use it
    outside any transaction: a write is answered only once its batch has committed.

    A write that finds none in progress, or is handed the writing by the batch before, first
    lets the other threads run for a moment (`pause`): those about to write join its batch
    instead of waiting for it to commit and then leading one of their own, so a busy server
    writes fewer, larger batches. It pauses
    again while the last pause brought more writes (up to `MORE_PAUSES` times): the threads a
    busy server has just woken reach their write a pause or two later. The pause yields the
    processor (`os.sched_yield`, letting go of the interpreter lock): `time.sleep(0)` arms a
    timer and cost about 40 us of CPU and 100 us of waiting each time."""

    LIMIT = 256
    MORE_PAUSES = 3

    def __init__(self, write: Callable[[list[I]], list], pause: Callable[[], object] = _YIELD):
        self._write = write
        self._pause = pause
        self._lock = threading.Lock()
        self._waiting: list[_Turn] = []
        self._writing = False

    @property
    def waiting(self) -> int:
        """How many writes wait for the batch being written to commit before theirs."""
        return len(self._waiting)

    @property
    def writing(self) -> bool:
        """Whether a batch has been taken to be written and has not committed yet."""
        return self._writing and not self._waiting

    def submit(self, item: I) -> T:
        """Write `item` with whatever else is waiting; its result once the batch committed."""
        turn = _Turn(item)
        with self._lock:
            self._waiting.append(turn)
            leads = not self._writing
            self._writing = True
        if not leads:
            turn.wake.acquire()
        if not turn.done:
            self._gather()
            self._lead()
        if isinstance(turn.result, BaseException):
            raise turn.result
        return turn.result

    def _gather(self) -> None:
        """Pause, and pause again while the writes waiting grow (at most `MORE_PAUSES` times)."""
        self._pause()
        waiting = self._waiting
        for _ in range(self.MORE_PAUSES):
            seen = len(waiting)
            self._pause()
            if len(waiting) == seen:
                return

    def _lead(self) -> None:
        """Write the batch waiting now (this thread's own write first), then hand the writing
        to the first that came meanwhile and wake the batch."""
        with self._lock:
            batch = self._waiting[:self.LIMIT]
            del self._waiting[:self.LIMIT]
        try:
            for turn, result in zip(batch, self._results([turn.item for turn in batch])):
                turn.result = result
        except BaseException as exc:
            for turn in batch:
                turn.result = exc
            raise
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._writing = following is not None
            if following is not None:
                following.wake.release()
            for turn in batch:
                turn.done = True
            for turn in batch[1:]:
                turn.wake.release()

    def _results(self, items: list[I]) -> list:
        try:
            return self._write(items)
        except Exception as exc:
            if len(items) == 1:
                return [exc]
        return [self._results([item])[0] for item in items]
