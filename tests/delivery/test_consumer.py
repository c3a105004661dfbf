"""Every face wakes the engine through the queue; the dashboard can run the consumer inside
itself; anyone can tell whether a consumer is alive."""
from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import signal
import time

import pytest

from tui_notifier.clock import utcnow
from tui_notifier.config import Config
from harness import add_clients, wait_for
from tui_notifier.core.dispatches import (cancel_dispatch, create_dispatch, pause_dispatch, resume_dispatch,
                                          update_dispatch)
from tui_notifier.db import close_database, open_database
from tui_notifier.delivery.consumer import COLLECTOR_THRESHOLD, EmbeddedConsumer, consumer_state, tune_collector
from tui_notifier.delivery.queue import connect, connected, disconnect, queue_identity
from tui_notifier.models import Message
from tui_notifier.delivery.store import leases


@pytest.fixture
def sqlite_config(tmp_path) -> Config:
    cfg = Config(database=str(tmp_path / "app.db"))
    cfg.queue.path = str(tmp_path / "queue.db")
    cfg.gateway.sandbox.latency_ms = 1
    cfg.gateway.sandbox.dr_delay = 0.3
    cfg.gateway.dr_poll_interval = 0.2
    cfg.consumer.tick_seconds = 1
    open_database(cfg.database_url)
    yield cfg
    disconnect()
    close_database()


def queued(queue) -> list:
    return [(t.name.rsplit(".", 1)[-1], t.args, t.eta) for t in queue.huey.pending()]


def test_connect_gives_one_queue_per_config_queue(sqlite_config, tmp_path):
    first = connect(sqlite_config)
    assert connect(sqlite_config) is first
    other = Config(database=sqlite_config.database)
    other.queue.path = str(tmp_path / "other-queue.db")
    assert connect(other) is not first and connected().identity == queue_identity(other)


def test_a_dispatch_due_now_is_started_at_once(sqlite_config):
    queue = connect(sqlite_config)
    d = create_dispatch(utcnow(), utcnow() + dt.timedelta(hours=1), "now")
    assert queued(queue) == [("start_dispatch", (str(d.id),), None)]


def test_a_future_dispatch_is_started_at_its_start_and_again_when_it_moves(sqlite_config):
    queue = connect(sqlite_config)
    start = (utcnow() + dt.timedelta(minutes=10)).replace(microsecond=0)
    d = create_dispatch(start, start + dt.timedelta(hours=1), "later")
    update_dispatch(d.id, start=start + dt.timedelta(minutes=5))
    etas = [eta for _, _, eta in queued(queue)]
    assert etas == [start.replace(tzinfo=None), (start + dt.timedelta(minutes=5)).replace(tzinfo=None)]


def test_pause_and_cancel_need_no_task_but_resume_wakes_the_engine(sqlite_config):
    queue = connect(sqlite_config)
    d = create_dispatch(utcnow() + dt.timedelta(minutes=1), utcnow() + dt.timedelta(hours=1), "x")
    queue.huey.flush()
    pause_dispatch(d.id)
    assert queued(queue) == []
    resume_dispatch(d.id)
    assert len(queued(queue)) == 1
    queue.huey.flush()
    cancel_dispatch(d.id)
    assert queued(queue) == []


def test_a_queue_that_fails_does_not_undo_the_change(sqlite_config, caplog, monkeypatch):
    queue = connect(sqlite_config)

    def broken(*args, **kwargs):
        raise OSError("queue file is read-only")

    monkeypatch.setattr(queue, "start_dispatch", broken)
    with caplog.at_level(logging.WARNING):
        d = create_dispatch(utcnow(), utcnow() + dt.timedelta(hours=1), "x")
    assert d.id and "could not be woken" in caplog.text


def test_consumer_state_tells_none_external_or_embedded(sqlite_config):
    assert consumer_state(sqlite_config) == "none"
    beat = leases.beat(None, queue_identity(sqlite_config), "external", "elsewhere", 1)
    assert consumer_state(sqlite_config) == "external"
    leases.forget_consumer(beat)
    embedded = EmbeddedConsumer(sqlite_config)
    embedded.start()
    try:
        assert consumer_state(sqlite_config) == "embedded"
    finally:
        embedded.stop()
    assert consumer_state(sqlite_config) == "none"


def test_the_embedded_consumer_sends_in_threads_and_stops_cleanly(sqlite_config):
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    add_clients(40)
    embedded = EmbeddedConsumer(sqlite_config)
    embedded.start()
    try:
        connect(sqlite_config)
        d = create_dispatch(utcnow(), utcnow() + dt.timedelta(hours=1), "from the dashboard")
        wait_for(lambda: Message.select().where((Message.dispatch == d.id)
                                                & (Message.status == "delivered")).count() == 40,
                 timeout=15, what="every message delivered by the sandbox")
    finally:
        started = time.monotonic()
        embedded.stop()
        assert time.monotonic() - started < 5
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert leases.consumers() == []


def test_a_redis_queue_works_the_same(sqlite_config, redis_server):
    sqlite_config.queue.backend = "redis"
    sqlite_config.queue.url = redis_server.url
    sqlite_config.queue.name = f"test-{os.getpid()}-{time.monotonic_ns()}"
    add_clients(10)
    embedded = EmbeddedConsumer(sqlite_config)
    embedded.start()
    try:
        assert connected().identity.startswith("redis:")
        d = create_dispatch(utcnow(), utcnow() + dt.timedelta(hours=1), "via redis")
        wait_for(lambda: Message.select().where((Message.dispatch == d.id)
                                                & (Message.status.in_(("sent", "delivered")))).count() == 10,
                 timeout=15, what="every message sent")
    finally:
        embedded.stop()


def test_a_standalone_consumer_freezes_what_it_built_and_collects_cycles_rarely():
    threshold = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == COLLECTOR_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
