"""The lookup lists the earlier systems kept as tables: operator codes, tags, message statuses.

Here they are made from the data. Each entry has a stable UUID (uuid5 of its kind and value),
so an integration that resolved a code to a reference id once can send that id for ever.
"""
from __future__ import annotations

import uuid

import peewee as pw

from tui_notifier import counts
from tui_notifier.models import Client, Dispatch

NAMESPACE = uuid.UUID("6f1b8a52-3c0e-5d7a-9a43-7d3c2b1e0f11")
KINDS = ("operator_code", "tag", "message_status")


def database_ready() -> bool:
    """Whether the database answers a query now."""
    try:
        Dispatch.select(Dispatch.id).limit(1).exists()
    except pw.DatabaseError:
        return False
    return True


def reference_id(kind: str, value: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{value}")


def _dispatch_filter_values(attribute: str) -> set[str]:
    values: set[str] = set()
    for (items,) in Dispatch.select(getattr(Dispatch, attribute)).tuples():
        values.update(items or ())
    return values


def operator_codes() -> list[str]:
    """Every code a client has or a dispatch filters on."""
    found = {code for (code,) in Client.select(Client.operator_code).distinct().tuples()}
    return sorted(found | _dispatch_filter_values("operator_codes"))


def tags() -> list[str]:
    found = {tag for (tag,) in Client.select(Client.tag).where(Client.tag != "").distinct().tuples()}
    return sorted(found | _dispatch_filter_values("tags"))


def message_statuses() -> list[tuple[str, int]]:
    """Every message status with how many messages are in it now."""
    return list(counts.totals().items())


_OPERATOR_CODES = {reference_id("operator_code", f"{n:03d}"): f"{n:03d}" for n in range(1000)}


def resolve(kind: str, reference) -> str | None:
    """The value a reference id stands for, or None when nothing has that id."""
    try:
        wanted = uuid.UUID(str(reference))
    except ValueError:
        return None
    if kind == "operator_code":
        return _OPERATOR_CODES.get(wanted)
    values = tags() if kind == "tag" else [status for status, _ in message_statuses()]
    return next((value for value in values if reference_id(kind, value) == wanted), None)
