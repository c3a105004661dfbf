"""The counters of messages by status per dispatch equal a GROUP BY over the messages after
every status change, whoever makes it: the engine's fan-out, claims, results, delivery
reports, sweeps and releases, and the core's cancel, pause, end change, delete, stop list,
client deletion and resend. A database written before the counters existed gets them counted."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from churn import grouped
from tui_notifier import counts
from tui_notifier.core import clients, dispatches, reports, stoplist
from tui_notifier.core.errors import StateError, ValidationError
from tui_notifier.db import close_database, database, open_database
from tui_notifier.delivery.store import messages as store
from tui_notifier.delivery.store import reports as report_store
from tui_notifier.models import Dispatch, DispatchCount, Message, MessageStatus

START = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def assert_exact(step: str) -> None:
    assert counts.verify() == [], f"after {step}"
    assert counts.read() == grouped(), f"after {step}"


class Operator:
    """Random status changes through the real store and core functions, on a clock of its own."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd
        self.now = START

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=self.rnd.choice((0.5, 1, 3, 20)))
        return self.now

    def dispatch_ids(self) -> list:
        return [d for (d,) in Dispatch.select(Dispatch.id).order_by(Dispatch.number).tuples()]

    def some_dispatch(self):
        ids = self.dispatch_ids()
        return self.rnd.choice(ids) if ids else None

    def messages(self, *statuses, limit: int = 12) -> list[int]:
        query = Message.select(Message.id)
        if statuses:
            query = query.where(Message.status.in_(statuses))
        ids = [m for (m,) in query.tuples()]
        return self.rnd.sample(ids, min(len(ids), self.rnd.randint(1, limit)))

    # ---- the operations

    def create(self):
        dispatches.create_dispatch(self.now - dt.timedelta(seconds=1), self.now + dt.timedelta(minutes=30),
                                   "Hello", now=self.now)

    def fan_out(self):
        for d in store.due_to_start(self.now):
            store.fan_out(d, now=self.now)

    def claim(self):
        for d in store.running_dispatches():
            store.claim(d, self.rnd.randint(1, 8), lease_seconds=10, owner=1, now=self.now)

    def record(self):
        """Results for claimed messages, and now and then for others (a late answer after a
        sweep or a cancel): only the moves each result may make happen."""
        ids = self.messages(MessageStatus.SENDING) + self.messages(limit=3)
        kinds = list(store.Result)
        store.record([store.Fate(m, self.rnd.choice(kinds), self.now, next_attempt_at=self.now, error="e",
                                 http_status=500) for m in ids], now=self.now)

    def delivery_reports(self):
        due = report_store.claim_reports(10, lease_seconds=5, now=self.now + dt.timedelta(days=1))
        report_store.record_reports([
            report_store.ReportOutcome(r.message_id, final_status=self.rnd.choice(
                (MessageStatus.DELIVERED, MessageStatus.FAILED, None)), next_poll_at=self.now) for r in due],
            now=self.now)

    def release(self):
        store.release_stale([] if self.rnd.random() < 0.5 else [1], now=self.now + dt.timedelta(seconds=30))

    def pause_or_resume(self):
        d = self.some_dispatch()
        if d is not None:
            change = dispatches.resume_dispatch if self.rnd.random() < 0.5 else dispatches.pause_dispatch
            change(d, now=self.now)

    def cancel(self):
        d = self.some_dispatch()
        if d is not None:
            dispatches.cancel_dispatch(d, now=self.now)
            store.settle_cancelled(d, now=self.now + dt.timedelta(seconds=30))

    def end(self):
        d = self.some_dispatch()
        if d is not None:
            dispatches.update_dispatch(d, end=self.now + dt.timedelta(seconds=1), now=self.now)
            store.sweep_ended(now=self.now + dt.timedelta(seconds=self.rnd.choice((2, 40))))

    def delete(self):
        d = self.some_dispatch()
        if d is not None and self.rnd.random() < 0.4:
            dispatches.delete_dispatch(d)

    def stop(self):
        phones = [p for (p,) in Message.select(Message.phone).distinct().tuples()]
        if phones:
            stoplist.add_phones(self.rnd.sample(phones, min(len(phones), 2)), "STOP", now=self.now)

    def delete_client(self):
        ids = [c for (c,) in Message.select(Message.client).where(Message.client.is_null(False)).tuples()]
        if ids:
            clients.delete_client(self.rnd.choice(ids))

    def resend(self):
        d = self.some_dispatch()
        if d is not None:
            dispatches.resend_dispatch(d, self.now - dt.timedelta(seconds=1), self.now + dt.timedelta(minutes=30),
                                       statuses=dispatches.RESENDABLE, now=self.now)

    OPERATIONS = ("create", "fan_out", "claim", "claim", "record", "record", "delivery_reports", "release",
                  "pause_or_resume", "cancel", "end", "delete", "stop", "delete_client", "resend")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counters_equal_the_group_by_after_any_interleaving_of_status_changes(db, seed):
    rnd = random.Random(seed)
    for n in range(40):
        clients.add_client(f"790000{n:05d}")
    op = Operator(rnd)
    done = []
    for step in range(120):
        name = "create" if step < 2 else rnd.choice(Operator.OPERATIONS)
        op.tick()
        try:
            getattr(op, name)()
        except (StateError, ValidationError):
            pass
        done.append(name)
        assert_exact(f"step {step} ({name}) of {done}")
    assert Message.select().count() > 0


def test_fan_out_claim_and_results_move_the_counters(db):
    for n in range(5):
        clients.add_client(f"790000{n:05d}")
    d = dispatches.create_dispatch(START, START + dt.timedelta(hours=1), "Hi", now=START - dt.timedelta(minutes=1))
    store.fan_out(d.id, now=START)
    assert reports.dispatch_report(d.id).counts == {"created": 5}
    assert DispatchCount.select().count() == len(MessageStatus.ALL), "a row for every status, to update later"
    claimed = store.claim(d.id, 3, lease_seconds=10, owner=1, now=START).messages
    assert reports.dispatch_report(d.id).counts == {"created": 2, "sending": 3}
    first, second, third = (m.id for m in claimed)
    store.record([store.Fate(first, store.Result.SENT, START), store.Fate(second, store.Result.FAILED, START),
                  store.Fate(third, store.Result.RETRY, START, next_attempt_at=START)], now=START)
    assert reports.dispatch_report(d.id).counts == {"created": 3, "sent": 1, "failed": 1}
    assert reports.count_messages(d.id) == 5 and reports.count_messages(d.id, "created") == 3
    assert reports.totals()[0] == {"created": 3, "sending": 0, "sent": 1, "delivered": 0, "failed": 1,
                                   "timeout": 0, "cancelled": 0}


def test_deleting_a_dispatch_takes_its_counters_with_it(db):
    clients.add_client("79000000001")
    d = dispatches.create_dispatch(START, START + dt.timedelta(hours=1), "Hi", now=START - dt.timedelta(minutes=1))
    store.fan_out(d.id, now=START)
    dispatches.delete_dispatch(d.id)
    assert DispatchCount.select().count() == 0 and counts.totals()["created"] == 0


def test_verify_names_a_counter_that_disagrees_and_a_repair_recounts(db):
    clients.add_client("79000000001")
    d = dispatches.create_dispatch(START, START + dt.timedelta(hours=1), "Hi", now=START - dt.timedelta(minutes=1))
    store.fan_out(d.id, now=START)
    Message.update(status=MessageStatus.FAILED).execute()
    assert counts.verify() == [counts.Mismatch(d.id.hex, "created", 1, 0), counts.Mismatch(d.id.hex, "failed", 0, 1)]
    assert reports.repair_counts() == 2
    assert counts.verify() == [] and reports.dispatch_report(d.id).counts == {"failed": 1}


def test_a_database_from_before_the_counters_gets_them_counted_when_opened(db, database_url):
    clients.add_client("79000000001")
    clients.add_client("79000000002")
    d = dispatches.create_dispatch(START, START + dt.timedelta(hours=1), "Hi", now=START - dt.timedelta(minutes=1))
    store.fan_out(d.id, now=START)
    store.claim(d.id, 1, lease_seconds=10, owner=1, now=START)
    database.execute_sql(f"DROP TABLE {DispatchCount._meta.table_name}")
    close_database()

    open_database(database_url)
    assert reports.dispatch_report(d.id).counts == {"created": 1, "sending": 1}
    assert counts.verify() == [] and DispatchCount.select().count() == len(MessageStatus.ALL)


def test_changed_since_gives_only_the_counts_that_changed(db):
    for n in range(2):
        clients.add_client(f"790000{n:05d}")
    first, second = (dispatches.create_dispatch(START, START + dt.timedelta(hours=1), "Hi",
                                                now=START - dt.timedelta(minutes=1)) for _ in range(2))
    for d in (first, second):
        store.fan_out(d.id, now=START)
    read_at, every = counts.changed_since(None)
    assert set(every) == {first.id.hex, second.id.hex}
    DispatchCount.update(changed_at=read_at - counts.SETTLE_MS).execute()
    store.claim(first.id, 1, lease_seconds=10, owner=1, now=START)
    _, changed = counts.changed_since(read_at)
    assert changed == {first.id.hex: {"created": 1, "sending": 1}}
