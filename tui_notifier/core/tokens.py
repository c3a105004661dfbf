"""Credentials of the HTTP API: made here, shown once, kept only as a SHA-256 digest.

A token is 32 random bytes (URL-safe text), so a plain digest is as strong as a slow hash and
lets a request be checked with one indexed lookup.
"""
from __future__ import annotations

import hashlib
import re
import secrets

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


def check_token(text: str) -> ApiToken | None:
    """The token whose text this is, or None."""
    if not text:
        return None
    return ApiToken.get_or_none(ApiToken.digest == digest(text))
