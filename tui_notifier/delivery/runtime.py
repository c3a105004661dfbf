"""A running consumer: Huey's workers and scheduler, the engine, and a heartbeat.

Used in the foreground by `tui-notifier consumer` and in threads by the dashboard's
embedded consumer. Huey's own scheduler checks periodic tasks once a minute; ours does it
every `consumer.tick_seconds`. Its signal handling is replaced: in the foreground SIGTERM and
SIGINT both mean "finish what is in flight and exit"; embedded, no handler is touched.
"""
from __future__ import annotations

import logging
import os
import signal
import threading

from huey.consumer import Consumer, Scheduler

from tui_notifier.db import describe
from tui_notifier.delivery.engine import HEARTBEAT_SECONDS, HOST, Engine
from tui_notifier.delivery.store import leases

log = logging.getLogger("tui_notifier.consumer")


class _TickingScheduler(Scheduler):
    periodic_task_seconds = 2.0


class NotifierConsumer(Consumer):
    def __init__(self, huey, engine: Engine, tick_seconds: float, handle_signals: bool, **kwargs):
        self.engine = engine
        self.tick_seconds = max(float(tick_seconds), 0.5)
        self.handle_signals = handle_signals
        super().__init__(huey, **kwargs)
        self._signal_actions = {signal.SIGTERM: (False, True), signal.SIGINT: (False, True)}

    def _create_scheduler(self):
        scheduler = _TickingScheduler(huey=self.huey, stop_flag=self.stop_flag,
                                      interval=self.scheduler_interval, periodic=self.periodic)
        scheduler.periodic_task_seconds = self.tick_seconds
        return scheduler

    def _set_signal_handlers(self):
        if self.handle_signals:
            super()._set_signal_handlers()

    def stop(self, graceful=False):
        # no request starts once stopping; those in flight finish and are recorded
        if not self.engine.stopping.is_set():
            log.info("stopping: no new requests; waiting for those in flight")
        self.engine.stopping.set()
        super().stop(graceful=graceful)


class Heartbeat:
    """Tells every face and consumer that this one is alive, once a second."""

    def __init__(self, queue: str, kind: str):
        self.queue, self.kind = queue, kind
        self.id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        self.id = leases.beat(None, self.queue, self.kind, HOST, os.getpid())
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self.id

    def _run(self) -> None:
        from tui_notifier.db import database

        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    self.id = leases.beat(self.id, self.queue, self.kind, HOST, os.getpid())
                except Exception as exc:  # a busy database must not kill the heartbeat
                    log.warning("heartbeat not written: %s", exc)
        finally:
            database.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self.id is not None:
            try:
                leases.forget_consumer(self.id)
            except Exception as exc:
                log.warning("heartbeat not removed: %s", exc)


class ConsumerRuntime:
    def __init__(self, config, kind: str = "external", workers: int | None = None,
                 handle_signals: bool = True, metrics=None):
        from tui_notifier.delivery.service import connect

        self.config = config
        self.kind = kind
        self.workers = workers or config.consumer.workers
        self.handle_signals = handle_signals
        self.metrics = metrics
        self.service = connect(config)
        self.heartbeat = Heartbeat(self.service.identity, kind)
        self.engine: Engine | None = None
        self.consumer: NotifierConsumer | None = None
        self._stopped = False

    def _build(self) -> None:
        owner = self.heartbeat.start()
        self.engine = Engine(self.config, owner=owner)
        self.engine.metrics = self.metrics
        self.service.tasks.engine = self.engine
        self.consumer = NotifierConsumer(
            self.service.huey, self.engine, self.config.consumer.tick_seconds, self.handle_signals,
            workers=self.workers, periodic=self.config.consumer.periodic, worker_type="thread",
            initial_delay=0.1, backoff=1.15, max_delay=0.5, scheduler_interval=1,
            shutdown_timeout=self.config.gateway.timeout + 5, check_worker_health=True,
        )
        s = self.config.sending
        log.info("consumer %s (%s) on queue %s, database %s; gateway %s; %d workers, "
                 "concurrency %d, batch %d, rate limit %s", owner, self.kind, self.service.identity,
                 describe(self.config.database_url), self.engine.gateway.describe(), self.workers,
                 s.concurrency, s.batch_size, f"{s.rate_limit:g}/s" if s.rate_limit else "none")

    def start(self) -> None:
        """Start in threads and return (the embedded consumer)."""
        self._build()
        self.consumer.start()

    def run(self) -> None:
        """Run in the foreground until SIGTERM or SIGINT, then stop gracefully."""
        self._build()
        try:
            self.consumer.run()
        finally:
            self._finish()

    def stop(self) -> None:
        if self.consumer is not None and not self._stopped:
            self.consumer.stop(graceful=True)
        self._finish()

    def _finish(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.engine is not None:
            self.engine.close()
        if self.service.tasks.engine is self.engine:
            self.service.tasks.engine = None
        self.heartbeat.stop()
        if self.metrics is not None:
            self.metrics.close()
        log.info("consumer %s stopped", self.heartbeat.id)
