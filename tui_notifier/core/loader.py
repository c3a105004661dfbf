"""Bulk-load of clients from YAML or CSV, streamed: memory stays flat whatever the file's size.

Rows are read one at a time (`yaml_rows`, `csv_rows`), checked with `check_client`, and
written in chunks inside one transaction. By default one bad row makes the load write
nothing (the transaction is rolled back once every row has been checked, so every bad row
is reported); `skip_invalid` keeps the good rows. A phone seen earlier in the same file is
an error of the later row; the phones of this load are kept in a temporary table, not in
Python, so a million rows cost the same memory as a thousand.
"""
from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Callable, Iterator

import peewee as pw
from peewee import EXCLUDED

from tui_notifier.core import audit, csv_rows, yaml_rows
from tui_notifier.core.clients import check_client
from tui_notifier.core.errors import ValidationError, shown
from tui_notifier.core.phones import normalize_phone
from tui_notifier.core.textfile import LoadError, SourceRow, TextFile, suffix_of
from tui_notifier.db import database
from tui_notifier.models import Client

__all__ = ["FORMATS", "LoadError", "LoadResult", "RowError", "load_clients_file", "load_clients_text"]

ON_CONFLICT = ("update", "skip", "error")
FORMATS = ("yaml", "csv")
CHUNK = 2000
PROGRESS_EVERY = 5000
MAX_ERRORS_KEPT = 1000
_COLUMNS = (Client.phone, Client.operator_code, Client.tag, Client.timezone, Client.attributes)
_READERS = {"yaml": (yaml_rows.read_rows, "YAML"), "csv": (csv_rows.read_rows, "CSV")}

Progress = Callable[[int, int], None]


@dataclass
class RowError:
    """One bad row: `row` counts rows from 1, `line` is the 1-based line it starts on."""

    row: int
    line: int | None
    field: str
    message: str
    source: str = ""

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = self.message if self.field == "row" else f"{self.field}: {self.message}"
        return f"{where}: row {self.row}: {what}"

    def as_json(self) -> dict:
        return {"row": self.row, "line": self.line, "field": self.field, "message": self.message}


@dataclass
class LoadResult:
    """What a load did: counts of rows, and the bad rows (the first `MAX_ERRORS_KEPT` problems).

    `written` is False when bad rows stopped it. `updated` counts every row whose phone was
    already present (with `on_conflict="update"`), including rows that already matched.
    """

    path: str
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_left_out: int = 0
    written: bool = False

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "written": self.written,
            "errors": [error.as_json() for error in self.errors],
            "errors_left_out": self.errors_left_out,
        }


def format_of(path, given: str | None = None) -> str:
    """The file's format: as given, else from its suffix (`.csv` is CSV, anything else YAML)."""
    if given is not None:
        if given not in FORMATS:
            raise ValidationError("format", f"must be one of {', '.join(FORMATS)}, got {shown(given)}")
        return given
    return "csv" if suffix_of(path) in (".csv", ".tsv") else "yaml"


def load_clients_file(path, on_conflict: str = "update", skip_invalid: bool = False,
                      progress: Progress | None = None, format: str | None = None) -> LoadResult:
    """Load the clients of a YAML or CSV file into the directory; see the module docstring.

    `progress(done, total)` is called with bytes of the file read so far and its size.
    """
    kind = format_of(path, format)
    _check_on_conflict(on_conflict)
    with TextFile.open(path, _READERS[kind][1]) as text:
        return _load(text, kind, on_conflict, skip_invalid, progress)


def load_clients_text(text: str, source: str = "<text>", on_conflict: str = "update",
                      skip_invalid: bool = False, progress: Progress | None = None,
                      format: str = "yaml") -> LoadResult:
    """Load clients from text in memory; `source` names it in messages."""
    kind = format_of(source, format)
    _check_on_conflict(on_conflict)
    with TextFile.of_text(text, source, _READERS[kind][1]) as stream:
        return _load(stream, kind, on_conflict, skip_invalid, progress)


def _check_on_conflict(on_conflict: str) -> None:
    if on_conflict not in ON_CONFLICT:
        raise ValidationError("on_conflict", f"must be one of {', '.join(ON_CONFLICT)}, got {shown(on_conflict)}")


def _load(text: TextFile, kind: str, on_conflict: str, skip_invalid: bool, progress: Progress | None) -> LoadResult:
    report = progress or (lambda done, total: None)
    result = LoadResult(path=text.source)
    report(0, text.size)
    with _gc_paused(), _lean_sqlite(), database.atomic() as transaction:
        with _SeenPhones() as seen:
            batch = _Batch(result, seen, on_conflict, skip_invalid)
            for source_row in _read(_READERS[kind][0](text), text, report):
                result.total += 1
                batch.add(source_row)
            batch.flush()
        result.errors.sort(key=lambda error: error.row)
        result.written = skip_invalid or not result.failed
        if not result.written:
            result.created = result.updated = result.skipped = 0
            transaction.rollback()
        else:
            audit.record("load", "clients", "", f"{text.source}: {result.created} created, "
                         f"{result.updated} updated, {result.skipped} skipped, {result.failed} failed")
    report(text.size, text.size)
    return result


def _read(rows: Iterator[SourceRow], text: TextFile, report: Progress) -> Iterator[SourceRow]:
    for source_row in rows:
        yield source_row
        if source_row.row % PROGRESS_EVERY == 0:
            report(text.consumed, text.size)


class _Batch:
    """Rows waiting to be checked against the file's earlier phones and the directory, then written."""

    def __init__(self, result: LoadResult, seen: "_SeenPhones", on_conflict: str, skip_invalid: bool):
        self.result = result
        self.seen = seen
        self.on_conflict = on_conflict
        self.skip_invalid = skip_invalid
        self.rows: list[tuple[SourceRow, dict | None, str | None, list[tuple[str, str]]]] = []
        self.directory_was_empty = not Client.select().exists()
        """Then every phone met for the first time is new, and the directory need not be asked."""

    def add(self, source_row: SourceRow) -> None:
        problems = source_row.problems
        clean = phone = None
        data = source_row.data
        if data is not None:
            clean, invalid = check_client(data)
            if clean is not None:
                phone = clean["phone"]
            else:
                unbuilt = {name for name, _message in problems}
                problems.extend((error.field, error.message) for error in invalid if error.field not in unbuilt)
                phone = _phone_or_none(data.get("phone"))
        if phone is None:
            self._fail(source_row, problems)
            return
        self.rows.append((source_row, clean, phone, problems))
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        new = self.seen.add([(phone, row.row, row.line) for row, _clean, phone, _problems in rows])
        first_here: dict[str, tuple[int, int]] = {}
        for row, _clean, phone, _problems in rows:
            if phone in new and phone not in first_here:
                first_here[phone] = (row.row, row.line)
        earlier = self.seen.first_of([phone for _row, _clean, phone, _problems in rows if phone not in first_here])
        earlier.update(first_here)
        good: list[tuple[SourceRow, dict]] = []
        for source_row, clean, phone, problems in rows:
            first = earlier[phone]
            if first[0] != source_row.row:
                problems.append(("phone", f"{phone} appears again: first on line {first[1]} (row {first[0]})"))
            if problems:
                self._fail(source_row, problems)
            else:
                good.append((source_row, clean))
        existing = {} if self.directory_was_empty else _existing([clean["phone"] for _row, clean in good])
        to_write = []
        for source_row, clean in good:
            current = existing.get(clean["phone"])
            attributes = clean["attributes"]
            if current is not None and self.on_conflict == "update" and current[3]:
                attributes = {**current[3], **attributes}
            row = (clean["phone"], clean["operator_code"], clean["tag"], clean["timezone"], attributes)
            if current is not None and self.on_conflict == "error":
                self._fail(source_row, [("phone", f"{row[0]} is already in the directory")])
            elif current is None:
                self.result.created += 1
                to_write.append(row)
            elif self.on_conflict == "update":
                self.result.updated += 1
                if current != row[1:]:
                    to_write.append(row)
            else:
                self.result.skipped += 1
        if to_write and (self.skip_invalid or not self.result.failed):
            _write(to_write, self.on_conflict)

    def _fail(self, source_row: SourceRow, problems: list[tuple[str, str]]) -> None:
        result = self.result
        result.failed += 1
        for name, message in problems:
            if len(result.errors) < MAX_ERRORS_KEPT:
                result.errors.append(RowError(source_row.row, source_row.line, name, message, result.path))
            else:
                result.errors_left_out += 1


class _SeenPhones:
    """The phones this load has read so far, with the row and line each first appeared on.

    A temporary table of the load's own connection: it lives as long as the load and costs
    the database's pages, not Python objects.
    """

    TABLE = "tui_notifier_load_seen"

    def __enter__(self):
        database.execute_sql(f"DROP TABLE IF EXISTS {self.TABLE}")
        database.execute_sql(f"CREATE TEMPORARY TABLE {self.TABLE} "
                             "(phone VARCHAR(11) PRIMARY KEY, row_number INTEGER, line INTEGER)")
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            database.execute_sql(f"DROP TABLE {self.TABLE}")
        return False

    def first_of(self, phones: list[str]) -> dict[str, tuple[int, int]]:
        if not phones:
            return {}
        marks = ", ".join([database.param] * len(phones))
        cursor = database.execute_sql(
            f"SELECT phone, row_number, line FROM {self.TABLE} WHERE phone IN ({marks})", phones)
        return {phone: (row, line) for phone, row, line in cursor}

    def add(self, rows: list[tuple[str, int, int]]) -> set[str]:
        """Remember each phone not met before, with its row and line; return those phones."""
        if not rows:
            return set()
        mark = database.param
        cursor = database.execute_sql(
            f"INSERT INTO {self.TABLE} (phone, row_number, line) VALUES "
            + ", ".join([f"({mark}, {mark}, {mark})"] * len(rows))
            + " ON CONFLICT (phone) DO NOTHING RETURNING phone",
            list(chain.from_iterable(rows)))
        return {phone for (phone,) in cursor}


LOAD_CACHE_KIB = 16000


@contextmanager
def _lean_sqlite():
    """On SQLite, keep the load's temporary table in a file and the page cache small while it runs.

    The connection's usual settings hold temporary tables in memory and cache 64 MB of pages;
    over a million rows those two alone would grow the process by about 130 MB.
    """
    if not isinstance(database.obj, pw.SqliteDatabase) or database.in_transaction():
        yield
        return
    (temp_store,), (cache_size,) = (database.execute_sql(f"PRAGMA {name}").fetchone()
                                    for name in ("temp_store", "cache_size"))
    database.execute_sql("PRAGMA temp_store = FILE")
    database.execute_sql(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        database.execute_sql(f"PRAGMA temp_store = {temp_store}")
        database.execute_sql(f"PRAGMA cache_size = {cache_size}")


@contextmanager
def _gc_paused():
    """Hold off the cyclic collector while rows stream: the load allocates many short-lived
    objects and no cycles, and each generation-2 pass would walk them all again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _phone_or_none(value) -> str | None:
    try:
        return normalize_phone(value)
    except ValidationError:
        return None


def _existing(phones: list[str]) -> dict[str, tuple]:
    """The directory's current (operator_code, tag, timezone, attributes) for each of `phones`."""
    if not phones:
        return {}
    marks = ", ".join([database.param] * len(phones))
    cursor = database.execute_sql(
        f"SELECT phone, operator_code, tag, timezone, attributes FROM {Client._meta.table_name} "
        f"WHERE phone IN ({marks})", phones)
    return {phone: (code, tag, zone, _attributes(stored)) for phone, code, tag, zone, stored in cursor}


def _attributes(stored) -> dict:
    """Attributes as read by raw SQL: JSON text on SQLite, already decoded by the PostgreSQL driver."""
    if not stored or stored == "{}":
        return {}
    return json.loads(stored) if isinstance(stored, (str, bytes)) else stored


_statements: dict[tuple, str] = {}


def _write(rows: list[tuple], on_conflict: str) -> None:
    """Insert new phones and, with `update`, rewrite the existing ones that differ.

    Peewee renders each statement shape once (per chunk length and dialect); later chunks
    reuse that SQL with their own parameters instead of rebuilding the placeholders.
    """
    key = (on_conflict, len(rows), type(database.obj))
    sql = _statements.get(key)
    if sql is None:
        query = Client.insert_many(rows, fields=_COLUMNS)
        if on_conflict == "update":
            query = query.on_conflict(conflict_target=[Client.phone],
                                      update={column: EXCLUDED[column.column_name] for column in _COLUMNS[1:]})
        else:
            query = query.on_conflict_ignore()
        sql = _statements[key] = query.returning().sql()[0]
    params = []
    for phone, code, tag, zone, attributes in rows:
        params += (phone, code, tag, zone, json.dumps(attributes, ensure_ascii=False) if attributes else "{}")
    database.execute_sql(sql, params)
