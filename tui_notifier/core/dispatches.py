"""Dispatches: validation, the rules of what may change once one has started, state changes.

The core knows no queue. Whoever sends messages subscribes with `subscribe()` and is told,
after each committed change, which dispatch changed and how, so a face cannot forget to wake
the engine.
"""
from __future__ import annotations

import datetime as _dt
import re
import uuid
from typing import Callable, Iterable

import pytz
from peewee import IntegrityError, OperationalError, fn

from tui_notifier import counts
from tui_notifier.clock import UTC, utcnow
from tui_notifier.core import audit, stoplist, templates
from tui_notifier.core.clients import clean_operator_code, clean_tag, clean_timezone
from tui_notifier.core.errors import NotFound, StateError, ValidationError, shown
from tui_notifier.core.windows import parse_window
from tui_notifier.db import database, is_deadlock, is_sqlite
from tui_notifier.models import Client, Dispatch, DispatchRecipient, DispatchStatus, Message, MessageStatus

MAX_TEXT_LENGTH = 2000

_OPEN = (DispatchStatus.SCHEDULED, DispatchStatus.RUNNING, DispatchStatus.PAUSED)

ALLOWED_FROM: dict[str, tuple[DispatchStatus, ...]] = {
    "updated": _OPEN,
    "paused": (DispatchStatus.SCHEDULED, DispatchStatus.RUNNING),
    "resumed": (DispatchStatus.PAUSED,),
    "cancelled": _OPEN,
    "deleted": DispatchStatus.ALL,
}
"""The dispatch state machine: each change an operator can make, and the statuses it may be
made from. Core enforces it; the CLI and the dashboard read it (which keys to offer)."""


def can_change(status: str, change: str) -> bool:
    """Whether a dispatch in `status` may be `change`d (a key of ALLOWED_FROM)."""
    return status in ALLOWED_FROM[change]


Listener = Callable[[Dispatch, str], None]
_listeners: list[Listener] = []
_by_role: dict[str, Listener] = {}


def subscribe(listener: Listener, role: str | None = None) -> None:
    """Call `listener(dispatch, change)` after every committed change of a dispatch.

    `change` is one of created, updated, paused, resumed, cancelled, deleted. A listener
    subscribed for a `role` (the engine's queue, say) replaces the one that held it.
    """
    if role is not None:
        previous = _by_role.pop(role, None)
        if previous is not None:
            unsubscribe(previous)
        _by_role[role] = listener
    if listener not in _listeners:
        _listeners.append(listener)


def subscriber(role: str) -> Listener | None:
    """The listener subscribed for `role`, if any."""
    return _by_role.get(role)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)
    for role, held in list(_by_role.items()):
        if held is listener:
            del _by_role[role]


def notify(dispatch: Dispatch, change: str) -> None:
    """Tell every listener of a committed change (also a test send waiting for the engine)."""
    for listener in list(_listeners):
        listener(dispatch, change)


def parse_instant(value, timezone: str, field: str) -> _dt.datetime:
    """ISO 8601 text or a datetime -> aware UTC; a naive value is read in `timezone`."""
    if isinstance(value, _dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(field, f"{shown(value)} is not an ISO 8601 time like 2026-05-01T09:00") from None
    else:
        raise ValidationError(field, "a time is required (ISO 8601, like 2026-05-01T09:00)")
    try:
        if moment.tzinfo is None:
            zone = pytz.timezone(timezone)
            moment = zone.localize(moment, is_dst=False)
        return moment.astimezone(UTC).replace(microsecond=(moment.microsecond // 1000) * 1000)
    except OverflowError:
        raise ValidationError(field, f"{shown(value)} is out of the range of times") from None


def _split(value, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise ValidationError(field, f"expected a list or a comma-separated string, got {shown(value)}")


def clean_operator_codes(value) -> list[str]:
    codes = set()
    for item in _split(value, "operator_codes"):
        try:
            codes.add(clean_operator_code(item))
        except ValidationError as exc:
            raise ValidationError("operator_codes", exc.message) from None
    return sorted(codes)


def clean_tags(value) -> list[str]:
    tags = set()
    for item in _split(value, "tags"):
        try:
            tag = clean_tag(item)
        except ValidationError as exc:
            raise ValidationError("tags", exc.message) from None
        if tag:
            tags.add(tag)
    return sorted(tags)


def clean_text(value) -> str:
    """A message text: not empty, not too long, its placeholders well formed (`templates.parse`)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("text", "the message text must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValidationError("text", f"at most {MAX_TEXT_LENGTH} characters, got {len(value)}")
    templates.parse(value)
    return value


_SENDER = re.compile(r"[A-Za-z0-9 .\-]{1,11}")


def clean_sender(value) -> str:
    """An alpha name: 1-11 Latin letters, digits, spaces, `.` or `-`; empty for the gateway's own."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("sender", f"expected text, got {type(value).__name__}")
    if value.strip() == "":
        return ""
    if not _SENDER.fullmatch(value) or not any(ch.isalnum() for ch in value):
        raise ValidationError("sender", f"must be 1-11 Latin letters, digits, spaces, . or -, got {shown(value)}")
    return value


def audience_of(dispatch: Dispatch):
    """The clients a dispatch is for: its list (a resend) or its filters, the stop list left out."""
    return _chosen(dispatch).where(Client.phone.not_in(stoplist.stopped_query()))


def stopped_in_audience(dispatch: Dispatch) -> int:
    """How many clients the dispatch's list or filters choose that the stop list leaves out."""
    return _chosen(dispatch).where(Client.phone.in_(stoplist.stopped_query())).count()


def _chosen(dispatch: Dispatch):
    """The clients the list or the filters choose, before the stop list."""
    if dispatch.explicit_audience:
        listed = DispatchRecipient.select(DispatchRecipient.client).where(DispatchRecipient.dispatch == dispatch.id)
        return Client.select(Client.id).where(Client.id.in_(listed))
    return _filtered(dispatch.operator_codes, dispatch.tags)


def audience_count(dispatch: Dispatch) -> int:
    """How many clients the dispatch would reach if it started now."""
    return audience_of(dispatch).count()


def audience_query(operator_codes: Iterable[str] = (), tags: Iterable[str] = ()):
    """Clients a filter matches (empty sets match everyone), the stop list left out."""
    return _filtered(operator_codes, tags).where(Client.phone.not_in(stoplist.stopped_query()))


def _filtered(operator_codes: Iterable[str], tags: Iterable[str]):
    query = Client.select(Client.id)
    operator_codes, tags = list(operator_codes), list(tags)
    if operator_codes:
        query = query.where(Client.operator_code.in_(operator_codes))
    if tags:
        query = query.where(Client.tag.in_(tags))
    return query


def preview_text(text, operator_codes=None, tags=None) -> templates.TextCost:
    """The text rendered for a sample client, and what it costs over the audience, for the composer."""
    return templates.text_cost(clean_text(text), audience_query(clean_operator_codes(operator_codes),
                                                                clean_tags(tags)))


def preview_audience(operator_codes=None, tags=None) -> int:
    """How many clients a filter matches, for the composer and `dispatches create`."""
    return audience_query(clean_operator_codes(operator_codes), clean_tags(tags)).count()


def get_dispatch(dispatch_id) -> Dispatch:
    """By UUID, or by a unique leading part of one of at least 4 characters."""
    text = str(dispatch_id).strip().lower().replace("-", "")
    try:
        exact = uuid.UUID(text)
    except ValueError:
        exact = None
    if exact is not None:
        found = Dispatch.get_or_none(Dispatch.id == exact)
    elif len(text) >= 4 and all(ch in "0123456789abcdef" for ch in text):
        matches = list(
            Dispatch.select()
            .where(fn.REPLACE(Dispatch.id.cast("text"), "-", "").startswith(text))
            .limit(2)
        )
        if len(matches) > 1:
            raise NotFound(f"dispatch id {dispatch_id!r} is ambiguous: give more characters")
        found = matches[0] if matches else None
    else:
        found = None
    if found is None:
        raise NotFound(f"dispatch {dispatch_id} not found")
    return found


def dispatch_by_number(number) -> Dispatch:
    """By its sequential number, the id integrations of integer-numbered systems know."""
    try:
        found = Dispatch.get_or_none(Dispatch.number == int(number))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise NotFound(f"dispatch number {shown(number)} not found")
    return found


def list_dispatches(status: str | None = None) -> list[Dispatch]:
    query = Dispatch.select().order_by(Dispatch.start_at.desc(), Dispatch.created_at.desc())
    if status:
        query = query.where(Dispatch.status == status)
    return list(query)


def has_started(dispatch: Dispatch, now: _dt.datetime | None = None) -> bool:
    """Its start time has come or its messages exist; one paused before its start has not."""
    now = now or utcnow()
    return (
        dispatch.start_at <= now
        or dispatch.fanned_out_at is not None
        or dispatch.status not in (DispatchStatus.SCHEDULED, DispatchStatus.PAUSED)
    )


def _check_times(start: _dt.datetime, end: _dt.datetime, now: _dt.datetime) -> None:
    if end <= start:
        raise ValidationError("end", "the end must be after the start")
    if end <= now:
        raise ValidationError("end", "the end is already in the past")


DISPATCH_REQUIRED = ("start", "end", "text")
_NUMBER_TRIES = 5
"""Two writers on PostgreSQL may pick the same next number; the loser takes the one after."""


def dispatch_problems(start, end, text, timezone="UTC", operator_codes=None, tags=None,
                      window=None, now: _dt.datetime | None = None, sender=None) -> list[ValidationError]:
    """Every problem of a new dispatch's fields at once (a form shows them all together), in
    the order of the form; empty when `create_dispatch` would accept them."""
    now = now or utcnow()
    problems: list[ValidationError] = []

    def check(clean, *args):
        try:
            return clean(*args)
        except ValidationError as exc:
            problems.append(exc)
            return None

    clean = check(clean_text, text)
    zone = check(clean_timezone, timezone)
    start_at = check(parse_instant, start, zone or "UTC", "start")
    end_at = check(parse_instant, end, zone or "UTC", "end")
    codes = check(clean_operator_codes, operator_codes)
    tag_set = check(clean_tags, tags)
    if clean is not None and codes is not None and tag_set is not None:
        check(templates.check_audience, clean, audience_query(codes, tag_set))
    check(parse_window, window)
    check(clean_sender, sender)
    if start_at is not None and end_at is not None:
        check(_check_times, start_at, end_at, now)
    return problems


def create_dispatch(start, end, text, timezone="UTC", operator_codes=None, tags=None,
                    window=None, now: _dt.datetime | None = None, sender=None,
                    recipients: Iterable[int] | None = None, source=None) -> Dispatch:
    """A new scheduled dispatch; `recipients` (client ids) make its audience a list instead of filters."""
    now = now or utcnow()
    timezone = clean_timezone(timezone)
    fields = {
        "start_at": parse_instant(start, timezone, "start"),
        "end_at": parse_instant(end, timezone, "end"),
        "message_text": clean_text(text),
        "timezone": timezone,
        "operator_codes": clean_operator_codes(operator_codes),
        "tags": clean_tags(tags),
        "sender": clean_sender(sender),
        "source": source,
        "explicit_audience": recipients is not None,
    }
    fields.update(_window_fields(window))
    _check_times(fields["start_at"], fields["end_at"], now)
    for attempt in range(_NUMBER_TRIES):
        try:
            with database.atomic():
                number = (Dispatch.select(fn.MAX(Dispatch.number)).scalar() or 0) + 1
                dispatch = Dispatch.create(created_at=now, updated_at=now, number=number, **fields)
                if recipients is not None:
                    rows = [(dispatch.id, client_id) for client_id in dict.fromkeys(recipients)]
                    for first in range(0, len(rows), 500):
                        DispatchRecipient.insert_many(
                            rows[first:first + 500], fields=[DispatchRecipient.dispatch, DispatchRecipient.client]
                        ).execute()
                templates.check_audience(fields["message_text"], audience_of(dispatch))
                audit.record("create", "dispatch", dispatch.id, _described(fields))
            break
        except IntegrityError:
            if attempt == _NUMBER_TRIES - 1:
                raise
    notify(dispatch, "created")
    return dispatch


def clone_dispatch(dispatch_id, start=None, end=None, now: _dt.datetime | None = None) -> Dispatch:
    """A new dispatch like this one (text, audience, window, sender); its times unless new ones are given."""
    original = get_dispatch(dispatch_id)
    recipients = None
    if original.explicit_audience:
        recipients = [c for (c,) in DispatchRecipient.select(DispatchRecipient.client)
                      .where(DispatchRecipient.dispatch == original.id).tuples()]
    return create_dispatch(original.start_at if start is None else start, original.end_at if end is None else end,
                           original.message_text, timezone=original.timezone,
                           operator_codes=original.operator_codes, tags=original.tags, window=original.window,
                           now=now, sender=original.sender, recipients=recipients, source=original.id)


RESENDABLE = (MessageStatus.FAILED, MessageStatus.TIMEOUT, MessageStatus.CANCELLED)


def resend_dispatch(dispatch_id, start, end, statuses=(MessageStatus.FAILED, MessageStatus.TIMEOUT),
                    now: _dt.datetime | None = None) -> Dispatch:
    """A new dispatch with the same text for exactly the clients whose messages ended in `statuses`."""
    original = get_dispatch(dispatch_id)
    wanted = _split(statuses, "status")
    unknown = [status for status in wanted if status not in RESENDABLE]
    if unknown or not wanted:
        raise ValidationError("status", f"must be some of {', '.join(RESENDABLE)}, got {shown(','.join(unknown))}")
    clients = [c for (c,) in Message.select(Message.client).where(
        (Message.dispatch == original.id) & Message.status.in_(wanted) & Message.client.is_null(False)
    ).order_by(Message.id).tuples()]
    if not clients:
        raise ValidationError("status", f"dispatch {original.id} has no message that is {' or '.join(wanted)}")
    return create_dispatch(start, end, original.message_text, timezone=original.timezone, window=original.window,
                           now=now, sender=original.sender, recipients=clients, source=original.id)


def _window_fields(window) -> dict:
    parsed = parse_window(window)
    if parsed is None:
        return {"window_start": None, "window_end": None}
    return {"window_start": f"{parsed.start:%H:%M}", "window_end": f"{parsed.end:%H:%M}"}


def _described(fields: dict) -> str:
    """The fields of a change, one `name=value` each, instants in UTC."""
    def text(value):
        return value.isoformat() if isinstance(value, _dt.datetime) else value
    return " ".join(f"{name}={text(value)}" for name, value in fields.items())


_UNSET = object()


# Fields frozen once a dispatch has started, by the name the operator knows them by.
_LOCKED_ONCE_STARTED = {
    "start_at": "start", "message_text": "text", "operator_codes": "operator codes",
    "tags": "tags", "window_start": "window", "window_end": "window", "timezone": "timezone",
    "sender": "sender",
}


def update_dispatch(dispatch_id, *, start=_UNSET, end=_UNSET, text=_UNSET, timezone=_UNSET,
                    operator_codes=_UNSET, tags=_UNSET, window=_UNSET, sender=_UNSET,
                    now: _dt.datetime | None = None) -> Dispatch:
    """Change a dispatch; once started only its end may move (a field given unchanged is no change)."""
    now = now or utcnow()
    with database.atomic():
        dispatch = get_dispatch(dispatch_id)
        if not can_change(dispatch.status, "updated"):
            raise StateError(f"dispatch {dispatch.id} is {dispatch.status}: it can no longer change")
        zone = dispatch.timezone if timezone is _UNSET else clean_timezone(timezone)
        fields: dict = {"timezone": zone}
        if start is not _UNSET:
            fields["start_at"] = parse_instant(start, zone, "start")
        if end is not _UNSET:
            fields["end_at"] = parse_instant(end, zone, "end")
        if text is not _UNSET:
            fields["message_text"] = clean_text(text)
        if operator_codes is not _UNSET:
            fields["operator_codes"] = clean_operator_codes(operator_codes)
        if tags is not _UNSET:
            fields["tags"] = clean_tags(tags)
        if window is not _UNSET:
            fields.update(_window_fields(window))
        if sender is not _UNSET:
            fields["sender"] = clean_sender(sender)
        changed_locked = sorted({
            label for name, label in _LOCKED_ONCE_STARTED.items()
            if name in fields and fields[name] != getattr(dispatch, name)
        })
        if changed_locked and has_started(dispatch, now):
            raise StateError(
                f"dispatch {dispatch.id} has started: its {', '.join(changed_locked)} can no "
                "longer change (only its end can move; pause or cancel it instead)"
            )
        _check_times(fields.get("start_at", dispatch.start_at), fields.get("end_at", dispatch.end_at), now)
        if {"message_text", "operator_codes", "tags"} & fields.keys():
            proposed = Dispatch(**{**dispatch.__data__, **fields})
            templates.check_audience(proposed.message_text, audience_of(proposed))
        changed = {name: value for name, value in fields.items() if value != getattr(dispatch, name)}
        fields["updated_at"] = now
        Dispatch.update(**fields).where(Dispatch.id == dispatch.id).execute()
        audit.record("update", "dispatch", dispatch.id, _described(changed))
        for name, value in fields.items():
            setattr(dispatch, name, value)
    notify(dispatch, "updated")
    return dispatch


_ACTIONS = {"paused": "pause", "resumed": "resume", "cancelled": "cancel"}


def _set_status(dispatch_id, status_for, change: str, reason: str = "",
                now: _dt.datetime | None = None) -> Dispatch:
    now = now or utcnow()
    with database.atomic():
        dispatch = get_dispatch(dispatch_id)
        if not can_change(dispatch.status, change):
            raise StateError(f"dispatch {dispatch.id} is {dispatch.status}: it cannot be {change}")
        new_status = status_for(dispatch, now)
        Dispatch.update(status=new_status, status_reason=reason, updated_at=now).where(
            Dispatch.id == dispatch.id
        ).execute()
        dispatch.status, dispatch.status_reason, dispatch.updated_at = new_status, reason, now
        audit.record(_ACTIONS[change], "dispatch", dispatch.id, reason)
        if new_status == DispatchStatus.CANCELLED:
            dispatch.finished_at = now
            Dispatch.update(finished_at=now).where(Dispatch.id == dispatch.id).execute()
            cancelled = Message.update(status=MessageStatus.CANCELLED, lease_until=None, updated_at=now).where(
                Message.id.in_(counts.in_id_order(
                    (Message.dispatch == dispatch.id) & (Message.status == MessageStatus.CREATED)))
            ).execute()
            tally = counts.Tally()
            tally.move(dispatch.id, MessageStatus.CREATED, MessageStatus.CANCELLED, cancelled)
            tally.apply()
    notify(dispatch, change)
    return dispatch


def pause_dispatch(dispatch_id, reason: str = "paused by the operator", now=None) -> Dispatch:
    """Stop sending until resumed; messages already in flight finish."""
    return _set_status(dispatch_id, lambda d, now: DispatchStatus.PAUSED, "paused", reason, now)


def resume_dispatch(dispatch_id, now=None) -> Dispatch:
    def status_for(dispatch, now):
        return DispatchStatus.RUNNING if dispatch.fanned_out_at else DispatchStatus.SCHEDULED

    return _set_status(dispatch_id, status_for, "resumed", "", now)


def cancel_dispatch(dispatch_id, now=None) -> Dispatch:
    """Stop for good: messages not yet sent become `cancelled`."""
    return _set_status(dispatch_id, lambda d, now: DispatchStatus.CANCELLED, "cancelled",
                       "cancelled by the operator", now)


def delete_dispatch(dispatch_id, retries: int = 1) -> None:
    """Remove a dispatch with its messages and their history, and its counters.

    Refused while any of its requests is in flight: the gateway may have taken it, and its
    record would have nowhere to go. On PostgreSQL the dispatch row is locked first, so no
    consumer claims messages of it between the check and the delete, and then its messages in
    the order every writer takes them (`counts.in_id_order`), so a consumer recording results
    for them is waited for. Should PostgreSQL still pick this delete as a deadlock's victim,
    it is done again up to `retries` times rather than shown to the operator as an error."""
    while True:
        try:
            dispatch = _delete(dispatch_id)
            break
        except OperationalError as exc:
            if retries <= 0 or not is_deadlock(exc):
                raise
            retries -= 1
    notify(dispatch, "deleted")


def _delete(dispatch_id) -> Dispatch:
    with database.atomic():
        dispatch = get_dispatch(dispatch_id)
        if not is_sqlite(database.obj):
            Dispatch.select(Dispatch.id).where(Dispatch.id == dispatch.id).for_update().execute()
            counts.lock_messages(Message.dispatch == dispatch.id)
        in_flight = Message.select().where(
            (Message.dispatch == dispatch.id) & (Message.status == MessageStatus.SENDING)).count()
        if in_flight:
            raise StateError(
                f"dispatch {dispatch.id} has {in_flight} message{'s' if in_flight != 1 else ''} in flight "
                "to the gateway: pause or cancel it, and delete it once they are recorded (a few seconds)")
        Message.delete().where(Message.dispatch == dispatch.id).execute()
        Dispatch.delete().where(Dispatch.id == dispatch.id).execute()
        audit.record("delete", "dispatch", dispatch.id)
    return dispatch
