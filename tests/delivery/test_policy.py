"""Back-off for retries, the rhythm of report polls, and the shared rate limit."""
from __future__ import annotations

import random
import threading
import time

from tui_notifier.config import RetryConfig
from tui_notifier.delivery.policy import REPORT_POLL_MAX_SECONDS, report_poll_delay, retry_delay
from tui_notifier.delivery.ratelimit import RateLimiter


def test_retries_back_off_exponentially_up_to_the_cap():
    retry = RetryConfig(base_delay=1, factor=2, max_delay=10, jitter=0)
    assert [retry_delay(n, retry) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


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
    slept = []
    original = time.sleep
    try:
        time.sleep = slept.append
        for _ in range(4):
            limiter.acquire()
    finally:
        time.sleep = original
    assert slept == [0.25, 0.5, 0.75]


def test_the_rate_limit_holds_across_threads():
    limiter = RateLimiter(50)
    stamps = []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 40
    assert max(stamps) - min(stamps) >= 39 / 50 * 0.9


def test_no_rate_limit_never_waits_and_a_stop_interrupts_a_wait():
    assert RateLimiter(0).acquire()
    limiter = RateLimiter(0.5)
    limiter.acquire()
    stop = threading.Event()
    stop.set()
    assert limiter.acquire(stop) is False
