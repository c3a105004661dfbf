"""The sender's lanes: never more than `concurrency` messages carried at once across every
batch, taken in order, a batch done when its last message is, an error kept for its batch
alone, and a stop that leaves no batch waiting forever."""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

from tui_notifier.delivery.sender import Sender


@pytest.fixture
def sender():
    made = []

    def make(concurrency: int) -> Sender:
        made.append(Sender(concurrency))
        return made[-1]

    yield make
    for one in made:
        one.close(grace=1)


def test_no_more_than_the_lanes_carry_at_once_across_batches_and_in_order(sender):
    lanes = sender(3)
    carrying, most, order = 0, 0, []

    async def carry(n: int) -> None:
        nonlocal carrying, most
        order.append(n)
        carrying += 1
        most = max(most, carrying)
        await asyncio.sleep(0.001)
        carrying -= 1

    first = lanes.spread(carry, range(0, 40))
    second = lanes.spread(carry, range(40, 80))
    first.result(10)
    second.result(10)
    assert most == 3 and carrying == 0
    assert sorted(order) == list(range(80)) and order[:40] == list(range(40))


def test_a_batch_is_done_only_when_its_last_message_is(sender):
    lanes = sender(4)
    release = threading.Event()
    finished = []

    async def carry(n: int) -> None:
        if n == 9:
            while not release.is_set():
                await asyncio.sleep(0.005)
        finished.append(n)

    done = lanes.spread(carry, range(10))
    with pytest.raises(concurrent.futures.TimeoutError):
        done.result(0.2)
    assert sorted(finished) == list(range(9))
    release.set()
    done.result(5)
    assert sorted(finished) == list(range(10))


def test_an_error_is_its_batchs_and_the_lane_goes_on(sender):
    lanes = sender(1)
    carried = []

    async def carry(n: int) -> None:
        carried.append(n)
        if n == 2:
            raise ValueError("message 2")

    failing = lanes.spread(carry, range(5))
    with pytest.raises(ValueError, match="message 2"):
        failing.result(5)
    assert carried == [0, 1, 2, 3, 4]
    lanes.spread(carry, [7]).result(5)
    assert carried[-1] == 7


def test_an_empty_batch_is_done_at_once(sender):
    async def carry(n: int) -> None:
        raise AssertionError("nothing to carry")

    assert sender(2).spread(carry, []).result(0) is None


def test_a_stop_cancels_what_outlasts_the_grace_and_no_batch_waits_forever():
    lanes = Sender(2)

    async def forever(n: int) -> None:
        await asyncio.Event().wait()

    stuck = lanes.spread(forever, range(5))
    lanes.close(grace=0.2)
    with pytest.raises(concurrent.futures.CancelledError):
        stuck.result(5)
    with pytest.raises(RuntimeError):
        lanes.spread(forever, [1])
