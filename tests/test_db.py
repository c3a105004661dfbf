"""The database helpers every face shares: a group commit answering each write of many threads."""
import threading

import pytest

from harness import wait_for
from tui_notifier.core import clients
from tui_notifier.db import GroupCommit, close_database, database, one_writer, open_database, writer_connection


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


def test_a_write_finding_none_in_progress_pauses_first_so_the_writes_sent_meanwhile_join_its_batch():
    batches, results = [], {}
    group = GroupCommit(lambda items: batches.append(sorted(items)) or [item * 10 for item in items],
                        pause=lambda: wait_for(lambda: group.waiting == 2, 30, 0.01, "the second write queued"))

    def submit(item):
        results[item] = group.submit(item)

    threads = [threading.Thread(target=submit, args=(item,)) for item in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert batches == [[1, 2]] and results == {1: 10, 2: 20}


def test_the_pause_goes_on_while_each_pause_brings_more_writes_into_the_batch():
    """Writes that reach the group a pause or two later still join the batch; a pause that
    brings none ends the gathering."""
    batches, results, pauses = [], {}, []
    late = [2, 3, 4]

    def submit(item):
        results[item] = group.submit(item)

    def pause():
        pauses.append(group.waiting)
        if late:
            thread = threading.Thread(target=submit, args=(late.pop(0),))
            threads.append(thread)
            thread.start()
            wait_for(lambda: group.waiting == len(pauses) + 1, 30, 0.01, "the next write queued")

    group = GroupCommit(lambda items: batches.append(sorted(items)) or [item * 10 for item in items], pause=pause)
    threads: list[threading.Thread] = []
    submit(1)
    for thread in threads:
        thread.join(30)
    assert batches == [[1, 2, 3, 4]] and results == {n: n * 10 for n in (1, 2, 3, 4)}
    assert pauses == [1, 2, 3, 4]


def test_the_write_handed_the_writing_by_a_batch_pauses_too_before_taking_its_own():
    """The first of the writes that queued behind a batch leads the next one, and pauses first
    as a write finding none in progress does, so writes arriving just then still join it."""
    written_before_each_pause = []
    gated = Gated(lambda items: [item * 10 for item in items])
    group = GroupCommit(gated, pause=lambda: written_before_each_pause.append(len(gated.batches)))
    results = submit_all(group, gated, 0, range(1, 4))
    assert results == {n: n * 10 for n in range(4)}
    assert written_before_each_pause[0] == 0 and 1 in written_before_each_pause


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


def _data_version() -> int:
    """SQLite's count of commits that other connections made, as the current connection sees it."""
    return database.execute_sql("PRAGMA data_version").fetchone()[0]


@pytest.mark.sqlite_only
def test_writes_from_any_thread_go_through_one_connection_and_leave_each_threads_own(db):
    seen, own_after = [], []

    def write():
        own = database.connection()
        with one_writer(), writer_connection():
            seen.append(database.connection())
        own_after.append(database.connection() is own and not database.in_transaction())
        close_database()

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(seen) == 3 and len({id(conn) for conn in seen}) == 1 and own_after == [True] * 3
    assert all(conn is not database.connection() for conn in seen)


@pytest.mark.sqlite_only
def test_clients_added_together_from_other_threads_are_written_by_the_one_writer_connection(db):
    """No other connection commits: the writer's cache of the pages it wrote stays valid."""
    with one_writer(), writer_connection():
        before = _data_version()

    def add(n: int):
        clients.add_client_together(f"7900000000{n}")
        close_database()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert clients.count_clients() == 3
    with one_writer(), writer_connection():
        assert _data_version() == before


@pytest.mark.sqlite_only
def test_inside_a_transaction_the_writer_connection_stays_on_the_threads_own(db):
    with database.atomic():
        own = database.connection()
        with writer_connection():
            assert database.connection() is own and database.in_transaction()


@pytest.mark.sqlite_only
def test_opening_another_database_closes_the_writer_connection_of_the_one_before(db, tmp_path):
    with one_writer(), writer_connection():
        writer = database.connection()
    open_database(str(tmp_path / "other.db"))
    with pytest.raises(Exception, match="closed"):
        writer.execute("SELECT 1")
