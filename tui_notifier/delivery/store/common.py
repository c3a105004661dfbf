"""What every part of the engine's store shares: ids, "now", and plain SQL in the bound
database's dialect."""
from __future__ import annotations

import datetime as _dt
import uuid

import peewee as pw

from tui_notifier.clock import utcnow
from tui_notifier.db import database
from tui_notifier.models import Dispatch


def as_uuid(dispatch_id) -> uuid.UUID:
    return dispatch_id if isinstance(dispatch_id, uuid.UUID) else uuid.UUID(str(dispatch_id))


def now_or(now: _dt.datetime | None) -> _dt.datetime:
    return now or utcnow()


def is_postgres() -> bool:
    return isinstance(database.obj, pw.PostgresqlDatabase)


def sql(text: str) -> str:
    """Plain SQL written with `?` placeholders, in the bound database's style."""
    param = database.obj.param
    return text if param == "?" else text.replace("?", param)


def dispatch_key(dispatch_id) -> str:
    return Dispatch.id.db_value(as_uuid(dispatch_id))


def without_nul(text: str | None) -> str | None:
    """Gateway text as the store writes it: NUL written out (`\\x00`, as it is shown), since
    PostgreSQL cannot keep NUL in text, and both databases then keep the same text."""
    return text.replace("\x00", "\\x00") if text else text
