"""Consumers on Redis and PostgreSQL ride out a restart of either server: each reconnects by
itself, sending resumes within seconds, and nothing is sent twice but what was in flight."""
from __future__ import annotations

import time

import peewee
import pytest

import servers
from harness import add_clients, wait_for
from tui_notifier.db import database
from tui_notifier.delivery.store import leases
from tui_notifier.models import Message

RESUME_SECONDS = 10


@pytest.fixture(scope="module")
def postgres_server():
    """A server of this module's own: restarting it must not disturb other tests."""
    yield from servers.running(servers.start_postgres, "PostgreSQL")


@pytest.fixture(scope="module")
def redis_server():
    yield from servers.running(servers.start_redis, "Redis")


def in_flight() -> set[str]:
    return {str(m.id) for m in Message.select(Message.id).where(Message.status == "sending")}



def ride_out(stack, consumers, restart, clients: int) -> dict:
    """Restart a server mid-dispatch; what the emulator and the consumers did about it."""
    d = stack.dispatch(lasts=300)
    wait_for(lambda: stack.emulator.stats()["accepted"] >= clients // 4, timeout=30, what="a fair part sent")
    lines = [c.sent() for c in consumers]
    restart()
    back = time.monotonic()
    try:
        database.execute_sql("SELECT 1")  # this process's own connection meets the restart here
    except (peewee.OperationalError, peewee.InterfaceError):
        pass
    known = set(stack.emulator.stats(ids=True)["ids"]) | in_flight()
    wait_for(lambda: len(set(stack.emulator.stats(ids=True)["ids"]) - known) >= 20, timeout=RESUME_SECONDS,
             interval=0.1, what="messages claimed after the restart sent")
    resumed = time.monotonic() - back
    stack.wait_status(d.id, "finished", timeout=60)
    stats = stack.emulator.stats()
    return {"dispatch": d, "stats": stats, "resumed": resumed,
            "sent_after": [c.sent() - n for c, n in zip(consumers, lines)]}


def test_a_postgresql_restart_under_three_consumers_loses_nothing_and_sending_resumes(stack, postgres_server):
    stack.configure(sending={"rate_limit": 150, "lease_seconds": 30})
    add_clients(1500)
    consumers = stack.several("c0", "c1", "c2")

    got = ride_out(stack, consumers, lambda: postgres_server.restart(down_for=6), 1500)

    assert got["resumed"] < RESUME_SECONDS
    assert stack.counts(got["dispatch"].id) == {"sent": 1500}
    assert got["stats"]["accepted"] == 1500
    assert got["stats"]["repeats"] == {}  # the answers in flight were kept until written
    assert all(c.alive() for c in consumers)
    assert all(n > 0 for n in got["sent_after"]), got["sent_after"]
    wait_for(lambda: {c.pid for c in leases.consumers(fresh_seconds=2)} >= {c.pid for c in consumers},
             timeout=5, what="every heartbeat fresh")
    logs = "".join(c.log() for c in consumers)
    assert "heartbeat works again" in logs


def test_a_redis_restart_that_empties_the_queue_under_two_consumers_resumes_sending(stack, redis_server):
    stack.configure(sending={"rate_limit": 150, "lease_seconds": 30})
    add_clients(1000)
    consumers = stack.several("c0", "c1")

    got = ride_out(stack, consumers, lambda: redis_server.restart(down_for=1), 1000)

    assert got["resumed"] < RESUME_SECONDS
    assert stack.counts(got["dispatch"].id) == {"sent": 1000}
    assert got["stats"]["accepted"] == 1000 and got["stats"]["repeats"] == {}
    assert all(c.alive() for c in consumers)
    assert all(n > 0 for n in got["sent_after"]), got["sent_after"]
