"""Messages go out when due: a dispatch starts within 2 s of its start, and nothing is sent
after its end."""
from __future__ import annotations

import datetime as dt
import time

from tui_notifier.clock import utcnow
from harness import add_clients, wait_for


def test_a_dispatch_due_now_begins_within_two_seconds(stack):
    stack.configure()
    add_clients(20)
    stack.consumer()
    time.sleep(1.5)  # let the idle workers back off
    created = utcnow()
    d = stack.dispatch()
    finished = stack.wait_status(d.id, "finished", timeout=10)
    first = stack.attempts(d.id)[0].at
    assert first - created < dt.timedelta(seconds=2)
    assert stack.counts(d.id) == {"sent": 20} and finished.fanned_out_at >= created


def test_a_future_dispatch_begins_at_its_start_with_nobody_acting(stack):
    stack.configure()
    add_clients(20)
    stack.consumer()
    d = stack.dispatch(start_in=3)
    time.sleep(2)
    assert stack.emulator.stats()["requests"] == 0
    stack.wait_status(d.id, "finished", timeout=10)
    first = stack.attempts(d.id)[0].at
    assert d.start_at <= first < d.start_at + dt.timedelta(seconds=2)


def test_an_end_passing_mid_send_stops_requests_and_times_out_the_rest(stack):
    stack.configure(sending={"rate_limit": 40})
    add_clients(200)
    stack.consumer()
    d = stack.dispatch(lasts=2.5)

    finished = stack.wait_status(d.id, "finished", timeout=10)

    got = stack.counts(d.id)
    assert set(got) == {"sent", "timeout"}, got
    assert got["sent"] > 20 and got["timeout"] > 20, got
    assert max(a.at for a in stack.attempts(d.id)) < d.end_at
    assert stack.unrecorded_requests() == set()
    assert finished.finished_at - d.end_at < dt.timedelta(seconds=3)


def test_a_restarted_consumer_carries_on_with_due_dispatches_by_itself(stack):
    stack.configure(sending={"rate_limit": 100})
    add_clients(150)
    consumer = stack.consumer("first")
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 30, timeout=10, what="some sent")
    assert consumer.terminate() == 0
    later = stack.dispatch(start_in=1)  # due while no consumer runs
    time.sleep(1.5)
    stack.consumer("second")
    stack.wait_status(d.id, "finished", timeout=15)
    stack.wait_status(later.id, "finished", timeout=15)
    assert stack.counts(later.id) == {"sent": 150}


def test_moving_the_end_of_a_running_dispatch_earlier_stops_it_there_and_later_lets_it_finish(stack):
    from tui_notifier.core.dispatches import update_dispatch

    stack.configure(sending={"rate_limit": 40})
    add_clients(200)
    stack.consumer()
    cut = stack.dispatch(lasts=600)
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 20, timeout=10, what="sending")

    new_end = utcnow() + dt.timedelta(seconds=1.5)
    update_dispatch(cut.id, end=new_end)
    stack.wait_status(cut.id, "finished", timeout=6)
    got = stack.counts(cut.id)
    assert set(got) == {"sent", "timeout"} and got["timeout"] > 50, got
    assert max(a.at for a in stack.attempts(cut.id)) < new_end

    extended = stack.dispatch(lasts=2, text="extended")
    wait_for(lambda: stack.counts(extended.id).get("sent", 0) >= 10, timeout=10, what="sending")
    update_dispatch(extended.id, end=utcnow() + dt.timedelta(seconds=60))
    stack.wait_status(extended.id, "finished", timeout=20)
    assert stack.counts(extended.id) == {"sent": 200}
