"""The Huey queue a config names, and its tasks: the one place that says what a task does.

Faces make a `Queue` without an engine: `connect(config)` subscribes it to every dispatch
change committed through core.dispatches, so a dispatch due now is started at once and one
in the future gets a task at its start (a moved start gets a new one; the old one finds
nothing to do). Pause and cancel need no task: a batch checks each request against its
dispatch as it stood at most 80 ms before (`delivery.watch`). A consumer makes a `Queue` with
its engine, and its tasks run that engine. Tasks carry dispatch ids only; the database is the
truth.

The queue file is never the application database: SqliteHuey makes tables named `task`,
`kv`, `schedule` and `counter`, and its own write traffic should not contend with ours.

Faults: a task the database fails is tried again a second later, so a dispatch's chain of
batches survives a database restart. A task that cannot be queued (the queue server away) is
left to the periodic tick, which wakes every dispatch nobody works on; and a queue that lost
its content (a Redis restarted without persistence) is noticed by a key of ours vanishing
from it, and every running dispatch is woken at once.
"""
from __future__ import annotations

import functools
import logging
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from huey import RedisHuey, SqliteHuey
from huey.exceptions import ConfigurationError, RetryTask

from tui_notifier.clock import utcnow, wall_clock
from tui_notifier.config import ConfigError
from tui_notifier.core import dispatches, testsend
from tui_notifier.db import TRANSIENT_ERRORS, database
from tui_notifier.delivery.store import leases, messages
from tui_notifier.models import DispatchStatus

log = logging.getLogger("tui_notifier.queue")

WAKE_ROLE = "engine-queue"
_WAKING_CHANGES = ("created", "updated", "resumed")
PRESENT_KEY = "tui_notifier:queue-present"
"""Put in the queue by the tick; missing means the queue lost what it held."""
RETRY_SECONDS = 1.0
"""When a task the database failed runs again."""


class QueueError(ConfigError):
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(q.name, filename=str(path), results=False, utc=True, timeout=15)
    except (OSError, sqlite3.Error) as exc:
        raise QueueError(f"queue.path: cannot use {str(path)!r} as the queue: {exc}") from None


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
        @_retried_on_database_errors
        def start_dispatch(dispatch_id: str):
            if run().start_dispatch(dispatch_id):
                _enqueue(send_batch, dispatch_id)

        @huey.task(name="send_batch")
        @_retried_on_database_errors
        def send_batch(dispatch_id: str):
            queued = []
            run().send_batch(dispatch_id, on_more=lambda: queued.append(_enqueue(send_batch, dispatch_id)))
            if queued and not queued[0]:
                leases.release(messages.pump_lease(dispatch_id))  # the tick takes the chain over

        @huey.task(name="send_test_sends")
        @_retried_on_database_errors
        def send_test_sends():
            run().send_test_sends()

        @huey.task(name="daily_summary")
        @_retried_on_database_errors
        def daily_summary():
            run().mail_daily_summary()

        @huey.on_shutdown(name="close_database")
        def close_database():
            if database.obj is not None:
                database.obj.close()

        self.start_dispatch, self.send_batch = start_dispatch, send_batch
        self.daily_summary = daily_summary
        self.send_test_sends = send_test_sends
        self._engine = engine

    def tick(self) -> None:
        """The engine's periodic sweep, then a task for whatever it found due: dispatches with
        nobody on them, test sends, the daily mail (a slow mail server never delays a tick)."""
        if self._engine is None:
            raise RuntimeError("no consumer runs in this process")
        report = self._engine.tick()
        lost = not self.huey.get(PRESENT_KEY, peek=True)
        if lost:
            report.wake = list(dict.fromkeys([*report.wake, *messages.running_dispatches()]))
        for dispatch_id in report.wake:
            self.send_batch(str(dispatch_id))
        if report.mail_summary:
            self.daily_summary()
        if report.test_sends:
            self.send_test_sends()
        if lost:
            self.huey.put(PRESENT_KEY, True)

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


def _retried_on_database_errors(work):
    """A task the database fails (a restart, a full disk, a lock held too long) runs again a
    second later rather than being dropped; any other error is a bug, logged by Huey."""
    @functools.wraps(work)
    def task(*args):
        try:
            return work(*args)
        except TRANSIENT_ERRORS as exc:
            log.warning("%s failed on the database, again in %gs: %s", work.__name__, RETRY_SECONDS,
                        " ".join(str(exc).split())[:200] or type(exc).__name__)
            raise RetryTask(delay=RETRY_SECONDS) from None
    return task


def _enqueue(task, *args) -> bool:
    """Queue a follow-up task; False when the queue is away (the tick will catch up)."""
    try:
        task(*args)
    except Exception as exc:
        log.warning("%s not queued (the tick will catch up): %s", task.name,
                    " ".join(str(exc).split())[:200] or type(exc).__name__)
        return False
    return True


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
