"""Pause, resume and cancel reach a consumer that is sending within 2 s."""
from __future__ import annotations

import time

from tui_notifier.core.dispatches import cancel_dispatch, pause_dispatch, resume_dispatch
from harness import add_clients, wait_for


def requests_settle(stack, within: float = 2.0) -> int:
    """The emulator's request count once it has stopped moving, failing if it keeps moving."""
    time.sleep(within)
    settled = stack.emulator.stats()["requests"]
    time.sleep(1.0)
    assert stack.emulator.stats()["requests"] == settled, "requests went on"
    return settled


def test_pause_resume_and_cancel_take_effect_within_two_seconds(stack):
    stack.configure(sending={"rate_limit": 40})
    add_clients(300)
    stack.consumer()
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 20, timeout=10, what="sending")

    pause_dispatch(d.id)
    after_pause = requests_settle(stack)
    assert stack.counts(d.id).get("sending", 0) == 0

    resume_dispatch(d.id)
    wait_for(lambda: stack.emulator.stats()["requests"] > after_pause, timeout=2, what="sending again")

    cancel_dispatch(d.id)
    requests_settle(stack)
    wait_for(lambda: set(stack.counts(d.id)) == {"sent", "cancelled"}, timeout=3, what="all settled")
    got = stack.counts(d.id)
    assert got["cancelled"] > 100 and got["sent"] + got["cancelled"] == 300
