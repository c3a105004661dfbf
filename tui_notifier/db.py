"""The database every face shares: chosen by URL, opened once per process, tables made on use.

SQLite runs in WAL with a busy timeout and `BEGIN IMMEDIATE` write transactions: several
processes (dashboard, CLI, consumers) write the same file, and a deferred BEGIN that later
upgrades to a write lock fails with "database is locked" despite the timeout.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import peewee
from playhouse.db_url import connect as connect_url

from tui_notifier import models
from tui_notifier.models import database

__all__ = ["DatabaseError", "close_database", "database", "describe", "open_database"]

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


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme in ("postgres", "postgresql", "postgresext")


def is_sqlite(db) -> bool:
    return isinstance(db, peewee.SqliteDatabase)


def make_database(url: str, pool: int = 0) -> peewee.Database:
    """A peewee database for a file path, `sqlite:///path` or `postgresql://...`.

    With `pool`, up to that many connections are kept open between uses (a server whose
    threads each open and close one per request): closing hands it back, so a request pays no
    connect, and SQLite no WAL checkpoint when the last connection closes."""
    scheme = urlparse(url).scheme
    if scheme in ("", "sqlite") or len(scheme) == 1:
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
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
        url = url.replace("postgres://", "postgresql://", 1)
        if pool:
            return connect_url(url.replace("postgresql://", "postgresql+pool://", 1), max_connections=pool,
                               stale_timeout=600)
        return connect_url(url)
    raise DatabaseError(f"unsupported database URL {url!r}: use a file path, sqlite:/// or postgresql://")


def open_database(url: str, pool: int = 0) -> peewee.Database:
    """Bind the models to `url` and make any missing tables and columns (columns first, so the
    indexes made on them find them). Safe to call again."""
    real = make_database(url, pool)
    if database.obj is not None:
        database.obj.close()
    database.initialize(real)
    try:
        real.connect(reuse_if_open=True)
        tables = set(real.get_tables())
        add_missing_columns(real, [m for m in models.ALL_MODELS if m._meta.table_name in tables])
        real.create_tables(models.ALL_MODELS, safe=True)
        models.number_dispatches(real)
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
