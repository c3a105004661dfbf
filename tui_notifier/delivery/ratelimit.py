"""A rate limit shared by every request of one consumer."""
from __future__ import annotations

import asyncio
import threading
import time

STOP_CHECK_SECONDS = 0.1


class RateLimiter:
    """Hands out evenly spaced send slots: at most `rate` a second across all batches.

    `rate` 0 means no limit. Waiting happens on the consumer's loop and is cut short by a stop
    event, so a shutdown is not held up by a slow limit.
    """

    def __init__(self, rate: float, clock=time.monotonic):
        self.rate = rate
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take the next slot; the seconds until it comes."""
        if not self._interval:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        return slot - now

    async def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the next slot; False when `stop` was set while waiting."""
        delay = self.reserve()
        deadline = time.monotonic() + delay
        while delay > 0:
            if stop is not None and stop.is_set():
                return False
            await asyncio.sleep(min(delay, STOP_CHECK_SECONDS))
            delay = deadline - time.monotonic()
        return stop is None or not stop.is_set()
