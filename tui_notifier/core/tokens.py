"""Credentials of the HTTP API: made here, shown once, kept only as a SHA-256 digest.

A token is 32 random bytes (URL-safe text), so a plain digest is as strong as a slow hash and
lets a request be checked with one indexed lookup.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import peewee as pw

from tui_notifier.clock import utcnow
from tui_notifier.core import audit
from tui_notifier.core.errors import Conflict, NotFound, ValidationError, shown
from tui_notifier.db import database
from tui_notifier.models import ApiToken

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def clean_name(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not _NAME.fullmatch(text):
        raise ValidationError("name", f"{shown(value)} is not a token name (letters, digits, _ . @ -; "
                                      "at most 64)")
    return text


def create_token(name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new token named `name`; the text is returned here and never again."""
    name = clean_name(name)
    text = secrets.token_urlsafe(32)
    with database.atomic():
        if ApiToken.select().where(ApiToken.name == name).exists():
            raise Conflict("name", f"a token named {name} exists already (revoke it first)")
        try:
            token = ApiToken.create(name=name, digest=digest(text), read_only=read_only,
                                    created_at=utcnow())
        except pw.IntegrityError:
            raise Conflict("name", f"a token named {name} exists already (revoke it first)") from None
        audit.record("create", "token", name, "read-only" if read_only else "read-write")
    return token, text


def list_tokens() -> list[ApiToken]:
    return list(ApiToken.select().order_by(ApiToken.name))


def revoke_token(name: str) -> None:
    """Delete the token named `name`: this process refuses it from now on, every other within
    `REMEMBERED_FOR`."""
    try:
        with database.atomic():
            if ApiToken.delete().where(ApiToken.name == str(name)).execute() == 0:
                raise NotFound(f"no token named {shown(name)}")
            audit.record("revoke", "token", name)
    finally:
        _forget_all()


@dataclass(frozen=True)
class Holder:
    """Who a request's token names, and whether it may write."""

    name: str
    read_only: bool


_LOOKUP: dict[type, str] = {}
USED_EVERY = _dt.timedelta(minutes=1)
"""`last_used_at` is written at most this often, so reads stay reads."""


def _lookup_sql() -> str:
    """The lookup's SQL, built once per kind of database: it runs on every API request."""
    kind = type(database.obj)
    if kind not in _LOOKUP:
        query = ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.read_only, ApiToken.last_used_at) \
            .where(ApiToken.digest == "")
        _LOOKUP[kind] = query.sql()[0]
    return _LOOKUP[kind]


REMEMBERED_FOR = 1.0
"""Seconds a token found stays trusted without reading it again, so a server answering many
requests reads each token about once a second instead of once a request. A revoke in the
same process is seen at once; one by another process (the CLI) within this time."""
REMEMBERED_AT_MOST = 1024

_remembered: dict[str, tuple[float, object, Holder]] = {}
"""{digest: (trusted until (monotonic), the database it was read from, holder)}"""
_revokes = 0
"""Revokes made by this process: a token read while one committed is not remembered."""


def _forget_all() -> None:
    global _revokes
    _revokes += 1
    _remembered.clear()


def check_token(text: str) -> Holder | None:
    """Who holds the token whose text this is, or None."""
    if not text:
        return None
    key = digest(text)
    now = time.monotonic()
    held = _remembered.get(key)
    if held is not None and held[0] > now and held[1] is database.obj:
        return held[2]
    revokes = _revokes
    holder = _read_holder(key)
    if holder is not None and revokes == _revokes:
        if len(_remembered) >= REMEMBERED_AT_MOST:
            _remembered.clear()
        _remembered[key] = (now + REMEMBERED_FOR, database.obj, holder)
        if revokes != _revokes:
            _remembered.pop(key, None)
    return holder


def _read_holder(key: str) -> Holder | None:
    """The holder of the token with digest `key` as the database has it now (noting its use)."""
    row = database.execute_sql(_lookup_sql(), (key,)).fetchone()
    if row is None:
        return None
    token_id, name, read_only, last_used = row
    now = utcnow()
    last_used = ApiToken.last_used_at.python_value(last_used)
    if last_used is None or now - last_used > USED_EVERY:
        with database.atomic():
            ApiToken.update(last_used_at=now).where(ApiToken.id == token_id).execute()
    return Holder(name, bool(read_only))
