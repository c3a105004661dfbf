"""Several `tui-notifier consumer` processes on Redis + PostgreSQL share every dispatch:
each message is accepted once, a consumer that dies loses nothing, periodic work runs once."""
from __future__ import annotations

import time

from servers import Inbox
from harness import add_clients, wait_for
from tui_notifier.models import Message


def test_three_consumers_share_120_batches_and_each_message_is_accepted_once(stack):
    """What races is the claim of a batch: 6,000 messages in batches of 50 make as many claims
    as 24,000 would in the batches of 200 the other tests use."""
    stack.configure(sending={"batch_size": 50})
    add_clients(6000)
    consumers = stack.several("c0", "c1", "c2")
    d = stack.dispatch(lasts=300)

    stack.wait_status(d.id, "finished", timeout=180)

    assert stack.counts(d.id) == {"sent": 6000}
    stats = stack.emulator.stats()
    assert stats["accepted"] == 6000 and stats["repeats"] == {}
    shares = [c.sent() for c in consumers]
    assert sum(shares) == 6000
    assert all(share > 0 for share in shares), shares


def test_a_consumer_killed_mid_dispatch_loses_nothing_and_repeats_only_its_requests_in_flight(stack):
    stack.configure(sending={"rate_limit": 300})
    add_clients(3000)
    victim, *others = stack.several("c0", "c1", "c2")
    d = stack.dispatch(lasts=300)
    wait_for(lambda: victim.sent() >= 100, timeout=30, what="the victim sending")

    victim.kill()
    in_flight = {str(m.id) for m in Message.select().where(Message.status == "sending")}

    stack.wait_status(d.id, "finished", timeout=90)
    assert stack.counts(d.id) == {"sent": 3000}
    stats = stack.emulator.stats()
    assert stats["accepted"] == 3000
    assert set(stats["repeats"]) <= in_flight
    assert all(c.alive() for c in others)
    assert "lease lost" in "".join(c.log() for c in others) or not in_flight


def test_periodic_work_runs_once_across_three_consumers(stack):
    inbox = Inbox().start()
    try:
        stack.configure(report_email={"enabled": True, "at": "00:00", "to": ["ops@example.org"],
                                      "host": "127.0.0.1", "port": inbox.port})
        add_clients(50)
        consumers = stack.several("c0", "c1", "c2")
        d = stack.dispatch(start_in=2)
        stack.wait_status(d.id, "finished", timeout=20)
        wait_for(lambda: inbox.messages, timeout=10, what="the daily summary")
        time.sleep(4)

        logs = "".join(c.log() for c in consumers)
        assert logs.count(f"dispatch={d.id} started: 50 messages created") == 1
        assert logs.count(f"dispatch={d.id} finished") == 1
        assert logs.count("daily summary mailed") == 1
        assert len(inbox.messages) == 1
    finally:
        inbox.stop()
