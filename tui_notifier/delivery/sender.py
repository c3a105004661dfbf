"""The consumer's event loop: one thread, where every gateway request of the process runs.

Huey's worker threads claim a batch and hand its messages here with `spread()`; they are
taken in order by `sending.concurrency` lanes, long-lived coroutines that each carry one
message at a time from its check to its committed result, so no more than that many are on
the wire or waiting for their result to be written, across every batch of the process. A lane
costs nothing per message, where a task per message and a semaphore cost about as much as a
quarter of the request. Nothing on the loop touches the database: results go to the
process's writer thread (`delivery.recorder`).
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import threading
from typing import Awaitable, Callable, Iterable, TypeVar

log = logging.getLogger("tui_notifier.sender")

T = TypeVar("T")


class _Group:
    """The messages of one `spread()` call: done when the last of them is."""

    __slots__ = ("left", "done", "error")

    def __init__(self, left: int, done: concurrent.futures.Future):
        self.left = left
        self.done = done
        self.error: BaseException | None = None

    def finish(self, error: BaseException | None = None) -> None:
        if error is not None and self.error is None:
            self.error = error
        self.left -= 1
        if self.left <= 0:
            self.close()

    def close(self, error: BaseException | None = None) -> None:
        if self.done.done():
            return
        error = error or self.error
        if error is None:
            self.done.set_result(None)
        elif isinstance(error, asyncio.CancelledError):
            self.done.cancel()
        else:
            self.done.set_exception(error)


class Sender:
    """An asyncio loop in a daemon thread, `concurrency` lanes that carry messages, and a clean stop."""

    def __init__(self, concurrency: int, on_close: Callable[[], Awaitable[None]] | None = None):
        self.concurrency = max(1, int(concurrency))
        self._on_close = on_close
        self.loop = asyncio.new_event_loop()
        self._jobs: collections.deque = collections.deque()
        self._idle: collections.deque[asyncio.Future] = collections.deque()
        self._lanes: list[asyncio.Task] = []
        self._groups: set[_Group] = set()
        self._thread = threading.Thread(target=self._serve, name="sender-loop", daemon=True)
        self._ready = threading.Event()
        self._closed = False
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def spread(self, work: Callable[[T], Awaitable[None]], items: Iterable[T]) -> concurrent.futures.Future:
        """Run `work(item)` on the loop for every item, in order as lanes come free (from any
        thread but the loop's); the future is done once every one has returned, with the
        first error any of them raised."""
        if self._closed:
            raise RuntimeError("the sender is closed")
        items = list(items)
        done: concurrent.futures.Future = concurrent.futures.Future()
        if not items:
            done.set_result(None)
            return done
        self.loop.call_soon_threadsafe(self._enqueue, work, items, done)
        return done

    def _enqueue(self, work, items: list, done: concurrent.futures.Future) -> None:
        if done.cancelled():
            return
        group = _Group(len(items), done)
        self._groups.add(group)
        done.add_done_callback(lambda _f: self._groups.discard(group))
        self._jobs.extend((work, item, group) for item in items)
        while len(self._lanes) < self.concurrency:
            self._lanes.append(self.loop.create_task(self._lane()))
        for _ in range(min(len(items), len(self._idle))):
            idle = self._idle.popleft()
            if not idle.done():
                idle.set_result(None)

    async def _lane(self) -> None:
        jobs, loop = self._jobs, self.loop
        while True:
            if not jobs:
                idle = loop.create_future()
                self._idle.append(idle)
                await idle
                continue
            work, item, group = jobs.popleft()
            try:
                await work(item)
            except asyncio.CancelledError as exc:
                group.close(exc)
                raise
            except BaseException as exc:
                group.finish(exc)
            else:
                group.finish()

    def submit(self, coro: Awaitable[T]) -> concurrent.futures.Future:
        if self._closed:
            raise RuntimeError("the sender is closed")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Awaitable[T]) -> T:
        """Run `coro` on the loop and wait for its result (from any thread but the loop's)."""
        return self.submit(coro).result()

    def close(self, grace: float = 5.0) -> None:
        """Wait up to `grace` seconds for what runs on the loop, then close the sessions and stop."""
        if self._closed:
            return
        self._closed = True

        async def shutdown():
            lanes = set(self._lanes)
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and t not in lanes]
            others += [asyncio.wrap_future(g.done) for g in self._groups]
            if others:
                _done, pending = await asyncio.wait(others, timeout=grace)
                for task in pending:
                    task.cancel()
            for lane in lanes:
                lane.cancel()
            for group in list(self._groups):
                group.close(asyncio.CancelledError())
            self._jobs.clear()
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if left:
                await asyncio.wait(left, timeout=1)
            if self._on_close is not None:
                try:
                    await self._on_close()
                except Exception as exc:  # a gateway that fails to close must not block the stop
                    log.warning("closing the gateway sessions: %s", exc)
            await self.loop.shutdown_asyncgens()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=grace + 3)
        except (concurrent.futures.TimeoutError, RuntimeError) as exc:
            log.warning("sender loop did not stop cleanly: %r", exc)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self.loop.close()
