"""Fresh views of what a batch is sending: its dispatch, and which of its messages may no
longer go out.

Every request is checked right before it starts against a view read no more than
`FRESH_SECONDS` earlier, so a pause, cancel or end change, a stopped phone or a deleted client
committed by any face, or a claim taken back from a consumer thought dead, holds for every
request that starts more than 100 ms after the commit.
One thread per engine re-reads the view of each batch that still has requests to start,
every `EVERY_SECONDS`; the event loop never touches the database, and a request whose view
is too old waits for the next one.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from tui_notifier.db import database
from tui_notifier.delivery.store import messages

log = logging.getLogger("tui_notifier.engine")

FRESH_SECONDS = 0.08
"""The oldest view a request may start on: 80 ms, leaving 20 of the promised 100 for the
request to leave the machine."""
EVERY_SECONDS = 0.03
"""How often a batch's view is read again while it has requests to start."""


@dataclass(frozen=True)
class View:
    state: messages.DispatchState
    blocked: dict[int, str] = field(default_factory=dict)
    """Message id -> why it may no longer be sent (`lost`, `stopped`, `deleted`)."""
    read_at: float = 0.0
    """`time.monotonic()` when the reading began: the view holds every commit made before it."""


class Watched:
    """One batch's view, for its requests on the loop and the watch's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, state: messages.DispatchState,
                 message_ids, read_at: float, owner: int | None = None):
        self.loop = loop
        self.owner = owner
        """The consumer that claimed the batch: a message no longer claimed by it is not sent."""
        self.dispatch_id: uuid.UUID = state.id
        self.view = View(state, {}, read_at)
        self._to_start = set(message_ids)
        """Taken from on the loop and copied on the watch's thread: each a single operation on
        a set, which the interpreter lock keeps whole."""
        self._fresh = asyncio.Event()

    def to_start(self) -> list[int]:
        """Messages whose request has not started yet (any thread)."""
        return sorted(self._to_start.copy())

    def started(self, message_id: int) -> None:
        """No more views are needed for this message: its request started or it was set aside."""
        self._to_start.discard(message_id)

    def publish(self, state: messages.DispatchState | None, blocked: dict[int, str], read_at: float) -> None:
        """A new reading (from the watch's thread); a dispatch that is gone reads as cancelled."""
        try:
            self.loop.call_soon_threadsafe(self._publish, state, blocked, read_at)
        except RuntimeError:  # the loop closed: the engine is stopping and nothing starts any more
            pass

    def _publish(self, state, blocked, read_at) -> None:
        if state is None:
            state = dataclasses.replace(self.view.state, status="cancelled")
        if read_at >= self.view.read_at:
            self.view = View(state, blocked, read_at)
        event, self._fresh = self._fresh, asyncio.Event()
        event.set()

    def current(self) -> View | None:
        """The view if it is fresh enough now, without waiting (on the loop)."""
        view = self.view
        return view if time.monotonic() - view.read_at <= FRESH_SECONDS else None

    async def fresh(self, patience: float) -> View | None:
        """The view once it is at most `FRESH_SECONDS` old (on the loop); None when no reading
        came within `patience` seconds (the database is unreachable, say)."""
        deadline = time.monotonic() + patience
        while time.monotonic() - self.view.read_at > FRESH_SECONDS:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(self._fresh.wait(), left)
            except asyncio.TimeoutError:
                return None
        return self.view


class Watch:
    """The thread that keeps the views of an engine's batches fresh."""

    def __init__(self, every: float = EVERY_SECONDS):
        self.every = every
        self._watched: list[Watched] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._failing = False

    def follow(self, watched: Watched) -> None:
        with self._lock:
            self._watched.append(watched)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dispatch-watch", daemon=True)
                self._thread.start()
        self._wake.set()

    def forget(self, watched: Watched) -> None:
        with self._lock:
            if watched in self._watched:
                self._watched.remove(watched)

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        try:
            while not self._closed:
                began = time.monotonic()
                with self._lock:
                    watched = list(self._watched)
                busy = False
                for one in watched:
                    ids = one.to_start()
                    if ids:
                        busy = True
                        self._read(one, ids)
                if not busy:
                    self._wake.wait()
                    self._wake.clear()
                else:
                    time.sleep(max(0.0, self.every - (time.monotonic() - began)))
        finally:
            if database.obj is not None:
                database.close()

    def _read(self, watched: Watched, ids: list[int]) -> None:
        read_at = time.monotonic()
        try:
            state = messages.dispatch_state(watched.dispatch_id)
            blocked = messages.blocked_among(ids, watched.owner)
        except Exception as exc:  # a database that went away: requests wait, then go back to the queue
            if not self._failing:
                log.warning("dispatch=%s cannot re-read the dispatch before sending: %s", watched.dispatch_id, exc)
            self._failing = True
            return
        self._failing = False
        watched.publish(state, blocked, read_at)
