"""What the faces use of the engine: wake it on every dispatch change, run it embedded, and
tell whether any consumer is alive.

`connect(config)` once at startup makes every change committed through core.dispatches reach
the queue: a dispatch due now is started at once, one in the future gets a task at its start
(a moved start gets a new one; the old one finds nothing to do). Pause and cancel need no
message: a batch re-reads its dispatch every half second.
"""
from __future__ import annotations

import logging
import threading

from tui_notifier.clock import utcnow, wall_clock
from tui_notifier.core import dispatches
from tui_notifier.delivery.engine import CONSUMER_STALE_SECONDS
from tui_notifier.delivery.queue import make_huey, queue_identity
from tui_notifier.delivery.store import leases
from tui_notifier.delivery.tasks import register_tasks
from tui_notifier.models import DispatchStatus

log = logging.getLogger("tui_notifier.service")

_WAKING_CHANGES = ("created", "updated", "resumed")


class Service:
    """The queue of one config, with its tasks."""

    def __init__(self, config):
        self.config = config
        self.identity = queue_identity(config)
        self.huey = make_huey(config)
        self.tasks = register_tasks(self.huey, config.consumer.tick_seconds)

    def wake(self, dispatch_id) -> None:
        """Start (or carry on with) a dispatch now."""
        self.tasks.start_dispatch(str(dispatch_id))

    def schedule(self, dispatch) -> None:
        """Wake the engine at the dispatch's start, or now if that has come."""
        if dispatch.status not in (DispatchStatus.SCHEDULED, DispatchStatus.RUNNING):
            return
        if (dispatch.start_at - utcnow()).total_seconds() > 0.2:
            self.tasks.start_dispatch.schedule((str(dispatch.id),), eta=wall_clock(dispatch.start_at))
        else:
            self.wake(dispatch.id)

    def on_change(self, dispatch, change: str) -> None:
        if change in _WAKING_CHANGES:
            self.schedule(dispatch)


_lock = threading.Lock()
_current: Service | None = None
_embedded: dict[str, "EmbeddedConsumer"] = {}


def _listener(dispatch, change: str) -> None:
    service = _current
    if service is None:
        return
    try:
        service.on_change(dispatch, change)
    except Exception as exc:  # the change is committed; the periodic tick will catch up
        log.warning("dispatch=%s %s, but the engine could not be woken: %s", dispatch.id, change, exc)


def connect(config) -> Service:
    """The Service for `config`, subscribed to dispatch changes; the same one when called again."""
    global _current
    identity = queue_identity(config)
    with _lock:
        if _current is None or _current.identity != identity:
            _current = Service(config)
        dispatches.subscribe(_listener)
        return _current


def current() -> Service | None:
    return _current


def disconnect() -> None:
    """Stop waking the engine on dispatch changes (the end of a test, a face closing)."""
    global _current
    with _lock:
        dispatches.unsubscribe(_listener)
        _current = None


class EmbeddedConsumer:
    """The consumer inside the dashboard process: threads only, no signal handler touched,
    and a stop that waits at most `gateway.timeout + 5` seconds."""

    def __init__(self, config, workers: int | None = None):
        self.config = config
        self.workers = workers
        self.runtime = None

    def start(self) -> None:
        from tui_notifier.db import database, open_database
        from tui_notifier.delivery.runtime import ConsumerRuntime

        if self.runtime is not None:
            return
        if database.obj is None:
            open_database(self.config.database_url)
        self.runtime = ConsumerRuntime(self.config, kind="embedded", workers=self.workers,
                                       handle_signals=False)
        self.runtime.start()
        _embedded[self.runtime.service.identity] = self

    def stop(self) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is None:
            return
        if _embedded.get(runtime.service.identity) is self:
            del _embedded[runtime.service.identity]
        runtime.stop()

    @property
    def running(self) -> bool:
        return self.runtime is not None


def consumer_state(config) -> str:
    """`embedded` when this process runs the consumer, `external` when another process on the
    same queue has beaten its heart in the last few seconds, else `none`."""
    identity = queue_identity(config)
    if identity in _embedded:
        return "embedded"
    if leases.consumers(queue=identity, fresh_seconds=CONSUMER_STALE_SECONDS):
        return "external"
    return "none"
