"""Exports for scripts and spreadsheets: the directory as CSV, YAML or JSON, a dispatch's messages as CSV.

Rows are read by key in pages and written as they come, so an export of millions of rows
takes the memory of one page. A client export loads back with `clients load` unchanged.
"""
from __future__ import annotations

import csv
import json
from typing import Iterable, Iterator, TextIO

import yaml

from tui_notifier.clock import isoformat_z
from tui_notifier.core.clients import CLIENT_FIELDS, ClientFilter, list_clients
from tui_notifier.core.errors import ValidationError, shown
from tui_notifier.core.reports import dispatch_messages, dispatch_report

CLIENT_FORMATS = ("csv", "yaml", "json")
MESSAGE_FIELDS = ("id", "client_id", "phone", "status", "attempts", "sent_at", "last_error", "provider_id")
PAGE = 2000


def export_clients(out: TextIO, flt: ClientFilter | None = None, format: str = "csv") -> int:
    """Write the clients matching `flt` to `out` in id order; return how many."""
    if format not in CLIENT_FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(CLIENT_FORMATS)}, got {shown(format)}")
    if format == "csv":
        names = attribute_names(flt)
        rows = ({**{name: getattr(client, name) for name in CLIENT_FIELDS}, **(client.attributes or {})}
                for client in _clients(flt))
        return _write_csv(out, rows, CLIENT_FIELDS + names)
    rows = (client_record(client) for client in _clients(flt))
    return _WRITERS[format](out, rows)


def client_record(client) -> dict:
    """A client as `clients load` reads it: the fields, and `attributes` when it has any."""
    record = {name: getattr(client, name) for name in CLIENT_FIELDS}
    if client.attributes:
        record["attributes"] = dict(client.attributes)
    return record


def attribute_names(flt: ClientFilter | None = None) -> tuple[str, ...]:
    """Every attribute name the matching clients use, sorted: the extra columns of a CSV export."""
    names: set[str] = set()
    for client in _clients(flt):
        names.update(client.attributes or ())
    return tuple(sorted(names))


def export_messages(out: TextIO, dispatch_id, status: str | None = None) -> int:
    """Write a dispatch's messages (optionally of one status) to `out` as CSV; return how many."""
    dispatch = dispatch_report(dispatch_id).dispatch
    rows = (message_row(message) for message in _messages(dispatch.id, status))
    return _write_csv(out, rows, MESSAGE_FIELDS)


def message_row(message) -> dict:
    """A message as the flat record every face shows: times in UTC with `Z`."""
    return {
        "id": message.id,
        "client_id": message.client_id,
        "phone": message.phone,
        "status": message.status,
        "attempts": message.attempts,
        "sent_at": isoformat_z(message.sent_at),
        "last_error": message.last_error,
        "provider_id": message.provider_id,
    }


def _clients(flt: ClientFilter | None) -> Iterator:
    after = None
    while page := list_clients(flt, limit=PAGE, after_id=after):
        yield from page
        after = page[-1].id


def _messages(dispatch_id, status: str | None) -> Iterator:
    after = None
    while page := dispatch_messages(dispatch_id, status=status, limit=PAGE, after_id=after):
        yield from page
        after = page[-1].id


def _write_csv(out: TextIO, rows: Iterable[dict], fields: tuple[str, ...]) -> int:
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", restval="")
    writer.writeheader()
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
    return count


def _write_yaml(out: TextIO, rows: Iterable[dict]) -> int:
    out.write("clients:\n")
    count = 0
    for count, row in enumerate(rows, start=1):
        out.write("  - " + yaml.dump(row, Dumper=yaml.CSafeDumper,
                                     allow_unicode=True, default_flow_style=True, sort_keys=False,
                                     width=1 << 16))
    if not count:
        out.write("  []\n")
    return count


def _write_json(out: TextIO, rows: Iterable[dict]) -> int:
    out.write("[")
    count = 0
    for count, row in enumerate(rows, start=1):
        out.write(("\n  " if count == 1 else ",\n  ") + json.dumps(row, ensure_ascii=False))
    out.write("\n]\n" if count else "]\n")
    return count


_WRITERS = {"yaml": _write_yaml, "json": _write_json}
