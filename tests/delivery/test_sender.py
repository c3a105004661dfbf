"""The limit on requests in flight: never passed, served in order, and a cancelled waiter
neither takes a slot nor loses one."""
from __future__ import annotations

import asyncio

from tui_notifier.delivery.sender import Slots


async def test_no_more_than_the_limit_hold_a_slot_and_they_are_served_in_order():
    slots, holding, most, order = Slots(3), 0, 0, []

    async def hold(n: int) -> None:
        nonlocal holding, most
        async with slots:
            order.append(n)
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.001)
            holding -= 1

    await asyncio.gather(*(hold(n) for n in range(50)))
    assert most == 3 and order == list(range(50)) and slots.free == 3


async def test_a_cancelled_waiter_takes_no_slot_and_loses_none():
    slots = Slots(1)
    release = asyncio.Event()

    async def hold() -> None:
        async with slots:
            await release.wait()

    holder = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    waiters = [asyncio.ensure_future(hold()) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    release.set()
    await asyncio.gather(holder, *waiters[1:])
    waiters[1].cancel()  # already done: nothing happens
    assert waiters[0].cancelled() and slots.free == 1
