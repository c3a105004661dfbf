"""A gateway that fails, answers garbage, hangs, goes down or refuses us never crashes the
consumer, and every message still goes out before the end."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from harness import add_clients, wait_for
from tui_notifier.delivery.store import messages
from tui_notifier.models import Attempt, Message


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


def test_sigterm_under_a_dripping_gateway_exits_within_the_timeout_and_records_every_answer(stack):
    stack.configure(gateway={"timeout": 2.0}, sending={"rate_limit": 100})
    add_clients(400)
    consumer = stack.consumer()
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 50, timeout=15, what="some sent")
    stack.emulator.faults(drip_rate=0.5, drip_seconds=0.5)
    wait_for(lambda: (s := stack.emulator.stats())["accepted_total"] - s["answered_total"] >= 3,
             timeout=10, what="answers dripping")

    started = time.monotonic()
    code = consumer.terminate(timeout=30)
    took = time.monotonic() - started

    assert code == 0
    assert took <= 2.0 + 2
    stats = stack.emulator.stats(ids=True)
    sent = {str(m.id) for m in Message.select().where((Message.dispatch == d.id) & (Message.status == "sent"))}
    assert set(stats["answered_ids"]) == sent
    cut = [a for a in stack.attempts(d.id) if a.error == "timeout after 2 s"]
    assert cut and all(a.latency_ms < 2400 for a in cut)


@pytest.mark.parametrize("status, form, least", [(429, "seconds", 2.0), (503, "date", 1.0)])
def test_retry_after_is_the_next_attempt_of_the_message_and_holds_the_gateway(stack, status, form, least):
    """`least`: an HTTP date counts whole seconds, so "2 s from now" may be a little over 1 s."""
    stack.start_emulator("--throttle-rate", "0.25", "--throttle-status", str(status), "--retry-after", "2",
                         "--retry-after-format", form, "--seed", "1")  # seed 1: the first send is throttled
    stack.configure(sending={"concurrency": 4, "retry": {"max_delay": 5.0}})
    add_clients(8)
    stack.consumer()
    d = stack.dispatch()

    stack.wait_status(d.id, "finished", timeout=60)

    assert stack.counts(d.id) == {"sent": 8}
    attempts = stack.attempts(d.id)
    throttled = [a for a in attempts if a.http_status == status]
    assert throttled
    slack = dt.timedelta(seconds=0.2)
    for t in throttled:
        answered = t.at + dt.timedelta(milliseconds=t.latency_ms)
        again = min(a.at for a in attempts if a.message_id == t.message_id and a.at > t.at)
        assert again - answered >= dt.timedelta(seconds=least) - slack
        started_while_held = [a for a in attempts
                              if answered + slack < a.at < answered + dt.timedelta(seconds=least) - slack]
        assert started_while_held == []


def test_an_answer_the_database_refuses_and_a_thousandth_failure_cost_no_other_result(stack):
    stack.configure()
    add_clients(300)
    d = stack.dispatch(start_in=3)
    messages.fan_out(d.id, now=d.start_at)
    long_failing = [m.id for m in Message.select(Message.id).limit(40)]
    Message.update(attempts=1024).where(Message.id.in_(long_failing)).execute()
    stack.emulator.faults(fail_rate=0.3, fail_text="overloaded \ud800\x00")
    consumer = stack.consumer()

    wait_for(lambda: Attempt.select().where(Attempt.message.in_(long_failing)
                                            & (Attempt.outcome == "transient")).count() >= 5,
             timeout=20, what="long-failing messages failing once more")
    stack.emulator.faults(fail_rate=0)
    stack.wait_status(d.id, "finished", timeout=30)

    assert consumer.alive() and stack.counts(d.id) == {"sent": 300}
    stats = stack.emulator.stats()
    assert stats["accepted"] == 300 and stats["repeats"] == {}
    assert any("overloaded \\ud800\\x00" in a.error for a in stack.attempts(d.id))
    retried = Message.select().where(Message.id.in_(long_failing) & (Message.attempts > 1025))
    assert all((m.sent_at - m.created_at).total_seconds() < 30 for m in retried)
