"""Peewee models: the database is the truth every face and every consumer reads.

Instants are stored as integer milliseconds since the epoch in UTC (`UTCTimestampField`):
they compare and sort correctly on SQLite and PostgreSQL alike, which text datetimes with
mixed offsets do not.
"""
from __future__ import annotations

import datetime as _dt
import enum
import uuid

import peewee as pw

from tui_notifier.clock import UTC, utcnow

database = pw.DatabaseProxy()
"""Every model's database, bound by `db.open_database` to the configured one."""


def is_sqlite(db) -> bool:
    return isinstance(db, pw.SqliteDatabase)

MAX_TAG_LENGTH = 64


class UTCTimestampField(pw.TimestampField):
    """An instant as epoch milliseconds; reads back as an aware UTC datetime."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("resolution", 1000)
        kwargs.setdefault("utc", True)
        kwargs.setdefault("default", None)
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        """peewee's value, reckoned without `utctimetuple` and `timegm`: every result and claim
        the engine writes converts a few instants."""
        if type(value) is _dt.datetime:
            since = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
            return int(round((since.days * 86400 + since.seconds + value.microsecond * .000001) * self.resolution))
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, _dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_STORED_INSTANT = UTCTimestampField()


_INSERTS: dict = {}


def insert_row(model, values: dict, unless_taken: str | None = None):
    """INSERT one row and return its primary key, with the SQL and the conversion of each
    value prepared once per model, columns and kind of database: the hot writes of a server
    (a client, an audit entry) skip peewee's query building on every call. Fields left out
    take their defaults, as `create` gives them.

    With `unless_taken` (a unique field), a row whose value of it is taken is not inserted and
    None is returned, without an error that would end the transaction on PostgreSQL.

    On SQLite an integer key is the row id SQLite reports, with no RETURNING row to step to:
    the statement runs in one step, so a server's thread lets go of the interpreter lock once
    per row instead of twice."""
    db = database.obj
    sql, given, defaults, by_rowid = _plan(model, tuple(values), db, unless_taken)
    cursor = db.execute_sql(sql, _params(values, given, defaults))
    if by_rowid:
        return cursor.lastrowid if cursor.rowcount else None
    row = cursor.fetchone()
    return None if row is None else row[0]


def insert_rows(model, rows: list[dict], unless_taken: str | None = None) -> list | None:
    """INSERT rows that give the same fields in one statement, on SQLite, and return their keys
    in order: a batch costs one step of SQLite (and one release of the interpreter lock)
    instead of one per row.

    Inside a write transaction the integer keys SQLite gives the rows of one statement follow
    each other, ending at the row id it reports. With `unless_taken`, None when any row was
    not inserted (its value taken): the caller writes them one at a time to learn which."""
    db = database.obj
    names = tuple(rows[0])
    sql, given, defaults, by_rowid = _plan(model, names, db, unless_taken)
    if not by_rowid:
        raise ValueError(f"{model.__name__}: several rows in one statement only with an integer key on SQLite")
    key = (model, names, type(db), unless_taken, len(rows))
    many = _INSERTS.get(key)
    if many is None:
        head, _, rest = sql.partition(" VALUES ")
        one, _, tail = rest.partition(")")
        many = _INSERTS[key] = f"{head} VALUES {', '.join([one + ')'] * len(rows))}{tail}"
    cursor = db.execute_sql(many, [param for values in rows for param in _params(values, given, defaults)])
    if cursor.rowcount != len(rows):
        return None
    last = cursor.lastrowid
    return list(range(last - len(rows) + 1, last + 1))


def _plan(model, names: tuple, db, unless_taken: str | None) -> tuple:
    """(SQL, converters of the given fields, defaults with theirs, key by row id) for an INSERT of
    these fields, made once per model, fields, kind of database and conflict rule."""
    key = (model, names, type(db), unless_taken)
    plan = _INSERTS.get(key)
    if plan is None:
        plan = _INSERTS[key] = _insert_plan(model, names, db, unless_taken)
    return plan


def _params(values: dict, given: list, defaults: list) -> list:
    return ([convert(values[name]) for name, convert in given]
            + [convert(default() if callable(default) else default) for default, convert in defaults])


def _insert_plan(model, names: tuple, db, unless_taken: str | None = None) -> tuple:
    meta = model._meta
    left, right = db.quote
    quoted = lambda name: f"{left}{name}{right}"  # noqa: E731
    defaulted = [f for f in meta.sorted_fields if f.default is not None and not f.primary_key and f.name not in names]
    fields = [meta.fields[name] for name in names] + defaulted
    by_rowid = is_sqlite(db) and isinstance(meta.primary_key, pw.AutoField)
    sql = (f"INSERT INTO {quoted(meta.table_name)} ({', '.join(quoted(f.column_name) for f in fields)}) "
           f"VALUES ({', '.join([db.param] * len(fields))})"
           + (f" ON CONFLICT ({quoted(meta.fields[unless_taken].column_name)}) DO NOTHING" if unless_taken else "")
           + ("" if by_rowid else f" RETURNING {quoted(meta.primary_key.column_name)}"))

    def converter(field):
        if isinstance(field, pw.JSONField):
            return lambda value: None if value is None else field._dumps(value)
        return field.db_value

    return (sql, [(name, converter(meta.fields[name])) for name in names],
            [(f.default, converter(f)) for f in defaulted], by_rowid)


def to_millis(value: _dt.datetime) -> int:
    """The stored form of an instant, for raw SQL comparisons and bulk writes."""
    return _STORED_INSTANT.db_value(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Client(BaseModel):
    id = pw.AutoField()
    phone = pw.CharField(max_length=11, unique=True)
    operator_code = pw.CharField(max_length=3, index=True)
    tag = pw.CharField(max_length=MAX_TAG_LENGTH, default="", index=True)
    timezone = pw.CharField(max_length=64, default="UTC")
    attributes = pw.JSONField(default=dict)
    """Free-form name -> text, for the placeholders of a message text (`{first_name}`)."""

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "phone": self.phone,
            "operator_code": self.operator_code,
            "tag": self.tag,
            "timezone": self.timezone,
            "attributes": self.attributes or {},
        }


class StopEntry(BaseModel):
    """A phone that must never be sent to (its owner withdrew consent), with why and since when."""

    phone = pw.CharField(max_length=11, primary_key=True)
    reason = pw.TextField(default="")
    created_at = UTCTimestampField(default=utcnow)


class StrEnum(str, enum.Enum):
    """A status or an outcome: one name from the database to the screen. It compares, hashes,
    formats and is stored as its text."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


class DispatchStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


DispatchStatus.ALL = tuple(DispatchStatus)
DispatchStatus.CLOSED = (DispatchStatus.FINISHED, DispatchStatus.CANCELLED)


class Dispatch(BaseModel):
    id = pw.UUIDField(primary_key=True, default=uuid.uuid4)
    number = pw.IntegerField(null=True, unique=True)
    """A sequential number beside the UUID, for integrations that knew dispatches by integer."""
    start_at = UTCTimestampField(index=True)
    end_at = UTCTimestampField(index=True)
    timezone = pw.CharField(max_length=64, default="UTC")
    message_text = pw.TextField()
    operator_codes = pw.JSONField(default=list)
    tags = pw.JSONField(default=list)
    window_start = pw.CharField(max_length=5, null=True)
    window_end = pw.CharField(max_length=5, null=True)
    status = pw.CharField(max_length=16, default=DispatchStatus.SCHEDULED, index=True)
    status_reason = pw.TextField(default="")
    created_at = UTCTimestampField(default=utcnow)
    updated_at = UTCTimestampField(default=utcnow)
    fanned_out_at = UTCTimestampField(null=True)
    finished_at = UTCTimestampField(null=True)
    sender = pw.CharField(max_length=11, default="")
    """The alpha name recipients see; empty means `gateway.alpha_name`."""
    source = pw.UUIDField(null=True)
    """The dispatch this one was cloned or resent from, if any."""
    explicit_audience = pw.BooleanField(default=False)
    skipped_stoplist = pw.IntegerField(default=0)
    """Clients of the audience left out at the start because their phone was on the stop list."""
    """The audience is the clients listed in `DispatchRecipient`, not the filters (a resend)."""

    @property
    def window(self) -> str | None:
        if self.window_start and self.window_end:
            return f"{self.window_start}-{self.window_end}"
        return None


class DispatchRecipient(BaseModel):
    """One client of a dispatch whose audience is a list (a resend), not filters."""

    dispatch = pw.ForeignKeyField(Dispatch, on_delete="CASCADE", index=False)
    client = pw.ForeignKeyField(Client, on_delete="CASCADE")

    class Meta:
        primary_key = pw.CompositeKey("dispatch", "client")


class MessageStatus(StrEnum):
    CREATED = "created"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


MessageStatus.ALL = tuple(MessageStatus)
MessageStatus.UNSENT = (MessageStatus.CREATED, MessageStatus.SENDING)
MessageStatus.COMPLETED = (MessageStatus.SENT, MessageStatus.DELIVERED)
MessageStatus.FINAL = (MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.TIMEOUT,
                       MessageStatus.CANCELLED)


class Message(BaseModel):
    """One SMS of one dispatch to one client; its id is the gateway's msgId / extra_id."""

    id = pw.BigAutoField()
    dispatch = pw.ForeignKeyField(Dispatch, backref="messages", on_delete="CASCADE", index=False)
    client = pw.ForeignKeyField(Client, null=True, on_delete="SET NULL", index=False)
    phone = pw.CharField(max_length=11)
    timezone = pw.CharField(max_length=64, default="UTC")
    status = pw.CharField(max_length=16, default=MessageStatus.CREATED)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCTimestampField(null=True)
    lease_until = UTCTimestampField(null=True)
    created_at = UTCTimestampField(default=utcnow)
    sent_at = UTCTimestampField(null=True)
    updated_at = UTCTimestampField(null=True)
    last_error = pw.TextField(default="")
    provider_id = pw.CharField(max_length=64, null=True)
    text = pw.TextField(null=True)
    """The text rendered for this client when the dispatch's text has placeholders; else the dispatch's."""
    lease_owner = pw.IntegerField(null=True)
    """The consumer (ConsumerHeartbeat id) holding the lease, so a dead one's batch is freed at once."""

    class Meta:
        indexes = (
            (("dispatch", "client"), True),
            (("dispatch", "status", "next_attempt_at"), False),
            (("status", "next_attempt_at"), False),
            (("sent_at",), False),
        )


class DispatchCount(BaseModel):
    """How many messages of a dispatch have a status: changed in the same transaction as every
    status change of a message (`core.counts`), so reports cost O(dispatches), not O(messages)."""

    dispatch = pw.ForeignKeyField(Dispatch, on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=16)
    count = pw.BigIntegerField(default=0)
    changed_at = pw.BigIntegerField(default=0, index=True)
    """When the count last changed, in epoch milliseconds by the database's own clock, so a
    reader asks for what changed since its last read whichever machine wrote it."""

    class Meta:
        table_name = "dispatch_count"
        primary_key = pw.CompositeKey("dispatch", "status")


class SendOutcome(StrEnum):
    """What one request to a gateway came to: the gateways say it, an Attempt row keeps it."""

    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    REFUSED = "refused"


class TestSend(BaseModel):
    """One test message of a dispatch's text to a phone chosen by the operator, sent now.

    Outside the audience and the dispatch's end, and counted apart from its messages."""

    __test__ = False
    id = pw.BigAutoField()
    dispatch = pw.ForeignKeyField(Dispatch, on_delete="CASCADE", backref="test_sends")
    phone = pw.CharField(max_length=11)
    text = pw.TextField()
    sender = pw.CharField(max_length=11, default="")
    status = pw.CharField(max_length=16, default=MessageStatus.CREATED)
    created_at = UTCTimestampField(default=utcnow)
    sent_at = UTCTimestampField(null=True)
    error = pw.TextField(default="")
    provider_id = pw.CharField(max_length=64, null=True)

    class Meta:
        table_name = "test_send"


class Attempt(BaseModel):
    """One request to a gateway for a message, kept for the message's history."""

    id = pw.BigAutoField()
    message = pw.ForeignKeyField(Message, backref="attempts_log", on_delete="CASCADE")
    at = UTCTimestampField(default=utcnow)
    outcome = pw.CharField(max_length=16)
    http_status = pw.IntegerField(null=True)
    error = pw.TextField(default="")
    latency_ms = pw.IntegerField(null=True)


class DeliveryReport(BaseModel):
    """One delivery report received for a message, so its history can be shown."""

    id = pw.BigAutoField()
    message = pw.ForeignKeyField(Message, backref="reports", on_delete="CASCADE")
    status = pw.IntegerField()
    substatus = pw.IntegerField(null=True)
    provider_status = pw.IntegerField(null=True)
    channel = pw.CharField(max_length=32, default="")
    parts_total = pw.IntegerField(null=True)
    parts_delivered = pw.IntegerField(null=True)
    clicks = pw.IntegerField(null=True)
    reported_at = UTCTimestampField(null=True)
    received_at = UTCTimestampField(default=utcnow)
    raw = pw.TextField(default="")


class EngineLease(BaseModel):
    """A named lease in the shared database: periodic work runs once however many consumers
    share a queue, a dispatch already being pumped is not woken twice, a day's mail goes out
    once (see `delivery.store.leases`)."""

    name = pw.CharField(max_length=128, primary_key=True)
    holder = pw.IntegerField(null=True)
    until = UTCTimestampField(null=True)
    attempts = pw.IntegerField(default=0)
    """How many times it has been taken: a retried piece of work knows its try."""


class ConsumerHeartbeat(BaseModel):
    """A running consumer, refreshed every second; faces read it to tell whether one is alive."""

    id = pw.AutoField()
    queue = pw.CharField(max_length=512, index=True)
    host = pw.CharField(max_length=255)
    pid = pw.IntegerField()
    kind = pw.CharField(max_length=16)
    started_at = UTCTimestampField(default=utcnow)
    seen_at = UTCTimestampField(default=utcnow)


ALL_MODELS = [Client, StopEntry, Dispatch, DispatchRecipient, Message, DispatchCount, TestSend, Attempt,
              DeliveryReport, EngineLease, ConsumerHeartbeat]


class ApiToken(BaseModel):
    """A credential of the HTTP API; only its SHA-256 is kept, the token itself is shown once."""

    id = pw.AutoField()
    name = pw.CharField(max_length=64, unique=True)
    digest = pw.CharField(max_length=64, unique=True)
    read_only = pw.BooleanField(default=False)
    created_at = UTCTimestampField(default=utcnow)
    last_used_at = UTCTimestampField(null=True)


class AuditEntry(BaseModel):
    """One write through a face: when, who, through which face, what, on which object."""

    id = pw.BigAutoField()
    at = UTCTimestampField(default=utcnow, index=True)
    actor = pw.CharField(max_length=128)
    face = pw.CharField(max_length=16)
    action = pw.CharField(max_length=32)
    object_type = pw.CharField(max_length=32)
    object_id = pw.CharField(max_length=64, default="")
    detail = pw.TextField(default="")


ALL_MODELS += [ApiToken, AuditEntry]


def number_dispatches(db) -> None:
    """Give the dispatches of a database made before numbers existed theirs, in creation order."""
    unnumbered = Dispatch.select(Dispatch.id).where(Dispatch.number.is_null()).order_by(
        Dispatch.created_at, Dispatch.id)
    if unnumbered.exists():
        with db.atomic():
            last = Dispatch.select(pw.fn.MAX(Dispatch.number)).scalar() or 0
            for offset, (dispatch_id,) in enumerate(unnumbered.tuples(), start=1):
                Dispatch.update(number=last + offset).where(Dispatch.id == dispatch_id).execute()
