"""Back-off for retries, the rhythm of report polls, and the shared rate limit."""
from __future__ import annotations

import asyncio
import random
import threading
import time

from tui_notifier.config import RetryConfig
from tui_notifier.delivery.policy import REPORT_POLL_MAX_SECONDS, report_poll_delay, retry_delay
from tui_notifier.delivery.ratelimit import RateLimiter


def test_retries_back_off_exponentially_up_to_the_cap():
    retry = RetryConfig(base_delay=1, factor=2, max_delay=10, jitter=0)
    assert [retry_delay(n, retry) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_the_cap_holds_after_any_number_of_failures():
    retry = RetryConfig(base_delay=1.0, factor=2.0, max_delay=60.0, jitter=0.0)
    assert [retry_delay(n, retry) for n in (1024, 1025, 5000, 10**9)] == [60, 60, 60, 60]
    assert retry_delay(10**6, RetryConfig(base_delay=1, factor=3, max_delay=30, jitter=0.2)) <= 36


def test_jitter_spreads_retries_within_its_share():
    retry = RetryConfig(base_delay=4, factor=2, max_delay=60, jitter=0.25)
    delays = {retry_delay(1, retry, random.Random(seed)) for seed in range(200)}
    assert min(delays) >= 3 and max(delays) <= 5 and len(delays) > 100


def test_report_polls_slow_down_as_a_message_ages():
    rnd = random.Random(1)
    assert 5 <= report_poll_delay(0, 5, rnd) <= 6
    assert 30 <= report_poll_delay(60, 5, rnd) <= 36
    assert report_poll_delay(10**6, 5, rnd) <= REPORT_POLL_MAX_SECONDS * 1.2


def test_the_rate_limit_spaces_sends_evenly():
    now = [100.0]
    limiter = RateLimiter(4, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    now[0] = 200.0
    assert limiter.reserve() == 0.0


async def test_the_rate_limit_holds_across_concurrent_requests():
    limiter = RateLimiter(50)
    stamps = []

    async def request():
        for _ in range(5):
            await limiter.acquire()
            stamps.append(time.monotonic())

    await asyncio.gather(*(request() for _ in range(8)))
    assert len(stamps) == 40
    assert max(stamps) - min(stamps) >= 39 / 50 * 0.9


async def test_no_rate_limit_never_waits_and_a_stop_interrupts_a_wait():
    assert await RateLimiter(0).acquire()
    limiter = RateLimiter(0.5)
    await limiter.acquire()
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    assert await limiter.acquire(stop) is False
    assert time.monotonic() - started < 1
