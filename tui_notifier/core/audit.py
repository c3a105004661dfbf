"""The audit trail: every write through any face, with when, who, which face, what and on what.

Core write functions call `record()` inside their own transaction, so a change and its entry
commit together and no face can forget one. Who acts comes from the face: a process-wide
default set once (`act_as`; the CLI and the dashboard name the OS user) and, for a server
answering many people at once, a per-request override (`acting_as`, the API's token name).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import getpass
from dataclasses import dataclass

from tui_notifier.clock import utcnow
from tui_notifier.models import AuditEntry, insert_row, insert_rows

MAX_DETAIL = 2000


@dataclass(frozen=True)
class Actor:
    name: str
    face: str


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


_default = Actor("system", "engine")
_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)


def act_as(name: str, face: str) -> None:
    """Who writes in this process from now on, unless a request says otherwise."""
    global _default
    _default = Actor(name, face)


@contextlib.contextmanager
def acting_as(name: str, face: str):
    """Who writes inside this block, on this thread only."""
    token = _current.set(Actor(name, face))
    try:
        yield
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    return _current.get() or _default


def record(action: str, object_type: str, object_id="", detail: str = "", actor: Actor | None = None) -> None:
    """Add an entry for a write happening now, inside the caller's transaction, by `actor`
    (default: who acts on this thread; a write done for another thread names its own)."""
    insert_row(AuditEntry, _entry(action, object_type, object_id, detail, actor or current_actor(), utcnow()))


def record_each(action: str, object_type: str, entries: list[tuple[object, str, Actor]]) -> None:
    """`record` for several objects at once, each (object_id, detail, actor), in one statement
    (SQLite)."""
    at = utcnow()
    insert_rows(AuditEntry, [_entry(action, object_type, object_id, detail, actor, at)
                             for object_id, detail, actor in entries])


def _entry(action: str, object_type: str, object_id, detail: str, actor: Actor, at) -> dict:
    return {"at": at, "actor": actor.name[:128], "face": actor.face, "action": action,
            "object_type": object_type, "object_id": str(object_id)[:64], "detail": detail[:MAX_DETAIL]}


def list_entries(since: _dt.datetime | None = None, limit: int | None = None, offset: int = 0,
                 newest_first: bool = True) -> list[AuditEntry]:
    query = AuditEntry.select()
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    order = AuditEntry.id.desc() if newest_first else AuditEntry.id
    query = query.order_by(order)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(query)


def page(limit: int, after_id: int | None = None, before_id: int | None = None) -> list[AuditEntry]:
    """A page of entries in id order, paged by key like `clients.list_clients` (`before_id`
    gives the `limit` entries just before it)."""
    query = AuditEntry.select()
    if after_id is not None:
        query = query.where(AuditEntry.id > after_id)
    if before_id is not None:
        rows = list(query.where(AuditEntry.id < before_id).order_by(AuditEntry.id.desc()).limit(limit))
        return rows[::-1]
    return list(query.order_by(AuditEntry.id).limit(limit))


def count_entries(since: _dt.datetime | None = None) -> int:
    query = AuditEntry.select()
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return query.count()


def entry_json(entry: AuditEntry) -> dict:
    from tui_notifier.clock import isoformat_z

    return {"id": entry.id, "at": isoformat_z(entry.at), "actor": entry.actor, "face": entry.face,
            "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
            "detail": entry.detail}
