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
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Callable, Iterator

import peewee as pw
from peewee import EXCLUDED

from tui_notifier.core import audit, csv_rows, yaml_rows
from tui_notifier.core.clients import RowChecker, check_client
from tui_notifier.core.errors import ValidationError, shown
from tui_notifier.core.phones import normalize_phone
from tui_notifier.core.textfile import CELLS, LoadError, TextFile, suffix_of
from tui_notifier.db import database
from tui_notifier.models import Client

__all__ = ["FORMATS", "LoadError", "LoadResult", "RowError", "load_clients_file", "load_clients_text"]

ON_CONFLICT = ("update", "skip", "error")
FORMATS = ("yaml", "csv")
CHUNK = 2000
PROGRESS_EVERY = 5000
MAX_ERRORS_KEPT = 1000
_COLUMNS = (Client.phone, Client.operator_code, Client.tag, Client.timezone, Client.attributes)
_CELL_SET = frozenset(CELLS)
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
            batch.read(_READERS[kind][0](text), text, report)
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


FILTER_BITS = 1 << 26
"""Bits of the filter of phones met (8 MB): at a million rows about 1.5% of new phones are
looked up in the database for nothing."""


class _Batch:
    """Rows waiting to be checked against the file's earlier rows and the directory, then written.

    A phone met again is found without asking the database for every row: a bit filter of
    every phone met so far says "certainly new" for almost all of them, and only the rest are
    looked up. Where a phone was first met is kept by the client's id for the clients this
    load creates (two numbers a row), and in `_SeenPhones` for the others (rows that failed,
    phones already in the directory).
    """

    def __init__(self, result: LoadResult, seen: "_SeenPhones", on_conflict: str, skip_invalid: bool):
        self.result = result
        self.seen = seen
        self.seen_any = False
        self.on_conflict = on_conflict
        self.skip_invalid = skip_invalid
        self.pending: list[tuple[int, int, str, tuple | None, list | None]] = []
        self.checker = RowChecker()
        self.met = bytearray(FILTER_BITS >> 3)
        self.directory_was_empty = not Client.select().exists()
        """Then every phone met for the first time is new, and the directory need not be asked."""
        self.fresh = self.directory_was_empty
        """Every row so far was good and new: chunks are written as they are (`_created_all`)."""
        self.base = (Client.select(pw.fn.MAX(Client.id)).scalar() or 0) + 1
        """Clients with an id from here on were created by this load."""
        self.first_row = array("l")
        self.first_line = array("l")
        """The row and line each client this load created came from, by its id less `base`."""

    def read(self, rows: Iterator[tuple], text: TextFile, report: Progress) -> None:
        clean_of = self.checker.clean
        pending = self.pending
        row = 0
        for row, line, data, problems in rows:
            if not row % PROGRESS_EVERY:
                report(text.consumed, text.size)
            if not problems:
                if data.__class__ is tuple:
                    clean = clean_of(data)
                    if clean is None:
                        data = {name: None if value.__class__ is str and not value.strip() else value
                                for name, value in zip(CELLS, data)}
                elif data.__class__ is dict and data.keys() <= _CELL_SET:
                    clean = clean_of((data.get("phone"), data.get("operator_code"), data.get("tag"),
                                      data.get("timezone"), data.get("attributes")))
                else:
                    clean = None
                if clean is not None:
                    pending.append((row, line, clean[0], clean, None))
                    if len(pending) >= CHUNK:
                        self.flush()
                    continue
            self._add(row, line, data, problems or [])
        self.result.total = row
        self.flush()

    def _add(self, row: int, line: int, data: dict | None, problems: list[tuple[str, str]]) -> None:
        clean = phone = None
        if data is not None:
            checked, invalid = check_client(data)
            if checked is not None and not problems:
                clean = (checked["phone"], checked["operator_code"], checked["tag"], checked["timezone"],
                         checked["attributes"])
                phone = clean[0]
            else:
                unbuilt = {name for name, _message in problems}
                problems.extend((error.field, error.message) for error in invalid if error.field not in unbuilt)
                phone = checked["phone"] if checked is not None else _phone_or_none(data.get("phone"))
        if phone is None:
            self._fail(row, line, problems)
            return
        self.pending.append((row, line, phone, clean, problems or None))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        rows = self.pending.copy()
        self.pending.clear()
        if self.fresh:
            if self._created_all(rows):
                return
            self.fresh = False
            self._remember_created()
        met = self.met
        again = []
        for _row, _line, phone, _clean, _problems in rows:
            bit = hash(phone) & (FILTER_BITS - 1)
            byte, mask = bit >> 3, 1 << (bit & 7)
            if met[byte] & mask:
                again.append(phone)
            else:
                met[byte] |= mask
        first = self._first_met(again) if again else {}
        existing = {} if self.directory_was_empty else _existing(list({phone for _r, _l, phone, _c, _p in rows
                                                                        if phone not in first}))
        result, on_conflict = self.result, self.on_conflict
        seen: list[tuple[str, int, int]] = []
        new: list[tuple] = []
        changed: list[tuple] = []
        for item in rows:
            row, line, phone, clean, problems = item
            earlier = first.get(phone)
            if earlier is None:
                first[phone] = item
            else:
                problems = (problems or []) + [("phone", f"{phone} appears again: first on line {earlier[1]} "
                                                         f"(row {earlier[0]})")]
            if problems:
                self._fail(row, line, problems)
                if earlier is None:
                    seen.append((phone, row, line))
                continue
            if phone not in existing:
                new.append(item)
                continue
            current = existing[phone]
            seen.append((phone, row, line))
            if on_conflict == "error":
                self._fail(row, line, [("phone", f"{phone} is already in the directory")])
            elif on_conflict == "skip":
                result.skipped += 1
            else:
                result.updated += 1
                if current[3]:
                    clean = clean[:4] + ({**current[3], **clean[4]},)
                if current != clean[1:]:
                    changed.append(clean)
        if seen:
            self.seen.add(seen)
            self.seen_any = True
        result.created += len(new)
        if new and (self.skip_invalid or not result.failed):
            self._created(new, _insert([item[3] for item in new]))
        elif new:
            self.seen.add([(phone, row, line) for row, line, phone, _clean, _problems in new])
            self.seen_any = True
        if changed and (self.skip_invalid or not result.failed):
            _write(changed, "update")

    def _created_all(self, rows: list[tuple]) -> bool:
        """While every row so far was new and good, write a chunk without looking anything up:
        True when each of its rows is good, its phones differ and the directory took them all
        as new clients. Otherwise nothing of the chunk is written, and the load goes on the
        general way."""
        if self.result.failed and not self.skip_invalid:
            return False
        if any(item[4] is not None for item in rows) or len({item[2] for item in rows}) != len(rows):
            return False
        try:
            with database.atomic() as chunk:
                ids = _insert([item[3] for item in rows])
                if None in ids:
                    chunk.rollback()
                    return False
        except pw.IntegrityError:
            return False
        self.result.created += len(rows)
        self._created(rows, ids)
        return True

    def _remember_created(self) -> None:
        """Put the phones created so far into the filter of phones met, which the fresh start did without."""
        met = self.met
        cursor = database.execute_sql(f"SELECT phone FROM {Client._meta.table_name} WHERE id >= {database.param}",
                                      (self.base,))
        for (phone,) in cursor:
            bit = hash(phone) & (FILTER_BITS - 1)
            met[bit >> 3] |= 1 << (bit & 7)

    def _created(self, new: list[tuple], ids: range | list[int | None]) -> None:
        """Remember the row and line of each client just created, by its id."""
        first_row, first_line, base = self.first_row, self.first_line, self.base
        needed = max((client_id for client_id in ids if client_id is not None), default=base) - base + 1
        if needed > len(first_row):
            zeros = bytes((needed - len(first_row)) * first_row.itemsize)
            first_row.frombytes(zeros)
            first_line.frombytes(zeros)
        if isinstance(ids, range):
            first_row[ids.start - base:ids.stop - base] = array("l", [item[0] for item in new])
            first_line[ids.start - base:ids.stop - base] = array("l", [item[1] for item in new])
            return
        for (row, line, *_rest), client_id in zip(new, ids):
            if client_id is not None:
                first_row[client_id - base] = row
                first_line[client_id - base] = line

    def _first_met(self, phones: list[str]) -> dict[str, tuple[int, int]]:
        """Where each of `phones` was first met in this load, for those met before."""
        first = self.seen.first_of(phones) if self.seen_any else {}
        marks = ", ".join([database.param] * len(phones))
        cursor = database.execute_sql(
            f"SELECT id, phone FROM {Client._meta.table_name} WHERE id >= {database.param} AND phone IN ({marks})",
            [self.base, *phones])
        for client_id, phone in cursor:
            at = client_id - self.base
            if at < len(self.first_row) and self.first_row[at]:
                first[phone] = (self.first_row[at], self.first_line[at])
        return first

    def _fail(self, row: int, line: int, problems: list[tuple[str, str]]) -> None:
        result = self.result
        result.failed += 1
        for name, message in problems:
            if len(result.errors) < MAX_ERRORS_KEPT:
                result.errors.append(RowError(row, line, name, message, result.path))
            else:
                result.errors_left_out += 1


class _SeenPhones:
    """Phones this load met but did not create (rows that failed, phones already in the
    directory), with the row and line each first appeared on.

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

    def add(self, rows: list[tuple[str, int, int]]) -> None:
        """Remember each phone with its row and line (each met here for the first time)."""
        mark = database.param
        database.execute_sql(
            f"INSERT INTO {self.TABLE} (phone, row_number, line) VALUES "
            + ", ".join([f"({mark}, {mark}, {mark})"] * len(rows)),
            list(chain.from_iterable(rows)))


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


def _insert(rows: list[tuple]) -> range | list[int | None]:
    """Insert clients whose phones are not in the directory; return their ids in order.

    On SQLite the load holds the write lock, so the rows take the ids just below the last
    one, in order; elsewhere the database says which id each phone got (and a phone another
    writer added meanwhile is left as it is)."""
    columns = ", ".join(column.column_name for column in _COLUMNS)
    mark = database.param
    sql = (f"INSERT INTO {Client._meta.table_name} ({columns}) VALUES "
           + ", ".join([f"({mark}, {mark}, {mark}, {mark}, {mark})"] * len(rows)))
    params = []
    for phone, code, tag, zone, attributes in rows:
        params += (phone, code, tag, zone, json.dumps(attributes, ensure_ascii=False) if attributes else "{}")
    if isinstance(database.obj, pw.SqliteDatabase):
        last = database.execute_sql(sql, params).lastrowid
        return range(last - len(rows) + 1, last + 1)
    cursor = database.execute_sql(sql + " ON CONFLICT (phone) DO NOTHING RETURNING id, phone", params)
    ids = {phone: client_id for client_id, phone in cursor}
    return [ids.get(row[0]) for row in rows]


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
