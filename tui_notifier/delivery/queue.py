"""The Huey queue a config names, and its tasks: the one place that says what a task does.

Faces make a `Queue` without an engine: `connect(config)` subscribes it to every dispatch
change committed through core.dispatches, so a dispatch due now is started at once and one
in the future gets a task at its start (a moved start gets a new one; the old one finds
nothing to do). Pause and cancel need no task: a batch re-reads its dispatch every half
second. A consumer makes a `Queue` with its engine, and its tasks run that engine. Tasks
carry dispatch ids only; the database is the truth.

The queue file is never the application database: SqliteHuey makes tables named `task`,
`kv`, `schedule` and `counter`, and its own write traffic should not contend with ours.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from huey import RedisHuey, SqliteHuey
from huey.exceptions import ConfigurationError

from tui_notifier.clock import utcnow, wall_clock
from tui_notifier.core import dispatches, testsend
from tui_notifier.db import database
from tui_notifier.models import DispatchStatus

log = logging.getLogger("tui_notifier.queue")

WAKE_ROLE = "engine-queue"
_WAKING_CHANGES = ("created", "updated", "resumed")


class QueueError(Exception):
    """The configured queue cannot be used."""


def queue_identity(config) -> str:
    """A name for the queue shared by every process that uses it (no password in it)."""
    q = config.queue
    if q.backend == "redis":
        parts = urlsplit(q.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"redis:{urlunsplit((parts.scheme, host, parts.path, '', ''))}#{q.name}"
    return f"sqlite:{Path(config.queue_path).expanduser().resolve()}#{q.name}"


def make_huey(config):
    q = config.queue
    if q.backend == "redis":
        try:
            return RedisHuey(q.name, url=q.url, results=False, utc=True)
        except ConfigurationError:
            raise QueueError("queue.backend redis needs the redis client: pip install 'tui_notifier[redis]'") from None
    path = Path(config.queue_path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(q.name, filename=str(path), results=False, utc=True, timeout=15)


class Queue:
    """The queue of one config with its tasks; with an `engine` (a `delivery.engine.Engine`),
    the tasks run it. Faces never import the engine: waking it takes Huey alone.

    A batch that comes back full enqueues the next one before it starts sending, so the next
    claim is made by another worker while this batch is on the wire.
    """

    def __init__(self, config, engine=None):
        self.config = config
        self.identity = queue_identity(config)
        self.huey = huey = make_huey(config)

        def run():
            if engine is None:
                raise RuntimeError("no consumer runs in this process")
            return engine

        @huey.task(name="start_dispatch")
        def start_dispatch(dispatch_id: str):
            if run().start_dispatch(dispatch_id):
                send_batch(dispatch_id)

        @huey.task(name="send_batch")
        def send_batch(dispatch_id: str):
            run().send_batch(dispatch_id, on_more=lambda: send_batch(dispatch_id))

        @huey.task(name="poll_reports")
        def poll_reports():
            run().poll_reports(on_more=poll_reports)

        @huey.task(name="send_test_sends")
        def send_test_sends():
            run().send_test_sends()

        @huey.task(name="daily_summary")
        def daily_summary():
            run().mail_daily_summary()

        @huey.on_shutdown(name="close_database")
        def close_database():
            if database.obj is not None:
                database.obj.close()

        self.start_dispatch, self.send_batch = start_dispatch, send_batch
        self.poll_reports, self.daily_summary = poll_reports, daily_summary
        self.send_test_sends = send_test_sends
        self._engine = engine

    def tick(self) -> None:
        """The engine's periodic sweep, then a task for whatever it found due: dispatches with
        nobody on them, delivery reports, the daily mail (a slow mail server never delays a tick)."""
        if self._engine is None:
            raise RuntimeError("no consumer runs in this process")
        report = self._engine.tick()
        for dispatch_id in report.wake:
            self.send_batch(str(dispatch_id))
        if report.poll_reports:
            self.poll_reports()
        if report.mail_summary:
            self.daily_summary()
        if report.test_sends:
            self.send_test_sends()

    def wake(self, dispatch_id) -> None:
        """Start (or carry on with) a dispatch now."""
        self.start_dispatch(str(dispatch_id))

    def schedule(self, dispatch) -> None:
        """Wake the engine at the dispatch's start, or now if that has come."""
        if dispatch.status not in (DispatchStatus.SCHEDULED, DispatchStatus.RUNNING):
            return
        if (dispatch.start_at - utcnow()).total_seconds() > 0.2:
            self.start_dispatch.schedule((str(dispatch.id),), eta=wall_clock(dispatch.start_at))
        else:
            self.wake(dispatch.id)

    def __call__(self, dispatch, change: str) -> None:
        """A committed dispatch change (a core.dispatches listener)."""
        if change == testsend.CHANGE:
            self.send_test_sends()
            return
        if change not in _WAKING_CHANGES:
            return
        try:
            self.schedule(dispatch)
        except Exception as exc:  # the change is committed; the periodic tick will catch up
            log.warning("dispatch=%s %s, but the engine could not be woken: %s", dispatch.id, change, exc)


def connect(config) -> Queue:
    """The queue of `config`, woken by every dispatch change in this process; the same one when
    called again for the same queue."""
    current = connected()
    if current is not None and current.identity == queue_identity(config):
        return current
    queue = Queue(config)
    dispatches.subscribe(queue, role=WAKE_ROLE)
    return queue


def connected() -> Queue | None:
    """The queue dispatch changes wake in this process, if any."""
    return dispatches.subscriber(WAKE_ROLE)


def disconnect() -> None:
    """Stop waking the engine on dispatch changes (the end of a test, a face closing)."""
    current = connected()
    if current is not None:
        dispatches.unsubscribe(current)
