"""Changes made while a dispatch is being sent hold at once: no consumer starts a request more
than 100 ms after a pause, a cancel or an end change is committed, none after the end, none to
a client deleted meanwhile, and a delete never loses the record of a request the gateway got.

Times are compared on this machine's wall clock: the moment right after the commit (this
test's listener is the first told) and each request's start as the consumer recorded it; the
emulator got no request the consumer did not record. (When the emulator received a request
also counts its way there, which a loaded machine stretches without bound.)"""
from __future__ import annotations

import datetime as dt
import time

import pytest

from tui_notifier.clock import utcnow
from tui_notifier.core import dispatches
from tui_notifier.core.clients import DELETED_ERROR, delete_client
from tui_notifier.core.errors import StateError
from tui_notifier.models import Dispatch, Message
from harness import add_clients, wait_for

LIMIT = 0.100


@pytest.fixture
def commits():
    """Wall-clock times right after each committed dispatch change; subscribed before the
    queue's own listener, so it is told first."""
    times: list[float] = []

    def heard(_dispatch, _change):
        times.append(time.time())

    dispatches.subscribe(heard)
    yield times
    dispatches.unsubscribe(heard)


def sending(stack, clients: int = 3000, **settings):
    stack.configure(sending={"rate_limit": 300, "concurrency": 16, "batch_size": 100, **settings})
    add_clients(clients)
    stack.consumer()
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 100, timeout=20, what="sending")
    return d


def settled(stack, dispatch_id) -> None:
    """Until nothing of the dispatch is in flight any more."""
    wait_for(lambda: Message.select().where((Message.dispatch == dispatch_id)
                                            & (Message.status == "sending")).count() == 0,
             timeout=15, what="requests in flight recorded")


def last_start(stack, dispatch_id) -> float:
    """The last request start the consumer recorded, once the emulator got no other request."""
    assert stack.unrecorded_requests() == set()
    return max(a.at for a in stack.attempts(dispatch_id)).timestamp()


def test_no_request_starts_more_than_100_ms_after_a_pause_or_a_cancel(stack, commits):
    """Six pauses, each resumed once it is measured, then a cancel."""
    d = sending(stack)
    delays = []
    for change in ["pause"] * 6 + ["cancel"]:
        getattr(dispatches, f"{change}_dispatch")(d.id)
        committed = commits[-1]
        settled(stack, d.id)
        time.sleep(0.3)
        delays.append((change, round(1000 * (last_start(stack, d.id) - committed), 1)))
        if change == "pause":
            requests = stack.emulator.stats()["requests"]
            dispatches.resume_dispatch(d.id)
            wait_for(lambda: stack.emulator.stats()["requests"] > requests + 30, timeout=10, what="sending again")

    print("ms from each commit to the last request started:", delays)
    assert max(started for _change, started in delays) <= 1000 * LIMIT, delays
    assert Dispatch.get_by_id(d.id).status == "cancelled"


def test_no_request_starts_after_an_end_moved_to_just_after_now(stack, commits):
    d = sending(stack)
    dispatches.update_dispatch(d.id, end=utcnow() + dt.timedelta(seconds=0.3))
    end = Dispatch.get_by_id(d.id).end_at
    committed = commits[-1]
    stack.wait_status(d.id, "finished", timeout=15)

    started = last_start(stack, d.id)
    print(f"end: last request started {1000 * (started - end.timestamp()):.1f} ms after the new end "
          f"({1000 * (started - committed):.1f} ms after the commit)")
    assert started < end.timestamp()
    assert stack.counts(d.id).get("timeout", 0) > 1000


def test_a_client_deleted_while_its_message_is_claimed_gets_no_request(stack, commits):
    d = sending(stack, clients=1000, rate_limit=100, batch_size=400)
    claimed = list(Message.select().where((Message.dispatch == d.id) & (Message.status == "sending"))
                   .order_by(Message.id.desc()).limit(100))
    assert len(claimed) == 100
    before = time.time()
    for m in claimed:
        delete_client(m.client_id)
    deleted_at = time.time()
    dispatches.cancel_dispatch(d.id)
    settled(stack, d.id)

    late = [a for a in stack.attempts(d.id)
            if a.message_id in {m.id for m in claimed} and a.at.timestamp() > before + LIMIT]
    assert late == [], f"{len(late)} requests to clients deleted {deleted_at - before:.2f} s earlier"
    accepted = set(stack.emulator.stats(ids=True)["ids"])
    spared = [m for m in claimed if str(m.id) not in accepted]
    assert len(spared) >= 90
    assert {(Message.get_by_id(m.id).status, Message.get_by_id(m.id).last_error) for m in spared} \
        == {("cancelled", DELETED_ERROR)}


def test_deleting_a_dispatch_with_requests_in_flight_is_refused_and_loses_no_record(stack, commits):
    d = sending(stack)
    with pytest.raises(StateError, match="in flight"):
        dispatches.delete_dispatch(d.id)

    dispatches.pause_dispatch(d.id)
    settled(stack, d.id)
    sent = {str(m.id) for m in Message.select().where((Message.dispatch == d.id) & (Message.status == "sent"))}
    dispatches.delete_dispatch(d.id)
    deleted = commits[-1]
    time.sleep(1.0)

    stats = stack.emulator.stats(ids=True)
    assert set(stats["ids"]) == sent
    assert stats["last_request_at"] < deleted
