"""A running consumer: the engine, Huey's workers on its queue, a heartbeat, and the tick.

Standalone (`tui-notifier consumer`, in the foreground: SIGTERM and SIGINT both mean "finish
what is in flight and exit") or embedded in the dashboard (threads only, no signal handler
touched, a stop that waits at most `gateway.timeout + 5` seconds). The periodic sweep runs
on a thread of its own every `consumer.tick_seconds` (a lease makes it run once per period
however many consumers share the queue); Huey's own periodic scheduler is not used.
Delivery reports are polled on another thread of their own, as soon as they are due, with
request slots of their own: never queued behind the send tasks nor their requests.

What the faces use of the engine: `connect` (from `delivery.queue`) to wake it,
`EmbeddedConsumer` to run it in-process, `consumer_state` to tell whether one is alive.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import threading

from huey.consumer import Consumer as HueyConsumer
from huey.consumer import Worker as HueyWorker

from tui_notifier.db import database, describe, open_database
from tui_notifier.delivery.engine import (CONSUMER_STALE_SECONDS, HEARTBEAT_SECONDS, HOST, REPORT_IDLE_SECONDS,
                                          Engine)
from tui_notifier.delivery.queue import Queue, connect, queue_identity
from tui_notifier.delivery.store import leases

log = logging.getLogger("tui_notifier.consumer")

def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


class _Worker(HueyWorker):
    """Huey's worker, saying once that the queue is away (rather than a traceback every tenth
    of a second) and trying it again every second until it is back."""

    outage = 0

    def loop(self, now=None):
        try:
            task = self.huey.dequeue()
        except Exception as exc:
            self.outage += 1
            if self.outage == 1:
                log.warning("queue unreachable, trying again every second: %s", _one_line(exc))
            self.stop_flag.wait(1.0)
            return
        if self.outage:
            log.warning("queue reachable again after %d failed tries", self.outage)
            self.outage = 0
        if task is not None:
            self.delay = self.default_delay
            try:
                self.huey.execute(task, now)
            except Exception:
                self._logger.exception("Unhandled error during execution of task %s.", task.id)
        elif not self.huey.storage.blocking:
            self.sleep()


class _Workers(HueyConsumer):
    """Huey's workers; stopping them first stops new requests, and signals are optional.

    An idle worker looks for a task at least every 0.1 s: a full batch asks for the next one
    before it sends, and a longer wait would leave the loop idle between batches."""

    worker_class = _Worker

    def __init__(self, huey, engine: Engine, handle_signals: bool, **kwargs):
        self.engine = engine
        self.handle_signals = handle_signals
        super().__init__(huey, **kwargs)
        self._signal_actions = {signal.SIGTERM: (False, True), signal.SIGINT: (False, True)}

    def _set_signal_handlers(self):
        if self.handle_signals:
            super()._set_signal_handlers()

    def stop(self, graceful=False):
        # no request starts once stopping; those in flight finish and are recorded
        if not self.engine.stopping.is_set():
            log.info("stopping: no new requests; waiting for those in flight")
        self.engine.stop_requests()
        super().stop(graceful=graceful)


class _Loop:
    """Calls `work` every `seconds` on a thread of its own until stopped.

    A failure (the database or the queue away) is logged once and retried every period until
    it works again, which is logged too: the loop never dies quietly."""

    def __init__(self, name: str, seconds: float, work):
        self.name, self.seconds, self.work = name, seconds, work
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.once()
                self._stop.wait(self.seconds)
        finally:
            try:
                database.close()
            except Exception:  # a connection that is already gone needs no closing
                pass

    def once(self) -> bool:
        try:
            self.work()
        except Exception as exc:  # a database or queue away must not end the loop
            self.failures += 1
            if self.failures == 1:
                log.warning("%s failed, retrying every %gs: %s", self.name, self.seconds, _one_line(exc))
            return False
        if self.failures:
            log.warning("%s works again after %d failed tries", self.name, self.failures)
            self.failures = 0
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1)


class Heartbeat:
    """Tells every face and consumer that this one is alive, once a second."""

    def __init__(self, queue: str, kind: str):
        self.queue, self.kind = queue, kind
        self.id: int | None = None
        self._loop = _Loop("heartbeat", HEARTBEAT_SECONDS, self._beat)

    def _beat(self) -> None:
        self.id = leases.beat(self.id, self.queue, self.kind, HOST, os.getpid())

    def start(self) -> int:
        self._beat()
        self._loop.start()
        return self.id

    def stop(self) -> None:
        self._loop.stop()
        if self.id is not None:
            try:
                leases.forget_consumer(self.id)
            except Exception as exc:
                log.warning("heartbeat not removed: %s", exc)


class Consumer:
    """The engine of one process at work: built on `start()` (threads) or `run()` (foreground)."""

    def __init__(self, config, kind: str = "external", workers: int | None = None,
                 handle_signals: bool = True, metrics=None):
        self.config = config
        self.kind = kind
        self.workers = workers or config.consumer.workers
        self.handle_signals = handle_signals
        self.metrics = metrics
        self.identity = queue_identity(config)
        self.heartbeat = Heartbeat(self.identity, kind)
        self.engine: Engine | None = None
        self.queue: Queue | None = None
        self.huey_workers: _Workers | None = None
        self.ticker: _Loop | None = None
        self.poller: _Loop | None = None
        self._stopped = False

    def _build(self) -> None:
        owner = self.heartbeat.start()
        self.engine = Engine(self.config, owner=owner)
        self.engine.metrics = self.metrics
        self.queue = Queue(self.config, self.engine)
        self.huey_workers = _Workers(
            self.queue.huey, self.engine, self.handle_signals,
            workers=self.workers, periodic=False, worker_type="thread",
            initial_delay=0.02, backoff=1.15, max_delay=0.1, scheduler_interval=1,
            shutdown_timeout=self.config.gateway.timeout + 1, check_worker_health=True,
        )
        if self.config.consumer.periodic:
            self.ticker = _Loop("tick", max(self.config.consumer.tick_seconds, 0.5), self.queue.tick)
        if self.engine.gateway.has_reports:
            self.poller = _Loop("reports", REPORT_IDLE_SECONDS, self._poll_reports)
        s = self.config.sending
        log.info("consumer %s (%s) on queue %s, database %s; gateway %s; %d workers, "
                 "concurrency %d, batch %d, rate limit %s", owner, self.kind, self.identity,
                 describe(self.config.database_url), self.engine.gateway.describe(), self.workers,
                 s.concurrency, s.batch_size, f"{s.rate_limit:g}/s" if s.rate_limit else "none")

    def _poll_reports(self) -> None:
        """Every delivery report due now, a batch after another, then a rest."""
        while self.engine.poll_reports() >= self.config.sending.batch_size:
            pass

    def _loops(self) -> list[_Loop]:
        return [loop for loop in (self.ticker, self.poller) if loop is not None]

    def start(self) -> None:
        """Start in threads and return (the embedded consumer)."""
        self._build()
        self.huey_workers.start()
        for loop in self._loops():
            loop.start()

    def run(self) -> None:
        """Run in the foreground until SIGTERM or SIGINT, then stop gracefully."""
        self._build()
        tune_collector()
        for loop in self._loops():
            loop.start()
        try:
            self.huey_workers.run()
        finally:
            self._finish()

    def stop(self) -> None:
        if self.huey_workers is not None and not self._stopped:
            self.huey_workers.stop(graceful=True)
        self._finish()

    def _finish(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.engine is not None:
            self.engine.stop_requests()
        for loop in self._loops():
            loop.stop()
        if self.engine is not None:
            self.engine.close()
        self.heartbeat.stop()
        if self.metrics is not None:
            self.metrics.close()
        log.info("consumer %s stopped", self.heartbeat.id)


COLLECTOR_THRESHOLD = (20_000, 10, 10)


def tune_collector() -> None:
    """Make Python's cycle collector cheap for a process that only sends.

    Each message allocates a few hundred short-lived containers (aiohttp's request and
    response, futures, rows); at the default threshold of 700 the collector ran about 900
    times per 10,000 messages and took about a seventh of a consumer's CPU, most of it
    walking the long-lived objects of its modules again and again. Those are frozen once the
    consumer is built (never collected, never walked), and the young generation is collected
    every 20,000 allocations instead of 700: a few dozen times per 10,000 messages."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLD)


class EmbeddedConsumer:
    """The consumer inside the dashboard process; dispatch changes made here wake it."""

    def __init__(self, config, workers: int | None = None):
        self.config = config
        self.workers = workers
        self.consumer: Consumer | None = None

    def start(self) -> None:
        if self.consumer is not None:
            return
        if database.obj is None:
            open_database(self.config.database_url)
        connect(self.config)
        self.consumer = Consumer(self.config, kind="embedded", workers=self.workers, handle_signals=False)
        self.consumer.start()

    def stop(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            consumer.stop()

    @property
    def running(self) -> bool:
        return self.consumer is not None


def consumer_state(config) -> str:
    """`embedded` when this process runs a consumer on the config's queue, `external` when
    another process on it has beaten its heart in the last few seconds, else `none`."""
    alive = leases.consumers(queue=queue_identity(config), fresh_seconds=CONSUMER_STALE_SECONDS)
    if any(c.host == HOST and c.pid == os.getpid() and c.kind == "embedded" for c in alive):
        return "embedded"
    return "external" if alive else "none"
