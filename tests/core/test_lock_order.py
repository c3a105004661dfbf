"""On PostgreSQL every writer takes the message rows of a dispatch in one order (ascending id,
then the counters), so deleting a dispatch while a consumer records results for its messages
waits for the consumer instead of deadlocking with it."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from tui_notifier import counts
from tui_notifier.core import dispatches
from tui_notifier.db import close_database, database, open_database
from tui_notifier.delivery.store import reports as report_store
from tui_notifier.models import ALL_MODELS, Dispatch, Message, MessageStatus

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
MESSAGES = 3000


@pytest.fixture
def pg(postgres_url):
    db = open_database(postgres_url)
    db.execute_sql("TRUNCATE " + ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS) + " RESTART IDENTITY CASCADE")
    yield db
    close_database()


def sent_dispatch() -> tuple:
    d = dispatches.create_dispatch(NOW - dt.timedelta(hours=1), NOW + dt.timedelta(days=1), "Hello", now=NOW)
    counts.prepare(d.id)
    with database.atomic():
        Message.insert_many([dict(dispatch=d.id, phone=f"7999{n:07d}", status=MessageStatus.SENT, next_attempt_at=NOW)
                             for n in range(MESSAGES)]).execute()
    counts.rebuild()
    return d.id, [m for (m,) in Message.select(Message.id).where(Message.dispatch == d.id).tuples()]


def wait_until_writing(pid: int) -> None:
    """Until the backend `pid` has written (or locked) its first row."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        (xid,) = database.execute_sql("SELECT backend_xid FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if xid is not None:
            return
    raise AssertionError("the consumer never started writing")


@pytest.mark.parametrize("round_", range(3))
def test_a_delete_racing_delivery_reports_written_in_the_opposite_order_waits_instead_of_deadlocking(pg, round_):
    dispatch_id, ids = sent_dispatch()
    outcomes = [report_store.ReportOutcome(m, final_status=MessageStatus.DELIVERED) for m in sorted(ids, reverse=True)]
    pid, failures, connected = [], [], threading.Event()

    def consumer():
        pid.append(database.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
        connected.set()
        try:
            report_store.record_reports(outcomes, now=NOW)
        except Exception as exc:  # the deadlock's victim
            failures.append(exc)
        finally:
            database.close()

    thread = threading.Thread(target=consumer)
    thread.start()
    assert connected.wait(30)
    wait_until_writing(pid[0])
    dispatches.delete_dispatch(dispatch_id, retries=0)
    thread.join(30)
    assert failures == []
    assert not Dispatch.select().where(Dispatch.id == dispatch_id).exists()
    assert counts.verify() == []
