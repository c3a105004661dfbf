"""Bulk-load of clients from YAML: every row checked first, then one transaction writes them.

A file is a list of mappings, or a mapping with a `clients:` list; each row has the keys of
`check_client`. The C parser composes the node tree once; rows are built from their nodes,
so each row keeps the line it starts on for error messages without a second parse.
By default one bad row stops the whole load and nothing is written; `skip_invalid` writes
the good rows and reports the rest.
"""
from __future__ import annotations

import codecs
import gc
import reprlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Callable

import yaml
from peewee import EXCLUDED
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from tui_notifier.core.clients import CLIENT_FIELDS, check_client
from tui_notifier.core.errors import CoreError, ValidationError
from tui_notifier.core.phones import normalize_phone
from tui_notifier.db import database
from tui_notifier.models import Client

ON_CONFLICT = ("update", "skip", "error")
PROGRESS_EVERY = 5000
WRITE_CHUNK = 500
LOOKUP_CHUNK = 900

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
_ROW_SHAPE = f"expected a mapping with {', '.join(CLIENT_FIELDS)}"
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)
_COLUMNS = (Client.phone, Client.operator_code, Client.tag, Client.timezone)

Progress = Callable[[int, int], None]


class LoadError(CoreError):
    """The whole file is unusable; the message names the file, and the line when known."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        where = path if line is None else f"{path}:{line}" if column is None else f"{path}:{line}:{column}"
        super().__init__(f"{where}: {message}")


@dataclass
class RowError:
    """One bad row: `index` is its 0-based place in the list, `line` the 1-based line it starts on."""

    index: int
    line: int | None
    field: str
    message: str
    source: str = ""

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = self.message if self.field == "row" else f"{self.field}: {self.message}"
        return f"{where}: row {self.index}: {what}"

    def as_json(self) -> dict:
        return {"index": self.index, "line": self.line, "field": self.field, "message": self.message}


@dataclass
class LoadResult:
    """What a load did: counts of rows, and every bad row. `written` is False when bad rows stopped it.

    `updated` counts every row whose phone was already present (with `on_conflict="update"`),
    including rows that already matched and so needed no write.
    """

    path: str
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
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
        }


def load_clients_file(path, on_conflict: str = "update", skip_invalid: bool = False,
                      progress: Progress | None = None) -> LoadResult:
    """Load the clients of a YAML file into the directory; see the module docstring."""
    source = str(path)
    return load_clients_text(read_text(path), source, on_conflict, skip_invalid, progress)


def load_clients_text(text: str, source: str = "<text>", on_conflict: str = "update",
                      skip_invalid: bool = False, progress: Progress | None = None) -> LoadResult:
    """Load clients from YAML text; `source` names it in messages."""
    if on_conflict not in ON_CONFLICT:
        raise ValidationError("on_conflict", f"must be one of {', '.join(ON_CONFLICT)}, got {on_conflict!r}")
    report = progress or (lambda done, total: None)
    with _gc_paused():
        rows, errors, total = _parse(text, source, report)
        result = LoadResult(path=source, total=total)
        with database.atomic():
            existing = _existing(rows)
            if on_conflict == "error":
                errors.extend(
                    RowError(index, line, "phone", f"{clean['phone']} is already in the directory", source)
                    for index, line, clean in rows if clean["phone"] in existing
                )
            failed = {error.index for error in errors}
            result.errors = sorted(errors, key=lambda error: error.index)
            result.failed = len(failed)
            if skip_invalid or not failed:
                good = [clean for index, _line, clean in rows if index not in failed]
                _write(good, existing, on_conflict, result, report)
                result.written = True
    report(total, total)
    return result


def read_text(path) -> str:
    """The file's text, or a LoadError that says why it is not a readable YAML text file."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise LoadError(source, "no such file") from None
    except IsADirectoryError:
        raise LoadError(source, "is a directory, not a YAML file") from None
    except PermissionError:
        raise LoadError(source, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise LoadError(source, f"cannot read the file: {exc.strerror or exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, name = "utf-16", "UTF-16"
    elif b"\x00" in data:
        raise LoadError(source, "is a binary file, not YAML text")
    else:
        encoding, name = "utf-8-sig", "UTF-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LoadError(source, f"is not {name} text (byte {data[exc.start]:#04x} cannot be decoded)",
                        line=line) from None


@contextmanager
def _gc_paused():
    """Hold off the cyclic collector while the node tree is alive.

    Composing allocates millions of small objects, and each generation-2 pass walks all of
    them again: with the collector on, a 100,000-row file parses about four times slower.
    The tree holds no cycles, so reference counting frees it as it goes out of scope.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(text: str, source: str, report: Progress):
    """Rows as (index, line, clean fields) for the good ones, and a RowError per problem."""
    loader = yaml.CSafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise _yaml_load_error(source, exc, text) from None
        nodes = _row_nodes(root, loader, source)
        return _check_rows(nodes, loader, source, report)
    finally:
        loader.dispose()


def _row_nodes(root, loader, source: str) -> list:
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
        raise LoadError(source, "is empty: expected a list of clients or a mapping with a `clients:` list")
    if isinstance(root, MappingNode) and root.tag == _MAP:
        keys = {}
        for key_node, value_node in root.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            keys[key] = value_node
        unknown = [key for key in keys if key != "clients"]
        if "clients" not in keys or unknown:
            found = ", ".join(repr(key) for key in keys) or "nothing"
            raise LoadError(source, f"a mapping at the top must have just a `clients:` list, found {found}",
                            line=root.start_mark.line + 1)
        root = keys["clients"]
        if not (isinstance(root, SequenceNode) and root.tag == _SEQ):
            raise LoadError(source, f"`clients:` must be a list of clients, got {_describe_node(root)}",
                            line=root.start_mark.line + 1)
        return root.value
    if isinstance(root, SequenceNode) and root.tag == _SEQ:
        return root.value
    raise LoadError(source, "expected a list of clients or a mapping with a `clients:` list, "
                    f"got {_describe_node(root)}", line=root.start_mark.line + 1)


def _check_rows(nodes: list, loader, source: str, report: Progress):
    rows: list[tuple[int, int, dict]] = []
    errors: list[RowError] = []
    first_line: dict[str, tuple[int, int]] = {}
    total = len(nodes)
    report(0, total)
    for index, node in enumerate(nodes):
        line = node.start_mark.line + 1
        data, row_errors = _construct_row(node, loader)
        if data is None:
            errors.extend(RowError(index, line, name, message, source) for name, message in row_errors)
            continue
        clean, invalid = check_client(data)
        unbuilt = {name for name, _message in row_errors}
        invalid = [error for error in invalid if error.field not in unbuilt]
        phone = clean["phone"] if clean else _phone_or_none(data.get("phone"))
        if phone is not None:
            earlier = first_line.setdefault(phone, (index, line))
            if earlier[0] != index:
                invalid.append(ValidationError(
                    "phone", f"{phone} appears again: first on line {earlier[1]} (row {earlier[0]})"))
        row_errors.extend((error.field, error.message) for error in invalid)
        if row_errors:
            errors.extend(RowError(index, line, name, message, source) for name, message in row_errors)
        else:
            rows.append((index, line, clean))
        if index % PROGRESS_EVERY == 0 and index:
            report(index // 2, total)
    return rows, errors, total


def _construct_row(node, loader) -> tuple[dict | None, list[tuple[str, str]]]:
    """The row's mapping, built from its nodes; plain strings are taken as they are (the hot path)."""
    if not (isinstance(node, MappingNode) and node.tag == _MAP):
        return _construct_general(node, loader)
    data: dict = {}
    problems: list[tuple[str, str]] = []
    for key_node, value_node in node.value:
        if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR):
            return _construct_general(node, loader)
        key = key_node.value
        if key in data:
            problems.append((key, "given twice in the row"))
        if isinstance(value_node, ScalarNode) and value_node.tag == _STR:
            data[key] = value_node.value
            continue
        try:
            data[key] = loader.construct_object(value_node, deep=True)
        except _CONSTRUCT_ERRORS as exc:
            problems.append((key, _constructor_problem(exc)))
    return data, problems


def _construct_general(node, loader):
    """Rows that are not plain mappings, or use merge keys (`<<: *defaults`), take the full constructor."""
    try:
        value = loader.construct_object(node, deep=True)
    except _CONSTRUCT_ERRORS as exc:
        return None, [("row", _constructor_problem(exc))]
    if not isinstance(value, dict):
        return None, [("row", f"{_ROW_SHAPE}, got {_describe_value(value)}")]
    return {str(key): item for key, item in value.items()}, []


def _phone_or_none(value) -> str | None:
    try:
        return normalize_phone(value)
    except ValidationError:
        return None


def _existing(rows) -> dict[str, tuple]:
    """The directory's current (operator_code, tag, timezone) for each phone in `rows`."""
    phones = [clean["phone"] for _index, _line, clean in rows]
    found: dict[str, tuple] = {}
    if not phones or not Client.select().exists():
        return found
    columns = Client.select(*_COLUMNS)
    for cursor in _execute_chunked(lambda chunk: columns.where(Client.phone.in_([p for p, in chunk])),
                                   [(phone,) for phone in phones], LOOKUP_CHUNK):
        for phone, *rest in cursor:
            found[phone] = tuple(rest)
    return found


def _write(good: list[dict], existing: dict, on_conflict: str, result: LoadResult, report: Progress):
    """Insert new phones and, with `update`, rewrite existing ones that differ; count each kind."""
    to_write = []
    for clean in good:
        row = (clean["phone"], clean["operator_code"], clean["tag"], clean["timezone"])
        current = existing.get(row[0])
        if current is None:
            result.created += 1
            to_write.append(row)
        elif on_conflict == "update":
            result.updated += 1
            if current != row[1:]:
                to_write.append(row)
        else:
            result.skipped += 1
    if on_conflict == "update":
        def statement(chunk):
            return Client.insert_many(chunk, fields=_COLUMNS).on_conflict(
                conflict_target=[Client.phone],
                update={column: EXCLUDED[column.column_name] for column in _COLUMNS[1:]},
            ).returning()
    else:
        def statement(chunk):
            return Client.insert_many(chunk, fields=_COLUMNS).on_conflict_ignore().returning()
    half, total = result.total // 2, result.total
    done = 0
    for _cursor in _execute_chunked(statement, to_write, WRITE_CHUNK):
        done += WRITE_CHUNK
        if done % (WRITE_CHUNK * 10) == 0:
            report(half + (total - half) * min(done, len(to_write)) // len(to_write), total)


def _execute_chunked(make_query, rows: list[tuple], size: int):
    """Run `make_query(chunk)` for each chunk of `rows`, yielding cursors.

    Peewee renders each statement shape once (per chunk length) in the database's own
    dialect; the later chunks reuse that SQL with their own parameters, which skips
    rebuilding thousands of placeholders in Python for every chunk.
    """
    rendered: dict[int, str] = {}
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        sql = rendered.get(len(chunk))
        if sql is None:
            sql = rendered[len(chunk)] = make_query(chunk).sql()[0]
        yield database.execute_sql(sql, list(chain.from_iterable(chunk)))


def _yaml_load_error(source: str, exc: yaml.YAMLError, text: str) -> LoadError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context:
        where = f" on line {context_mark.line + 1}" if context_mark is not None else ""
        problem = f"{context}{where}: {problem}"
    if mark is not None:
        return LoadError(source, f"malformed YAML: {problem}", line=mark.line + 1, column=mark.column + 1)
    position = getattr(exc, "position", None)
    if isinstance(exc, yaml.reader.ReaderError) and position is not None:
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return LoadError(source, f"malformed YAML: character {ord(character):#06x} is not allowed",
                         line=text.count("\n", 0, position) + 1)
    return LoadError(source, f"malformed YAML: {problem}")


def _constructor_problem(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    return problem or str(exc).splitlines()[0]


def _describe_node(node) -> str:
    if isinstance(node, ScalarNode):
        return "null" if node.tag == _NULL else f"the value {node.value!r}"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a mapping"


def _describe_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {reprlib.repr(value)}"
