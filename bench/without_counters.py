"""`python bench/without_counters.py ARGS`: the program as `python -m tui_notifier ARGS` runs it,
with the status counters' upkeep made to do nothing (no tally, no reads of the statuses around a
result, no counter rows), in this process only: the baseline `bench/counters.py` compares the
real consumer with."""
from __future__ import annotations

import runpy

from tui_notifier import counts


class _NoTally:
    """A tally that keeps and writes nothing."""

    def add(self, *_args, **_kwargs) -> None:
        pass

    move = moves = apply = add


class _NoWatch:
    """A watch that reads and writes nothing."""

    def __init__(self, _message_ids) -> None:
        pass

    def update(self, *_args) -> None:
        pass

    def apply(self) -> None:
        pass


def _no_rows(_dispatch_id) -> None:
    pass


counts.Tally = _NoTally
counts.Watch = _NoWatch
counts.prepare = _no_rows

if __name__ == "__main__":
    runpy.run_module("tui_notifier", run_name="__main__", alter_sys=True)
