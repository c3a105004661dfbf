"""A gateway that fails, answers garbage, hangs, goes down or refuses us never crashes the
consumer, and every message still goes out before the end."""
from __future__ import annotations

import time

from harness import add_clients


def test_failures_garbage_hangs_and_an_outage_are_retried_until_everything_is_sent(stack):
    stack.start_emulator("--fail-rate", "0.3", "--malformed-rate", "0.1", "--hang-rate", "0.05",
                         "--hang-seconds", "3")
    stack.configure()
    add_clients(120)
    consumer = stack.consumer()
    stack.emulator.faults(down_for=5)
    d = stack.dispatch(lasts=60)

    stack.wait_status(d.id, "finished", timeout=45)

    assert consumer.alive()
    assert stack.counts(d.id) == {"sent": 120}
    errors = " ".join(a.error for a in stack.attempts(d.id))
    for kind in ("connection error", "HTTP 50", "malformed answer", "timeout after"):
        assert kind in errors
    stats = stack.emulator.stats(ids=True)
    from tui_notifier.models import Message

    assert set(stats["ids"]) == {str(m.id) for m in Message.select()}


def test_refused_credentials_pause_the_dispatch_and_resuming_after_a_fix_sends_all(stack):
    wrong = "wrong-secret-3e8c1f"
    stack.configure(gateway={"token": wrong})
    add_clients(100)
    consumer = stack.consumer()
    d = stack.dispatch()

    paused = stack.wait_status(d.id, "paused", timeout=5)

    assert "401" in paused.status_reason and "credentials" in paused.status_reason
    requests = stack.emulator.stats()["requests"]
    assert requests <= 2 * stack.config.sending.concurrency
    time.sleep(2)
    assert stack.emulator.stats()["requests"] == requests
    assert stack.counts(d.id) == {"created": 100}

    stack.emulator.faults(token=wrong)  # the operator fixes the gateway side
    from tui_notifier.core.dispatches import resume_dispatch

    resume_dispatch(d.id)
    stack.wait_status(d.id, "finished", timeout=10)
    assert stack.counts(d.id) == {"sent": 100}
    consumer.terminate()
    assert wrong not in consumer.log()
