"""The database helpers every face shares: a group commit answering each write of many threads."""
import threading

import pytest

from harness import wait_for
from tui_notifier.db import GroupCommit


class Gated:
    """A batch writer whose first batch waits for `release()`, so the writes sent meanwhile queue."""

    def __init__(self, write):
        self.write = write
        self.batches: list[list] = []
        self.first_in = threading.Event()
        self.gate = threading.Event()

    def __call__(self, items):
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.first_in.set()
            assert self.gate.wait(30)
        return self.write(items)


def submit_all(group: GroupCommit, gated: Gated, first, others) -> dict:
    results: dict = {}

    def submit(item):
        try:
            results[item] = group.submit(item)
        except Exception as exc:
            results[item] = exc

    threads = [threading.Thread(target=submit, args=(first,))]
    threads[0].start()
    assert gated.first_in.wait(30)
    threads += [threading.Thread(target=submit, args=(item,)) for item in others]
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: group.waiting == len(others), 30, 0.01, "every write queued")
    gated.gate.set()
    for thread in threads:
        thread.join(30)
    return results


def test_a_lone_write_is_written_at_once_in_a_batch_of_its_own():
    batches = []
    group = GroupCommit(lambda items: batches.append(items) or [item * 10 for item in items])
    assert group.submit(4) == 40
    assert batches == [[4]] and group.waiting == 0


def test_writes_arriving_while_a_batch_is_written_go_together_in_the_next_and_each_gets_its_own_result():
    gated = Gated(lambda items: [item * 10 for item in items])
    group = GroupCommit(gated)
    results = submit_all(group, gated, 0, range(1, 8))
    assert results == {n: n * 10 for n in range(8)}
    assert gated.batches[0] == [0] and sorted(gated.batches[1]) == list(range(1, 8)) and len(gated.batches) == 2


def test_a_batch_that_fails_is_written_again_one_by_one_so_only_the_bad_write_fails():
    def write(items):
        if "bad" in items:
            raise ValueError("a bad item")
        return [item.upper() for item in items]

    gated = Gated(write)
    results = submit_all(GroupCommit(gated), gated, "a", ["b", "bad", "c"])
    assert {item: results[item] for item in "abc"} == {"a": "A", "b": "B", "c": "C"}
    assert isinstance(results["bad"], ValueError)
    assert sorted(map(sorted, gated.batches[2:])) == [["b"], ["bad"], ["c"]]


def test_a_result_that_is_an_error_is_raised_to_its_own_caller_only():
    group = GroupCommit(lambda items: [KeyError(item) if item < 0 else item for item in items])
    with pytest.raises(KeyError):
        group.submit(-1)
    assert group.submit(1) == 1
