"""A rate limit shared by every sender thread of one consumer."""
from __future__ import annotations

import threading
import time


class RateLimiter:
    """Hands out evenly spaced send slots: at most `rate` a second across all threads.

    `rate` 0 means no limit. Waiting is interruptible by a stop event, so a shutdown is not
    held up by a slow limit.
    """

    def __init__(self, rate: float, clock=time.monotonic):
        self.rate = rate
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the next slot; False when `stop` was set while waiting."""
        if not self._interval:
            return True
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        delay = slot - now
        if delay <= 0:
            return True
        if stop is not None:
            return not stop.wait(delay)
        time.sleep(delay)
        return True
