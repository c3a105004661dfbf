"""The stop list: phones never to be sent to, because their owners withdrew consent.

The law asks a sender to stop at once on request: a dispatch's audience leaves stopped phones
out (`dispatches.audience_query`), adding a phone cancels its unsent messages in the same
transaction, and the engine checks the list again right before each request.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Iterable

from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core import audit
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.phones import normalize_phone
from tui_notifier.core.text import first_control
from tui_notifier.core.textfile import LoadError, TextFile
from tui_notifier.db import database
from tui_notifier.models import Message, MessageStatus, StopEntry

STOPPED_ERROR = "the phone is on the stop list"
"""The last error of a message cancelled because its phone was stopped."""
MAX_REASON = 200
CHUNK = 500


@dataclass
class StopResult:
    added: int = 0
    already: int = 0
    cancelled: int = 0
    """Unsent messages cancelled because their phone was stopped."""


def clean_reason(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("reason", f"expected text, got {type(value).__name__}")
    text = value.strip()
    if len(text) > MAX_REASON:
        raise ValidationError("reason", f"at most {MAX_REASON} characters, got {len(text)}")
    control = first_control(text)
    if control:
        raise ValidationError("reason", f"must be one line without control characters, found {control}")
    return text


def clean_phones(values: Iterable) -> list[str]:
    """Every phone normalised, in order, once each; a ValidationError naming the first bad one."""
    return list(dict.fromkeys(normalize_phone(value) for value in values))


def add_phones(phones: Iterable, reason: str = "", now=None) -> StopResult:
    """Stop the phones (any accepted form) and cancel their unsent messages, all at once."""
    entries = [(phone, clean_reason(reason)) for phone in clean_phones(phones)]
    return _add(entries, now or utcnow())


def _add(entries: list[tuple[str, str]], now) -> StopResult:
    result = StopResult()
    tally = counts.Tally()
    with database.atomic():
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start:start + CHUNK]
            phones = [phone for phone, _reason in chunk]
            present = {p for (p,) in StopEntry.select(StopEntry.phone).where(StopEntry.phone.in_(phones)).tuples()}
            fresh = [(phone, reason, now) for phone, reason in chunk if phone not in present]
            if fresh:
                StopEntry.insert_many(fresh, fields=[StopEntry.phone, StopEntry.reason, StopEntry.created_at]) \
                    .on_conflict_ignore().execute()
            result.added += len(fresh)
            result.already += len(chunk) - len(fresh)
            result.cancelled += cancel_unsent(phones, STOPPED_ERROR, now, tally)
        tally.apply()
        if result.added:
            audit.record("add", "stoplist", entries[0][0] if len(entries) == 1 else "",
                         f"{result.added} phones stopped, {result.cancelled} messages cancelled")
    return result


def cancel_unsent(phones: list[str], reason: str, now, tally: counts.Tally) -> int:
    """Cancel the messages to `phones` that no request has taken yet; return how many. The
    moves go to `tally`, which the caller applies when its transaction has nothing else to write."""
    dispatches = [d for (d,) in Message.update(status=MessageStatus.CANCELLED, last_error=reason,
                                               updated_at=now or utcnow(), next_attempt_at=None)
                  .where(Message.id.in_(counts.in_id_order(
                      Message.phone.in_(phones) & (Message.status == MessageStatus.CREATED))))
                  .returning(Message.dispatch).tuples().execute()]
    tally.moves(dispatches, MessageStatus.CREATED, MessageStatus.CANCELLED)
    return len(dispatches)


def remove_phones(phones: Iterable) -> int:
    """Take phones off the list; return how many were on it. Cancelled messages stay cancelled."""
    clean = clean_phones(phones)
    with database.atomic():
        removed = StopEntry.delete().where(StopEntry.phone.in_(clean)).execute()
        if removed:
            audit.record("remove", "stoplist", clean[0] if len(clean) == 1 else "", f"{removed} phones")
        return removed


def is_stopped(phone: str) -> bool:
    return StopEntry.select().where(StopEntry.phone == phone).exists()


def stopped_among(phones: list[str]) -> set[str]:
    """Which of `phones` are stopped now (the engine asks again before each request it starts)."""
    if not phones:
        return set()
    return {p for (p,) in StopEntry.select(StopEntry.phone).where(StopEntry.phone.in_(phones)).tuples()}


def stopped_query():
    """The stopped phones, as a subquery for audiences and claims."""
    return StopEntry.select(StopEntry.phone)


def _with_prefix(query, phone_prefix: str):
    """Phones starting with `phone_prefix`, typed as an operator would (`8 900…`, `900…`)."""
    digits = "".join(ch for ch in phone_prefix if ch.isdigit())
    if not digits:
        return query
    if digits[0] == "8":
        digits = "7" + digits[1:]
    elif digits[0] != "7":
        digits = "7" + digits
    return query.where(StopEntry.phone.startswith(digits))


def list_stopped(phone_prefix: str = "", limit: int | None = 100, after: str | None = None,
                 before: str | None = None, offset: int = 0) -> list[StopEntry]:
    """A page in phone order; `after` / `before` page by phone (`before` gives the `limit` phones
    just before it, in order)."""
    query = StopEntry.select().order_by(StopEntry.phone.desc() if before is not None else StopEntry.phone)
    query = _with_prefix(query, phone_prefix)
    if after is not None:
        query = query.where(StopEntry.phone > after)
    if before is not None:
        query = query.where(StopEntry.phone < before)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    rows = list(query)
    return rows[::-1] if before is not None else rows


def count_stopped(phone_prefix: str = "") -> int:
    return _with_prefix(StopEntry.select(), phone_prefix).count()


@dataclass
class StopFileResult:
    path: str
    phones: int = 0
    added: int = 0
    already: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


def load_stoplist_file(path, reason: str = "") -> StopFileResult:
    """Stop every phone of a file: one per line, optionally `phone,reason` (a `phone,reason` header
    is allowed). Every line is checked first; one bad line and nothing is written."""
    default = clean_reason(reason)
    result = StopFileResult(path=str(path))
    entries: dict[str, str] = {}
    with TextFile.open(path, "CSV") as text:
        try:
            reader = csv.reader(text.text(newline=""))
            for record in reader:
                line = reader.line_num
                if not record or not "".join(record).strip():
                    continue
                if line == 1 and record[0].strip().lower() == "phone":
                    continue
                if len(record) > 2:
                    result.errors.append(f"{path}:{line}: expected a phone and an optional reason, "
                                         f"got {len(record)} fields")
                    continue
                try:
                    phone = normalize_phone(record[0])
                    entries.setdefault(phone, clean_reason(record[1]) if len(record) > 1 and record[1].strip()
                                       else default)
                except ValidationError as exc:
                    result.errors.append(f"{path}:{line}: {exc.field}: {exc.message}")
        except UnicodeDecodeError:
            raise text.undecodable() from None
        except csv.Error as exc:
            raise LoadError(str(path), f"malformed file: {exc}") from None
    result.phones = len(entries)
    if result.errors:
        return result
    done = _add(list(entries.items()), utcnow())
    result.added, result.already, result.cancelled = done.added, done.already, done.cancelled
    return result

