"""The status counters stay equal to the messages while two consumers send on SQLite through a
faulty gateway and an operator pauses, cancels, ends, deletes, stops phones, deletes clients
and resends at random (tests/churn.py)."""
from __future__ import annotations

from churn import churn, start_faulty_hyber


def test_the_counters_equal_the_messages_at_every_moment_while_consumers_send_and_an_operator_changes_things(stack):
    stack.configure(gateway=start_faulty_hyber(stack))
    seen = churn(stack, consumers=2, seconds=12, seed=7)
    assert seen["delivered"] and seen["failed"] and seen["cancelled"] + seen["timeout"]
