"""The consumer's event loop: one thread, where every gateway request of the process runs.

Huey's worker threads claim a batch, hand it here with `run()` and wait for it; the requests go
out concurrently on the loop, at most `sending.concurrency` at once across every batch of the
process. Nothing on the loop touches the database: results go to the process's writer
thread (`delivery.recorder`), and a request keeps its slot until its result is written.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import threading
from typing import Awaitable, Callable, TypeVar

log = logging.getLogger("tui_notifier.sender")

T = TypeVar("T")


class Slots:
    """At most `limit` holders at once, served first come first served, in O(1) per acquire and
    release: `asyncio.Semaphore` of Python 3.11 looks at every waiter on each acquire, which
    costs more than the request itself with a few hundred messages queued. Loop thread only."""

    def __init__(self, limit: int):
        self.free = limit
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self) -> None:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot while being cancelled: pass it on
            else:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass
            raise

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc) -> None:
        self.release()

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


class Sender:
    """An asyncio loop in a daemon thread, a limit on requests in flight, and a clean stop."""

    def __init__(self, concurrency: int, on_close: Callable[[], Awaitable[None]] | None = None):
        self.concurrency = max(1, int(concurrency))
        self._on_close = on_close
        self.loop = asyncio.new_event_loop()
        self._slots: Slots | None = None
        self._thread = threading.Thread(target=self._serve, name="sender-loop", daemon=True)
        self._ready = threading.Event()
        self._closed = False
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._slots = Slots(self.concurrency)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    @property
    def slots(self) -> Slots:
        """Held by each request while it is on the wire (use only on the loop)."""
        assert self._slots is not None
        return self._slots

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
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                _done, pending = await asyncio.wait(others, timeout=grace)
                for task in pending:
                    task.cancel()
                if pending:
                    await asyncio.wait(pending, timeout=1)
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
