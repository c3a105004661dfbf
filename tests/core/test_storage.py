"""Storage: SQLite shared safely by several processes, tables made on first use, instants in UTC."""
import datetime as dt
import random
import sqlite3

import peewee as pw
import pytest
import pytz

from tui_notifier.core.clients import add_client
from tui_notifier.db import close_database, database, open_database
from tui_notifier.models import ALL_MODELS, Client, Dispatch, to_millis

pytestmark = pytest.mark.sqlite_only

UTC = dt.timezone.utc


def pragma(name: str):
    return database.execute_sql(f"PRAGMA {name}").fetchone()[0]


def test_the_database_runs_in_wal_so_readers_do_not_block_the_writer(db):
    assert pragma("journal_mode") == "wal"


def test_a_busy_database_is_waited_for_rather_than_failing_at_once(db):
    assert pragma("busy_timeout") >= 5000


def test_foreign_keys_are_enforced(db):
    assert pragma("foreign_keys") == 1


def test_a_write_transaction_takes_the_write_lock_when_it_begins(db, db_path):
    """BEGIN IMMEDIATE: a read-then-write transaction never fails halfway with "database is locked"."""
    other = sqlite3.connect(db_path, timeout=0)
    try:
        with database.atomic():
            Client.select().count()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    finally:
        other.close()


def test_tables_are_made_on_first_use_of_a_new_file(tmp_path):
    path = tmp_path / "nested" / "dir" / "fresh.db"
    open_database(str(path))
    try:
        with sqlite3.connect(path) as raw:
            tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {model._meta.table_name for model in ALL_MODELS} <= tables
    finally:
        close_database()


def test_opening_an_existing_database_again_keeps_its_data(db_path, db):
    add_client("79001234567")
    close_database()
    open_database(f"sqlite:///{db_path}")
    assert [c.phone for c in Client.select()] == ["79001234567"]


def test_instants_are_stored_as_utc_epoch_milliseconds(db, db_path, new_dispatch):
    dispatch = new_dispatch(start="2030-01-02T09:00:00.123+03:00", end="2030-01-02T19:00", timezone="Asia/Tokyo",
                            now=dt.datetime(2029, 12, 31, tzinfo=UTC))
    with sqlite3.connect(db_path) as raw:
        start, end, created = raw.execute(
            "SELECT start_at, end_at, created_at FROM dispatch WHERE id = ?", (dispatch.id.hex,)).fetchone()
    assert start == round(dt.datetime(2030, 1, 2, 6, 0, 0, 123000, tzinfo=UTC).timestamp() * 1000)
    assert end == round(dt.datetime(2030, 1, 2, 10, 0, tzinfo=UTC).timestamp() * 1000)
    assert created == round(dt.datetime(2029, 12, 31, tzinfo=UTC).timestamp() * 1000)
    assert to_millis(dt.datetime(2030, 1, 2, 6, 0, 0, 123000, tzinfo=UTC)) == start


def test_an_instant_is_stored_exactly_as_peewee_would_store_it_whatever_its_offset():
    """The engine's quicker conversion must agree with peewee's to the millisecond, half
    milliseconds and far offsets included: rows written both ways are compared in SQL."""
    reference = pw.TimestampField(resolution=1000, utc=True)
    zones = [UTC, pytz.timezone("America/New_York"), pytz.timezone("Australia/Lord_Howe"),
             dt.timezone(dt.timedelta(hours=5, minutes=45)), None]
    draw = random.Random(7)
    for n in range(20_000):
        moment = dt.datetime(1970, 1, 2) + dt.timedelta(microseconds=draw.randrange(10**17))
        if n % 5 == 0:
            moment = moment.replace(microsecond=draw.choice([0, 499, 500, 501, 1500, 999_500]))
        zone = draw.choice(zones)
        if zone is not None:
            moment = zone.localize(moment) if hasattr(zone, "localize") else moment.replace(tzinfo=zone)
        assert to_millis(moment) == reference.db_value(moment), moment


def test_instants_read_back_as_aware_utc(db, new_dispatch):
    row = Dispatch.get_by_id(new_dispatch(start="2030-01-02T09:00:00+05:00").id)
    assert row.start_at == dt.datetime(2030, 1, 2, 4, tzinfo=UTC)
    assert row.start_at.tzinfo is not None and row.start_at.utcoffset() == dt.timedelta(0)


def test_instants_given_with_different_offsets_sort_and_compare_by_the_real_moment(db, new_dispatch):
    """The trap of text datetimes: 10:00-05:00 is later than 12:00Z, though it sorts before it as text."""
    later = new_dispatch(start="2030-01-02T10:00:00-05:00", end="2030-02-01T00:00Z")
    earlier = new_dispatch(start="2030-01-02T12:00:00Z", end="2030-02-01T00:00Z")
    ordered = [d.id for d in Dispatch.select().order_by(Dispatch.start_at)]
    assert ordered == [earlier.id, later.id]
    boundary = dt.datetime(2030, 1, 2, 13, tzinfo=UTC)
    assert [d.id for d in Dispatch.select().where(Dispatch.start_at > boundary)] == [later.id]
