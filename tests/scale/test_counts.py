"""The status counters stay equal to the messages while three consumers send on Redis and
PostgreSQL through a faulty gateway and an operator pauses, cancels, ends, deletes, stops
phones, deletes clients and resends at random (tests/churn.py)."""
from __future__ import annotations

from churn import churn, start_faulty_hyber


def test_three_consumers_on_postgresql_keep_the_counters_equal_to_the_messages_at_every_moment(stack):
    stack.configure(gateway=start_faulty_hyber(stack))
    seen = churn(stack, consumers=3, seconds=15, seed=11)
    assert seen["delivered"] and seen["failed"] and seen["cancelled"] + seen["timeout"]
