"""Credentials of the HTTP API: made here, shown once, kept only as a SHA-256 digest.

A token is 32 random bytes (URL-safe text), so a plain digest is as strong as a slow hash and
lets a request be checked with one indexed lookup.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
import secrets
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
    with database.atomic():
        if ApiToken.delete().where(ApiToken.name == str(name)).execute() == 0:
            raise NotFound(f"no token named {shown(name)}")
        audit.record("revoke", "token", name)


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


def check_token(text: str) -> Holder | None:
    """Who holds the token whose text this is, or None."""
    if not text:
        return None
    row = database.execute_sql(_lookup_sql(), (digest(text),)).fetchone()
    if row is None:
        return None
    token_id, name, read_only, last_used = row
    now = utcnow()
    last_used = ApiToken.last_used_at.python_value(last_used)
    if last_used is None or now - last_used > USED_EVERY:
        with database.atomic():
            ApiToken.update(last_used_at=now).where(ApiToken.id == token_id).execute()
    return Holder(name, bool(read_only))
