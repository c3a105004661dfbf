"""When to try again: back-off for transient failures and the rhythm of report polls."""
from __future__ import annotations

import datetime as _dt
import random

REPORT_POLL_MAX_SECONDS = 600.0
REPORT_POLL_HORIZON = _dt.timedelta(hours=24)
"""A message with no final report a day after its send is left `sent`: nobody will report it."""


def retry_delay(attempts: int, retry_config, rnd: random.Random | None = None) -> float:
    """Seconds before attempt `attempts + 1`: exponential, capped, with jitter so retries of a
    whole batch do not hit the gateway in step. However many attempts failed, the wait never
    passes `max_delay` (a float power overflows past about a thousand doublings)."""
    cap = max(float(retry_config.max_delay), 0.0)
    try:
        delay = min(float(retry_config.base_delay) * float(retry_config.factor) ** max(attempts - 1, 0), cap)
    except OverflowError:
        delay = cap
    jitter = max(0.0, min(retry_config.jitter, 1.0))
    if jitter:
        delay *= 1 + (rnd or random).uniform(-jitter, jitter)
    return max(delay, 0.0)


def report_poll_delay(age_seconds: float, first_interval: float, rnd: random.Random | None = None) -> float:
    """Seconds to the next delivery-report poll of a message sent `age_seconds` ago: the first
    polls come every `first_interval`, later ones back off with the message's age."""
    delay = min(max(first_interval, age_seconds / 2), REPORT_POLL_MAX_SECONDS)
    return delay * (1 + (rnd or random).uniform(0, 0.2))
