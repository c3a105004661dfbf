"""The engine in this process (no queue): batches against the emulator over HTTP."""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time

import pytest

from tui_notifier.clock import utcnow
from tui_notifier.core.dispatches import cancel_dispatch, create_dispatch, pause_dispatch
from tui_notifier.delivery.engine import HOST, Engine
from tui_notifier.delivery.recorder import LINGER_MOST, LINGER_SHARE
from harness import add_clients, wait_for
from tui_notifier.models import Attempt, DeliveryReport, Dispatch, Message
from tui_notifier.delivery.store import leases, messages, reports

UTC = dt.timezone.utc
STORED_ROUNDING = dt.timedelta(milliseconds=0.5)
"""Instants are stored to the nearest millisecond."""


@pytest.fixture
def make_engine(db, engine_config):
    engines = []

    def make(clock=utcnow, owner=None):
        if owner is None:
            owner = leases.beat(None, "test", "external", HOST, os.getpid())
        engine = Engine(engine_config, owner=owner, clock=clock)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def start_now(hours: float = 1, **kwargs) -> Dispatch:
    now = utcnow()
    return create_dispatch(now, now + dt.timedelta(hours=hours), "Hello from the engine", **kwargs)


def counts(dispatch_id) -> dict:
    out: dict = {}
    for (status,) in Message.select(Message.status).where(Message.dispatch == dispatch_id).tuples():
        out[status] = out.get(status, 0) + 1
    return out


def drain(engine, dispatch_id) -> int:
    total = 0
    while n := engine.send_batch(dispatch_id):
        total += n
    return total


def test_a_dispatch_is_sent_once_per_client_and_finishes(make_engine, emulator):
    add_clients(30)
    d = start_now()
    engine = make_engine()

    assert engine.start_dispatch(d.id)
    assert engine.send_batch(d.id) == 30

    assert counts(d.id) == {"sent": 30}
    assert Dispatch.get_by_id(d.id).status == "finished"
    stats = emulator.stats.snapshot(True)
    assert stats["accepted"] == 30 and stats["repeats"] == {}
    assert set(stats["ids"]) == {str(m.id) for m in Message.select()}
    assert Attempt.select().where(Attempt.outcome == "sent").count() == 30


def test_a_full_batch_asks_for_the_next_one_before_sending(make_engine, engine_config):
    add_clients(120)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    asked = []
    sizes = [engine.send_batch(d.id, on_more=lambda: asked.append(counts(d.id).get("sent", 0)))
             for _ in range(3)]
    assert sizes == [50, 50, 20] and asked == [0, 50]


def test_transient_failures_come_back_later_and_then_go_out(make_engine, emulator, engine_config):
    add_clients(10)
    d = start_now()
    now = [utcnow()]
    engine = make_engine(clock=lambda: now[0])
    engine.start_dispatch(d.id)
    emulator.faults.fail_rate = 1.0
    before = now[0]

    engine.send_batch(d.id)

    messages = list(Message.select())
    assert {m.status for m in messages} == {"created"} and {m.attempts for m in messages} == {1}
    assert all(m.last_error.startswith("HTTP 50") for m in messages)
    shortest = dt.timedelta(seconds=0.2 * 0.8) - STORED_ROUNDING
    assert all(m.next_attempt_at >= before + shortest for m in messages)
    assert engine.send_batch(d.id) == 0  # not due yet
    emulator.faults.fail_rate = 0.0
    now[0] += dt.timedelta(seconds=1)
    assert drain(engine, d.id) == 10
    assert counts(d.id) == {"sent": 10}
    assert [a.outcome for a in Attempt.select().where(Attempt.message == messages[0].id)] == [
        "transient", "sent"]


def test_malformed_answers_and_hangs_are_retried(make_engine, emulator, engine_config):
    engine_config.gateway.timeout = 0.3
    add_clients(20)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    emulator.faults.malformed_rate = 0.3
    emulator.faults.hang_rate = 0.1
    emulator.faults.hang_seconds = 2
    deadline = time.monotonic() + 20
    while counts(d.id) != {"sent": 20} and time.monotonic() < deadline:
        drain(engine, d.id)
        time.sleep(0.1)
    assert counts(d.id) == {"sent": 20}
    outcomes = {a.outcome for a in Attempt.select()}
    assert outcomes == {"sent", "transient"}
    assert set(emulator.stats.snapshot(True)["ids"]) == {str(m.id) for m in Message.select()}


def test_a_permanent_error_fails_the_message_with_the_reason(make_engine, emulator, engine_config):
    engine_config.gateway.url = emulator.url + "/wrong/prefix"
    add_clients(3)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    engine.send_batch(d.id)
    assert counts(d.id) == {"failed": 3}
    assert all("HTTP 404" in m.last_error for m in Message.select())
    assert Dispatch.get_by_id(d.id).status == "finished"


def test_refused_credentials_pause_the_dispatch_without_a_storm(make_engine, emulator, engine_config):
    engine_config.gateway.token = "not-the-token"
    add_clients(50)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)

    engine.send_batch(d.id)

    d = Dispatch.get_by_id(d.id)
    assert d.status == "paused" and "401" in d.status_reason and "credentials" in d.status_reason
    assert emulator.stats.snapshot(False)["requests"] <= 2 * engine_config.sending.concurrency
    assert counts(d.id) == {"created": 50}
    assert engine.send_batch(d.id) == 0


def test_a_claim_taken_back_mid_batch_is_not_sent_by_the_consumer_that_lost_it(make_engine, emulator, engine_config):
    """A consumer whose heartbeat was late loses its claims to another; the messages it has not
    requested yet are left to the new owner, so they are sent once, not twice."""
    engine_config.sending.rate_limit = 20
    add_clients(40)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    taken = []

    def take_back_once_sending():
        wait_for(lambda: emulator.stats.snapshot(False)["accepted"] >= 5, timeout=30, what="sending")
        messages.release_stale(live_owners=[])
        other = leases.beat(None, "other", "external", HOST, os.getpid())
        taken.extend(m.id for m in messages.claim(d.id, 100, 30, other).messages)
        taken.append(emulator.stats.snapshot(False)["requests"])

    thread = threading.Thread(target=take_back_once_sending)
    thread.start()
    engine.send_batch(d.id)
    thread.join()

    requests_then = taken.pop()
    requested = set(emulator.stats.snapshot(True)["ids"])
    assert len(taken) >= 20
    assert emulator.stats.snapshot(False)["requests"] <= requests_then + 3
    assert len(requested & {str(i) for i in taken}) <= 3
    assert counts(d.id).get("sending", 0) >= len(taken) - 3


def test_no_request_starts_after_the_end(make_engine, emulator, engine_config):
    """A request starts when the engine lets it go, recorded as its attempt's time; the gateway
    got no request but those. When the gateway received it also counts the way there."""
    engine_config.sending.rate_limit = 25
    add_clients(50)
    now = utcnow()
    d = create_dispatch(now, now + dt.timedelta(seconds=1), "short")
    engine = make_engine()
    engine.start_dispatch(d.id)

    engine.send_batch(d.id)

    end = Dispatch.get_by_id(d.id).end_at
    assert max(a.at for a in Attempt.select()) < end
    got = emulator.stats.snapshot(True)
    assert set(got["ids"]) == {str(a.message_id) for a in Attempt.select()} and got["repeats"] == {}
    got = counts(d.id)
    assert got["timeout"] > 10 and got["sent"] > 10 and got["sent"] + got["timeout"] == 50
    assert all(m.last_error == messages.ENDED_ERROR for m in Message.select().where(Message.status == "timeout"))


@pytest.mark.parametrize("stop, left", [(pause_dispatch, "created"), (cancel_dispatch, "cancelled")])
def test_pause_and_cancel_stop_a_batch_within_half_a_second(make_engine, emulator, engine_config, stop, left):
    engine_config.sending.rate_limit = 20
    add_clients(40)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    stopped_at = []

    def stop_once_sending():
        wait_for(lambda: emulator.stats.snapshot(False)["accepted"] >= 5, timeout=30, what="sending")
        stop(d.id)
        stopped_at.append(utcnow())

    thread = threading.Thread(target=stop_once_sending)
    thread.start()
    engine.send_batch(d.id)
    thread.join()

    assert max(a.at for a in Attempt.select()) < stopped_at[0] + dt.timedelta(seconds=0.6)
    got = counts(d.id)
    assert got.get("sending", 0) == 0 and got[left] >= 10
    assert engine.send_batch(d.id) == 0


def test_send_windows_follow_each_clients_clock(make_engine, emulator):
    t0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 09:00 Moscow, 15:00 Tokyo, 01:00 New York
    now = [t0]
    add_clients(6, timezones=("Europe/Moscow", "Asia/Tokyo", "America/New_York"))
    d = create_dispatch(t0, t0 + dt.timedelta(hours=20), "in hours", window="09:00-18:00",
                        now=t0 - dt.timedelta(minutes=1))
    engine = make_engine(clock=lambda: now[0])

    engine.start_dispatch(d.id)
    drain(engine, d.id)
    sent = {m.timezone for m in Message.select().where(Message.status == "sent")}
    assert sent == {"Europe/Moscow", "Asia/Tokyo"}

    now[0] = t0 + dt.timedelta(hours=8)  # 09:00 in New York
    report = engine.tick()
    assert report.ran and report.wake == [d.id]
    drain(engine, d.id)
    assert counts(d.id) == {"sent": 6}
    assert emulator.stats.snapshot(False)["accepted"] == 6


def test_the_tick_runs_once_however_many_consumers_share_it(make_engine):
    engines = [make_engine(), make_engine()]
    reports = []
    threads = [threading.Thread(target=lambda e=e: reports.append(e.tick())) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ran for r in reports) == [False, True]


def test_the_tick_frees_a_dead_consumers_batch_and_wakes_its_dispatch(make_engine):
    add_clients(10)
    d = start_now()
    dead = leases.beat(None, "test", "external", HOST, 2**22 + 12345)  # no such process
    messages.fan_out(d.id)
    messages.claim(d.id, 10, lease_seconds=300, owner=dead)
    engine = make_engine()

    report = engine.tick()

    assert counts(d.id) == {"created": 10}
    assert report.wake == [d.id]
    assert engine.send_batch(d.id) == 10


def test_the_tick_leaves_a_dispatch_someone_is_pumping(make_engine):
    add_clients(10)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    leases.hold(messages.pump_lease(d.id), engine.owner, 30)
    assert engine.tick().wake == []


def test_the_tick_starts_due_dispatches_and_times_out_ended_ones(make_engine):
    add_clients(4)
    t0 = utcnow()
    now = [t0]
    d = create_dispatch(t0 + dt.timedelta(seconds=10), t0 + dt.timedelta(minutes=5), "later")
    engine = make_engine(clock=lambda: now[0])
    assert engine.tick().wake == []
    now[0] = t0 + dt.timedelta(seconds=11)
    assert engine.tick().wake == [d.id]
    assert Dispatch.get_by_id(d.id).status == "running"
    now[0] = t0 + dt.timedelta(minutes=6)
    engine.tick()
    assert counts(d.id) == {"timeout": 4} and Dispatch.get_by_id(d.id).status == "finished"


def test_delivery_reports_are_polled_to_a_final_status_with_history(make_engine, emulator, engine_config):
    emulator.faults.login, emulator.faults.password, emulator.faults.dr_delay = "acme", "pw-123", 10.0
    emulator.faults.undelivered_rate = 0.5
    provider_now = [emulator.clock()]
    emulator.clock = lambda: provider_now[0]
    gw = engine_config.gateway
    gw.kind, gw.dr_url, gw.client_id, gw.login, gw.password = "hyber", emulator.url, "acme", "acme", "pw-123"
    gw.dr_poll_interval = 0.1
    add_clients(12)
    d = start_now()
    now = [utcnow()]
    engine = make_engine(clock=lambda: now[0])
    engine.start_dispatch(d.id)
    engine.send_batch(d.id)
    assert counts(d.id) == {"sent": 12} and all(m.provider_id for m in Message.select())

    # no final status yet, in delivery, final; each poll once the engine's back-off allows it
    for provider_step, engine_step in ((0, 1), (6, 2), (5, 7)):
        provider_now[0] += provider_step
        now[0] += dt.timedelta(seconds=engine_step)
        assert engine.poll_reports() == 12

    got = counts(d.id)
    assert got.get("delivered", 0) + got.get("failed", 0) == 12 and got.get("failed", 0) > 0
    for message in Message.select():
        history = [r.status for r in DeliveryReport.select().where(DeliveryReport.message == message.id)
                   .order_by(DeliveryReport.id)]
        assert history == [-1, 1, 2 if message.status == "delivered" else 5]
    now[0] += dt.timedelta(hours=1)
    assert engine.poll_reports() == 0


def test_every_line_about_a_message_carries_its_ids_and_info_sums_up_each_write(make_engine, emulator,
                                                                              engine_config, caplog):
    emulator.faults.fail_rate = 0.5
    add_clients(10)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    with caplog.at_level(logging.DEBUG, logger="tui_notifier"):
        engine.send_batch(d.id)
    lines = [r.getMessage() for r in caplog.records if "message=" in r.getMessage()]
    assert len(lines) == 10 and {r.levelno for r in caplog.records if "message=" in r.getMessage()} == {logging.DEBUG}
    for message in Message.select():
        mine = [line for line in lines if f" message={message.id} " in line]
        assert mine and all(line.startswith(f"dispatch={d.id} message={message.id} client={message.client_id} ")
                            for line in mine)
    summaries = [r.getMessage() for r in caplog.records
                 if r.levelno == logging.INFO and r.getMessage().startswith(f"dispatch={d.id} results: ")]
    told = [int(n) for line in summaries for n in re.findall(r"\b(?:sent|retry)=(\d+)", line)]
    assert sum(told) == 10 and len(summaries) <= 10
    assert engine_config.gateway.token not in caplog.text


def test_results_wait_a_twentieth_of_a_requests_time_for_company_and_share_their_write(make_engine, emulator,
                                                                                       engine_config):
    emulator.faults.latency_ms = 100
    engine_config.sending.rate_limit = 400  # answers come about 2.5 ms apart
    add_clients(16)
    d = start_now()
    engine = make_engine()
    engine.start_dispatch(d.id)
    engine.send_batch(d.id)  # 8 lanes: two rounds of requests of about 100 ms each
    assert 0.100 * LINGER_SHARE <= engine.recorder.linger <= min(LINGER_MOST, 0.3 * LINGER_SHARE)
    assert counts(d.id) == {"sent": 16}

    writes = []
    real_write = engine.recorder._write
    engine.recorder._write = lambda entries, written: (writes.append(len(entries)), real_write(entries, written))
    again = start_now()
    engine.start_dispatch(again.id)
    engine.send_batch(again.id)
    assert counts(again.id) == {"sent": 16} and sum(writes) == 16
    assert len(writes) <= 8, writes  # without waiting, requests answered apart were written one by one
