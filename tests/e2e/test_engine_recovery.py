"""A consumer killed mid-dispatch loses nothing; one stopped with SIGTERM finishes what is in
flight; several consumers share one queue."""
from __future__ import annotations

import resource
import time

from harness import add_clients, wait_for
from tui_notifier.models import Message


def test_kill_9_mid_dispatch_and_a_restart_repeat_only_what_was_in_flight(stack):
    stack.configure(sending={"rate_limit": 150})
    add_clients(600)
    consumer = stack.consumer("killed")
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 150, timeout=15, what="a fair part sent")

    consumer.kill()

    in_flight = {str(m.id) for m in Message.select().where(Message.status == "sending")}
    assert in_flight
    stack.consumer("restarted")
    stack.wait_status(d.id, "finished", timeout=20)

    assert stack.counts(d.id) == {"sent": 600}
    stats = stack.emulator.stats(ids=True)
    assert stats["accepted"] == 600
    assert set(stats["repeats"]) <= in_flight


def test_each_kill_9_repeats_no_more_requests_than_the_concurrency(stack):
    concurrency = 16
    stack.configure(sending={"concurrency": concurrency, "batch_size": 100})
    stack.emulator.faults(latency_ms=20)
    add_clients(3000)
    consumer = stack.consumer("first")
    d = stack.dispatch(lasts=300)
    claimed_at_kills = set()
    for kill, accepted in enumerate((300, 1200)):
        wait_for(lambda: stack.emulator.stats()["accepted"] >= accepted, timeout=60, what=f"{accepted} sent")
        consumer.kill()
        claimed_at_kills |= {str(m.id) for m in Message.select().where(Message.status == "sending")}
        consumer = stack.consumer(f"after-kill-{kill}")

    stack.wait_status(d.id, "finished", timeout=60)
    assert stack.counts(d.id) == {"sent": 3000}
    repeats = stack.emulator.stats()["repeats"]
    assert set(repeats) <= claimed_at_kills
    assert sum(n - 1 for n in repeats.values()) <= 2 * concurrency


def test_sigterm_finishes_the_requests_in_flight_and_exits_0(stack):
    stack.configure(sending={"rate_limit": 100})
    add_clients(300)
    consumer = stack.consumer("stopped")
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 50, timeout=10, what="some sent")

    assert consumer.terminate(timeout=10) == 0

    got = stack.counts(d.id)
    assert set(got) == {"sent", "created"}
    accepted = set(stack.emulator.stats(ids=True)["ids"])
    assert accepted == {str(m.id) for m in Message.select().where(Message.status == "sent")}
    assert "stopping: no new requests" in consumer.log()

    stack.consumer("again")
    stack.wait_status(d.id, "finished", timeout=15)
    stats = stack.emulator.stats()
    assert stack.counts(d.id) == {"sent": 300} and stats["repeats"] == {} and stats["accepted"] == 300


def test_two_consumers_share_one_queue_and_send_each_message_once(stack):
    stack.configure()
    add_clients(400)
    first, second = stack.consumer("one"), stack.consumer("two")
    d = stack.dispatch()
    stack.wait_status(d.id, "finished", timeout=15)
    stats = stack.emulator.stats()
    assert stats["accepted"] == 400 and stats["repeats"] == {}
    assert first.terminate() == 0 and second.terminate() == 0
    assert all(" results: sent=" in c.log() for c in (first, second))


def test_a_full_disk_leaves_the_consumer_alive_and_retrying_until_there_is_room_again(stack):
    stack.configure(sending={"rate_limit": 100})
    add_clients(250)
    consumer = stack.consumer()
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 50, timeout=15, what="some sent")
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    resource.prlimit(consumer.pid, resource.RLIMIT_FSIZE, (4096, hard))  # no file of it may grow
    time.sleep(2)  # the fault lasts this long
    resource.prlimit(consumer.pid, resource.RLIMIT_FSIZE, (hard, hard))

    stack.wait_status(d.id, "finished", timeout=30)
    assert consumer.alive()
    assert stack.counts(d.id) == {"sent": 250}
    stats = stack.emulator.stats()
    assert stats["accepted"] == 250
    assert stats["repeats"] == {}  # the answers to the requests in flight were kept until written
    log = consumer.log()
    assert "written after" in log or "works again after" in log


def test_sigterm_while_the_disk_is_full_still_exits_within_the_gateway_timeout_and_2_s(stack):
    stack.configure(sending={"rate_limit": 100})
    add_clients(150)
    consumer = stack.consumer("stopped")
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 30, timeout=15, what="some sent")
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.prlimit(consumer.pid, resource.RLIMIT_FSIZE, (4096, hard))

    started = time.monotonic()
    consumer.terminate(timeout=30)
    took = time.monotonic() - started

    assert took <= stack.config.gateway.timeout + 2
    in_flight = {str(m.id) for m in Message.select().where(Message.status == "sending")}
    stack.consumer("again")
    stack.wait_status(d.id, "finished", timeout=30)
    stats = stack.emulator.stats()
    assert stats["accepted"] == 150 and set(stats["repeats"]) <= in_flight
