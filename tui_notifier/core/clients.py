"""The client directory: validation, add, update, delete, search and paging.

`check_client` is the one validator every way in uses (CLI, dashboard form, YAML loader), so
a phone accepted in one place is accepted in all of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import peewee as pw
import pytz

from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core import audit
from tui_notifier.core.errors import Conflict, NotFound, ValidationError, shown
from tui_notifier.core.phones import normalize_phone, operator_code_of
from tui_notifier.core.text import first_control
from tui_notifier.db import GroupCommit, database, is_sqlite, one_writer, writer_connection
from tui_notifier.models import MAX_TAG_LENGTH, Client, Message, MessageStatus, insert_row, insert_rows

CLIENT_FIELDS = ("phone", "operator_code", "tag", "timezone")
_FIELD_SET = frozenset(CLIENT_FIELDS + ("attributes",))
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_NAME = 64
MAX_ATTRIBUTE_VALUE = 500
COMMON_TIMEZONES = frozenset(pytz.common_timezones)
_OPERATOR_CODE = re.compile(r"[0-9]{3}")
_PLAIN_PHONE = re.compile(r"7[0-9]{10}").fullmatch


def clean_operator_code(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError("operator_code", f"expected 3 digits, got {shown(value)}")
    text = str(value).strip()
    if not _OPERATOR_CODE.fullmatch(text):
        raise ValidationError("operator_code", f"must be 3 digits, got {shown(value)}")
    return text


def clean_tag(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError("tag", f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > MAX_TAG_LENGTH:
        raise ValidationError("tag", f"at most {MAX_TAG_LENGTH} characters, got {len(text)}")
    control = first_control(text)
    if control:
        raise ValidationError("tag", f"must not contain control characters, found {control} in {shown(text)}")
    return text


def clean_attribute_name(name, field: str = "attributes") -> str:
    """A name a message text can use as `{name}`: letters, digits and `_`, not starting with a digit."""
    if not isinstance(name, str) or not name.isidentifier() or len(name) > MAX_ATTRIBUTE_NAME:
        raise ValidationError(field, f"attribute name {shown(name)} must be letters, digits and _ "
                              f"(not starting with a digit), at most {MAX_ATTRIBUTE_NAME} characters")
    if name in CLIENT_FIELDS:
        raise ValidationError(field, f"{name!r} is a field of every client, not an attribute")
    return name


def clean_attributes(value, field: str = "attributes") -> dict[str, str]:
    """Free-form name -> text; an empty value means the attribute is not set, so it is left out."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ValidationError(field, f"expected a mapping of name to text, got {type(value).__name__}")
    if len(value) > MAX_ATTRIBUTES:
        raise ValidationError(field, f"at most {MAX_ATTRIBUTES} attributes, got {len(value)}")
    clean = {}
    for name, item in value.items():
        name = clean_attribute_name(name, field)
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ValidationError(field, f"{name}: expected text, got {type(item).__name__}")
        text = str(item).strip()
        if len(text) > MAX_ATTRIBUTE_VALUE:
            raise ValidationError(field, f"{name}: at most {MAX_ATTRIBUTE_VALUE} characters, got {len(text)}")
        control = first_control(text)
        if control:
            raise ValidationError(field, f"{name}: must be one line without control characters, found {control}")
        if text:
            clean[name] = text
    return clean


def clean_timezone(value, field: str = "timezone") -> str:
    if value is None or value == "":
        return "UTC"
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a time zone name, got {shown(value)}")
    text = value.strip()
    if text not in COMMON_TIMEZONES:
        raise ValidationError(field, f"unknown time zone {shown(value)} (use a name like Europe/Moscow)")
    return text


def check_client(data: dict) -> tuple[dict | None, list[ValidationError]]:
    """Normalise one client's fields; return the clean fields or every error found."""
    errors: list[ValidationError] = []
    if not data.keys() <= _FIELD_SET:
        errors.extend(ValidationError(str(key), "unknown field (expected phone, operator_code, tag, timezone)")
                      for key in data if key not in _FIELD_SET)
    phone = tag = timezone = code = None
    try:
        phone = normalize_phone(data.get("phone"))
    except ValidationError as exc:
        errors.append(exc)
    try:
        tag = clean_tag(data.get("tag"))
    except ValidationError as exc:
        errors.append(exc)
    try:
        timezone = clean_timezone(data.get("timezone"))
    except ValidationError as exc:
        errors.append(exc)
    given = data.get("operator_code")
    if given is None or given == "":
        if phone is not None:
            code = operator_code_of(phone)
    else:
        try:
            code = clean_operator_code(given)
        except ValidationError as exc:
            errors.append(exc)
    attributes = None
    try:
        attributes = clean_attributes(data.get("attributes"))
    except ValidationError as exc:
        errors.append(exc)
    if errors:
        return None, errors
    return {"phone": phone, "tag": tag, "timezone": timezone, "operator_code": code, "attributes": attributes}, []


class RowChecker:
    """`check_client` for a stream of rows, without a dict per row: the values that repeat
    across a file (tags, time zones, operator codes) are judged once and remembered.

    `clean` takes the raw (phone, operator_code, tag, timezone, attributes) of a row and gives
    the clean tuple in that order, or None when any value is not plainly valid; `check_client`
    then finds every error, so both agree on what is accepted and how it is written.
    """

    REMEMBERED = 10_000

    def __init__(self):
        self._tags: dict[str, str] = {}
        self._zones: dict[str, str] = {}
        self._codes: dict[str, str] = {}

    def clean(self, values: tuple) -> tuple | None:
        """`values` may leave out the attributes (a table without attribute columns)."""
        if len(values) == 4:
            phone, code, tag, zone = values
            attributes = None
        else:
            phone, code, tag, zone, attributes = values
        if phone.__class__ is not str or _PLAIN_PHONE(phone) is None:
            try:
                phone = normalize_phone(phone)
            except ValidationError:
                return None
        if code is None or code == "":
            code = phone[1:4]
        elif (code := self._codes.get(code) if code.__class__ is str else None) is None:
            code = self._known(self._codes, values[1], clean_operator_code)
        if tag is None:
            tag = ""
        elif (tag := self._tags.get(tag) if tag.__class__ is str else None) is None:
            tag = self._known(self._tags, values[2], clean_tag)
        if zone is None:
            zone = "UTC"
        elif (zone := self._zones.get(zone) if zone.__class__ is str else None) is None:
            zone = self._known(self._zones, values[3], clean_timezone)
        if code is None or tag is None or zone is None:
            return None
        if attributes is None or attributes == "":
            attributes = {}
        else:
            try:
                attributes = clean_attributes(attributes)
            except ValidationError:
                return None
        return phone, code, tag, zone, attributes

    def _known(self, seen: dict, value, clean) -> str | None:
        try:
            known = clean(value)
        except ValidationError:
            return None
        if value.__class__ is str and len(seen) < self.REMEMBERED:
            seen[value] = known
        return known


def validate_client(data: dict) -> dict:
    clean, errors = check_client(data)
    if errors:
        raise errors[0]
    return clean


def _phone_taken(phone: str) -> Conflict:
    return Conflict("phone", f"{phone} is already in the directory")


def add_client(phone, operator_code=None, tag=None, timezone=None, attributes=None) -> Client:
    clean = validate_client(
        {"phone": phone, "operator_code": operator_code, "tag": tag, "timezone": timezone,
         "attributes": attributes}
    )
    try:
        with database.atomic():
            client = Client(id=insert_row(Client, clean), **clean)
            audit.record("create", "client", client.id, _described(clean))
    except pw.IntegrityError:
        raise _phone_taken(clean["phone"]) from None
    return client


class _SomeTaken(Exception):
    """A batch of clients written in one statement had a phone taken: written again one by one."""


def _add_each(items: list[tuple[dict, audit.Actor]]) -> list[Client | Conflict]:
    """Add clean clients in one transaction, each with its audit entry by its own actor; a
    phone taken (before or earlier in the batch) is that client's Conflict alone.

    On SQLite several clients go in one statement and their entries in another; a phone taken
    among them fails the batch, which the group commit writes again one client at a time."""
    added: list[Client | Conflict] = []
    with one_writer(), writer_connection(), database.atomic():
        if len(items) > 1 and is_sqlite(database.obj):
            keys = insert_rows(Client, [clean for clean, _ in items], unless_taken="phone")
            if keys is None:
                raise _SomeTaken()
            audit.record_each("create", "client", [(key, _described(clean), actor)
                                                   for key, (clean, actor) in zip(keys, items)])
            return [Client(id=key, **clean) for key, (clean, _) in zip(keys, items)]
        for clean, actor in items:
            key = insert_row(Client, clean, unless_taken="phone")
            if key is None:
                added.append(_phone_taken(clean["phone"]))
                continue
            added.append(Client(id=key, **clean))
            audit.record("create", "client", key, _described(clean), actor=actor)
    return added


_adding = GroupCommit(_add_each)


def add_client_together(phone, operator_code=None, tag=None, timezone=None, attributes=None) -> Client:
    """`add_client` for a server adding clients from many threads at once: the clients that
    arrive while others are being written are written together in the next transaction. Each
    caller gets its own client (once committed) or its own error, as `add_client` gives them."""
    clean = validate_client(
        {"phone": phone, "operator_code": operator_code, "tag": tag, "timezone": timezone,
         "attributes": attributes}
    )
    if database.in_transaction():
        return add_client(**clean)
    return _adding.submit((clean, audit.current_actor()))


def _described(fields: dict) -> str:
    return " ".join(f"{name}={value}" for name, value in fields.items())


def get_client(client_id: int) -> Client:
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    return client


_UNSET = object()


def update_client(client_id: int, phone=_UNSET, operator_code=_UNSET, tag=_UNSET, timezone=_UNSET,
                  attributes=_UNSET, set_attributes=_UNSET) -> Client:
    """Change the given fields; a new phone without a code takes the code from the phone.

    `attributes` replaces them all; `set_attributes` changes only the names it gives (an
    empty value removes one).
    """
    with database.atomic():
        client = get_client(client_id)
        data = client.as_dict()
        data.pop("id")
        if phone is not _UNSET:
            data["phone"] = phone
            if operator_code is _UNSET:
                data["operator_code"] = None
        for name, value in (("operator_code", operator_code), ("tag", tag), ("timezone", timezone),
                            ("attributes", attributes)):
            if value is not _UNSET:
                data[name] = value
        if set_attributes is not _UNSET:
            data["attributes"] = {**data["attributes"], **(set_attributes or {})}
        clean = validate_client(data)
        taken = Client.select().where((Client.phone == clean["phone"]) & (Client.id != client_id))
        if taken.exists():
            raise _phone_taken(clean["phone"])
        changed = {name: value for name, value in clean.items() if getattr(client, name) != value}
        Client.update(**clean).where(Client.id == client_id).execute()
        for name, value in clean.items():
            setattr(client, name, value)
        audit.record("update", "client", client_id, _described(changed))
        return client


DELETED_ERROR = "the client was deleted"
"""The last error of a message cancelled because its client was deleted before it was sent."""


def delete_client(client_id: int) -> None:
    """Remove a client and cancel its unsent messages; messages already sent keep their phone
    for the reports. Its messages are locked first, in the order every writer takes them in:
    the delete also changes the sent ones (their client is forgotten)."""
    with database.atomic():
        counts.lock_messages(Message.client == client_id)
        cancelled = (Message.update(status=MessageStatus.CANCELLED, last_error=DELETED_ERROR, next_attempt_at=None,
                                    updated_at=utcnow())
                     .where((Message.client == client_id) & (Message.status == MessageStatus.CREATED))
                     .returning(Message.dispatch).tuples().execute())
        tally = counts.Tally()
        tally.moves([d for (d,) in cancelled], MessageStatus.CREATED, MessageStatus.CANCELLED)
        if Client.delete().where(Client.id == client_id).execute() == 0:
            raise NotFound(f"client {client_id} not found")
        audit.record("delete", "client", client_id)
        tally.apply()


@dataclass(frozen=True)
class ClientFilter:
    """A search of the directory: every given part must match."""

    phone_prefix: str = ""
    tag: str | None = None
    operator_code: str | None = None
    text: str = ""

    def where(self):
        conditions = []
        if self.phone_prefix:
            conditions.append(_phone_prefix_condition(self.phone_prefix))
        if self.tag is not None:
            conditions.append(Client.tag == self.tag)
        if self.operator_code:
            conditions.append(Client.operator_code == self.operator_code)
        if self.text.strip():
            conditions.append(_free_text_condition(self.text.strip()))
        return conditions


def _phone_prefix_condition(prefix: str):
    digits = re.sub(r"\D", "", prefix)
    if digits[:1] == "8":
        digits = "7" + digits[1:]
    elif digits and digits[0] != "7":
        digits = "7" + digits
    if not digits:
        return Client.phone == "\x00"
    upper = digits[:-1] + chr(ord(digits[-1]) + 1)
    return (Client.phone >= digits) & (Client.phone < upper)


def _free_text_condition(text: str):
    """One search box: digits look up phones by prefix (and 3 digits an operator code too); words look up tags."""
    if re.fullmatch(r"[+\d\s\-()]+", text):
        condition = _phone_prefix_condition(text)
        digits = re.sub(r"\D", "", text)
        if len(digits) == 3:
            condition = condition | (Client.operator_code == digits)
        return condition
    return Client.tag.contains(text)


def _query(flt: ClientFilter | None):
    query = Client.select()
    conditions = flt.where() if flt else []
    for condition in conditions:
        query = query.where(condition)
    return query


LAST_PAGE = 2 ** 63 - 1
"""`before_id` that asks for the last page."""


def list_clients(flt: ClientFilter | None = None, limit: int | None = 100, offset: int = 0,
                 after_id: int | None = None, before_id: int | None = None) -> list[Client]:
    """A page of clients in id order; `after_id` / `before_id` page without OFFSET for large
    directories (`before_id` gives the `limit` clients just before it, `LAST_PAGE` the last ones)."""
    query = _query(flt)
    if after_id is not None:
        query = query.where(Client.id > after_id)
    if before_id is not None:
        query = query.where(Client.id < before_id).order_by(Client.id.desc())
    else:
        query = query.order_by(Client.id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    rows = list(query)
    return rows[::-1] if before_id is not None else rows


def count_clients(flt: ClientFilter | None = None) -> int:
    return _query(flt).count()
