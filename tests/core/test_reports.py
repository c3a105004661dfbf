"""Reports: messages counted by status per dispatch, message pages, and one message's history."""
import datetime as dt
import sqlite3

import pytest

from tui_notifier.core.errors import NotFound
from tui_notifier.core import dispatches
from tui_notifier.core.reports import (
    all_reports, count_messages, dispatch_messages, dispatch_report, message_history, refreshed_reports,
    reports_version, top_errors,
)
from tui_notifier import counts
from tui_notifier.db import database
from tui_notifier.delivery.store import messages as store
from tui_notifier.models import Attempt, DeliveryReport, Message, MessageStatus

SEED_KEYS = ("id", "start_datetime", "end_datetime", "message_text", "filter_mobile_operator_code__code",
             "filter_tag__code", "created", "completed", "error", "timeout")


def test_a_report_counts_a_dispatchs_messages_by_status_with_the_total(new_dispatch, give_messages):
    dispatch = new_dispatch()
    give_messages(dispatch, created=4, sending=1, sent=3, delivered=5, failed=2, timeout=1, cancelled=6)
    report = dispatch_report(dispatch.id)
    assert report.counts == {"created": 4, "sending": 1, "sent": 3, "delivered": 5, "failed": 2,
                             "timeout": 1, "cancelled": 6}
    assert report.total == 22
    assert report.done == 22 - 4 - 1


def test_a_dispatch_without_messages_reports_zero_of_everything(new_dispatch):
    report = dispatch_report(new_dispatch().id)
    assert (report.counts, report.total, report.done) == ({}, 0, 0)
    assert report.as_json()["counts"] == {status: 0 for status in MessageStatus.ALL}


def test_the_json_report_has_the_report_api_shape_with_its_counts(new_dispatch, give_messages):
    dispatch = new_dispatch(start="2030-01-21T15:52:00Z", end="2030-01-27T18:44:00+03:00", text="Test 5",
                            operator_codes="911", tags="javascript")
    give_messages(dispatch, created=1, sending=2, sent=3, delivered=4, failed=5, timeout=6, cancelled=7)
    data = dispatch_report(dispatch.id).as_json()
    assert {key: data[key] for key in SEED_KEYS} == {
        "id": str(dispatch.id),
        "start_datetime": "2030-01-21T15:52:00Z",
        "end_datetime": "2030-01-27T15:44:00Z",
        "message_text": "Test 5",
        "filter_mobile_operator_code__code": "911",
        "filter_tag__code": "javascript",
        "created": 1 + 2,
        "completed": 3 + 4,
        "error": 5,
        "timeout": 6,
    }
    assert data["total"] == 28 and data["counts"]["cancelled"] == 7
    assert data["status"] == "scheduled"


def test_the_json_report_joins_several_filter_values_with_commas_and_leaves_none_empty(new_dispatch):
    many = dispatch_report(new_dispatch(operator_codes="901,900", tags="b,a").id).as_json()
    assert (many["filter_mobile_operator_code__code"], many["filter_tag__code"]) == ("900,901", "a,b")
    everyone = dispatch_report(new_dispatch().id).as_json()
    assert (everyone["filter_mobile_operator_code__code"], everyone["filter_tag__code"]) == ("", "")


def test_the_report_of_all_dispatches_lists_each_with_its_own_counts(new_dispatch, give_messages, now):
    first = new_dispatch(start=now + dt.timedelta(hours=1))
    second = new_dispatch(start=now + dt.timedelta(hours=2))
    quiet = new_dispatch(start=now + dt.timedelta(hours=3))
    give_messages(first, sent=2, failed=1)
    give_messages(second, delivered=4)
    reports = {r.dispatch.id: r for r in all_reports()}
    assert set(reports) == {first.id, second.id, quiet.id}
    assert reports[first.id].counts == {"sent": 2, "failed": 1}
    assert reports[second.id].counts == {"delivered": 4}
    assert reports[quiet.id].total == 0


def test_the_report_of_all_dispatches_shows_the_latest_start_first(new_dispatch, now):
    early = new_dispatch(start=now + dt.timedelta(hours=1))
    late = new_dispatch(start=now + dt.timedelta(hours=5))
    assert [r.dispatch.id for r in all_reports()] == [late.id, early.id]


def test_the_report_of_all_dispatches_is_empty_without_dispatches(db):
    assert all_reports() == []


def test_one_dispatchs_report_is_found_by_a_leading_part_of_its_id(new_dispatch, give_messages):
    dispatch = new_dispatch()
    give_messages(dispatch, sent=1)
    assert dispatch_report(str(dispatch.id)[:8]).total == 1
    with pytest.raises(NotFound):
        dispatch_report("ffffffff-ffff-ffff-ffff-ffffffffffff")


# --- messages, paged ---------------------------------------------------------------------

def test_a_dispatchs_messages_come_in_pages_in_id_order(new_dispatch, give_messages):
    dispatch = new_dispatch()
    made = give_messages(dispatch, created=30, sent=25)
    give_messages(new_dispatch(), sent=5)
    pages = [dispatch_messages(dispatch.id, limit=20, offset=offset) for offset in (0, 20, 40, 60)]
    assert [len(page) for page in pages] == [20, 20, 15, 0]
    assert [m.id for page in pages for m in page] == sorted(m.id for m in made)
    assert count_messages(dispatch.id) == 55


def test_message_pages_can_show_only_one_status(new_dispatch, give_messages):
    dispatch = new_dispatch()
    give_messages(dispatch, created=3, failed=4, sent=2)
    failed = dispatch_messages(dispatch.id, status="failed")
    assert [m.status for m in failed] == ["failed"] * 4
    assert count_messages(dispatch.id, "failed") == 4
    assert dispatch_messages(dispatch.id, status="failed", limit=3, offset=3)[0].id == failed[3].id


def test_the_most_frequent_errors_come_first(new_dispatch, give_messages):
    dispatch = new_dispatch()
    messages = give_messages(dispatch, failed=6, sent=1)
    for message, error in zip(messages, ["HTTP 400", "HTTP 400", "HTTP 400", "timeout", "timeout", "HTTP 403"]):
        Message.update(last_error=error).where(Message.id == message.id).execute()
    assert top_errors(dispatch.id) == [("HTTP 400", 3), ("timeout", 2), ("HTTP 403", 1)]
    assert top_errors(dispatch.id, limit=1) == [("HTTP 400", 3)]


# --- one message's history ---------------------------------------------------------------

def test_a_messages_history_lists_its_attempts_and_delivery_reports_in_order(new_dispatch, give_messages, now):
    message, other = give_messages(new_dispatch(), sent=2)
    Attempt.create(message=message, at=now, outcome="transient", http_status=503, error="busy")
    Attempt.create(message=message, at=now + dt.timedelta(seconds=2), outcome="sent", http_status=200)
    Attempt.create(message=other, at=now, outcome="sent", http_status=200)
    DeliveryReport.create(message=message, status=-1, reported_at=now)
    DeliveryReport.create(message=message, status=2, reported_at=now + dt.timedelta(seconds=9))
    history = message_history(message.id)
    assert history.message.id == message.id
    assert [(a.outcome, a.http_status, a.error) for a in history.attempts] == [
        ("transient", 503, "busy"), ("sent", 200, "")]
    assert [r.status for r in history.reports] == [-1, 2]
    assert history.reports[1].reported_at == now + dt.timedelta(seconds=9)


def test_the_history_of_a_missing_message_is_not_found(db):
    with pytest.raises(NotFound):
        message_history(12345)


def test_send_rates_count_each_dispatchs_sends_per_second_of_the_last_minute(new_dispatch, give_messages, now):
    from tui_notifier.core.reports import sends_per_second, sends_per_second_of

    first, second, quiet = new_dispatch(), new_dispatch(), new_dispatch()
    ages = {first: [0.5, 0.7, 30.2, 59.9, 61, 3600], second: [1.5]}
    for dispatch, seconds_ago in ages.items():
        for message, age in zip(give_messages(dispatch, sent=len(seconds_ago)), seconds_ago):
            Message.update(sent_at=now - dt.timedelta(seconds=age)).where(Message.id == message.id).execute()

    rates = sends_per_second_of([first.id, second.id, quiet.id], now, 60)

    assert rates[first.id][59] == 2 and rates[first.id][29] == 1 and rates[first.id][0] == 1
    assert sum(rates[first.id]) == 4
    assert rates[second.id][58] == 1 and sum(rates[second.id]) == 1
    assert rates[quiet.id] == [0] * 60
    assert sends_per_second(str(first.id), now, 60) == rates[first.id]
    assert sends_per_second_of([], now) == {}



def _shown(found) -> list:
    return [(r.dispatch.id, r.dispatch.status, r.counts) for r in found]


def test_a_refresh_reads_what_changed_and_ends_up_with_what_a_full_read_gives(new_dispatch, give_messages, now):
    quiet, busy = new_dispatch(), new_dispatch(start=now + dt.timedelta(minutes=1))
    give_messages(quiet, delivered=2)
    store.fan_out(busy.id, now=now + dt.timedelta(minutes=30))
    first = refreshed_reports()
    assert _shown(first.reports) == _shown(all_reports()) and first.changed == {quiet.id.hex, busy.id.hex}

    steady = refreshed_reports(first)
    assert _shown(steady.reports) == _shown(all_reports())

    dispatches.pause_dispatch(quiet.id, now=now)
    store.claim(busy.id, 1, lease_seconds=10, owner=1, now=now + dt.timedelta(minutes=30))
    third = new_dispatch(text="Third")
    changed = refreshed_reports(steady)
    assert _shown(changed.reports) == _shown(all_reports())
    assert dispatch_report(busy.id).counts == {"created": 1, "sending": 1}
    assert {quiet.id.hex, busy.id.hex, third.id.hex} <= changed.changed

    dispatches.delete_dispatch(quiet.id)
    after_delete = refreshed_reports(changed)
    assert _shown(after_delete.reports) == _shown(all_reports()) and len(after_delete.reports) == 2


def test_the_reports_version_stays_while_nothing_changes_and_moves_with_every_change(new_dispatch, give_messages,
                                                                                    now):
    quiet, busy = new_dispatch(), new_dispatch(start=now + dt.timedelta(minutes=1))
    give_messages(quiet, delivered=2)
    store.fan_out(busy.id, now=now + dt.timedelta(minutes=30))
    seen = [reports_version()]
    assert reports_version() == seen[0]

    def changed(change) -> None:
        change()
        version = reports_version()
        assert version not in seen
        seen.append(version)

    changed(lambda: store.claim(busy.id, 1, lease_seconds=10, owner=1, now=now + dt.timedelta(minutes=30)))
    changed(lambda: dispatches.pause_dispatch(quiet.id, now=now))
    changed(lambda: new_dispatch(text="Third"))
    changed(lambda: dispatches.delete_dispatch(quiet.id))
    assert reports_version() == seen[-1]


@pytest.mark.sqlite_only
def test_an_unchanged_database_gives_its_version_without_reading_counters_or_dispatches(new_dispatch, give_messages):
    give_messages(new_dispatch(), sent=2)
    first = reports_version()
    statements = []
    database.connection().set_trace_callback(statements.append)
    try:
        assert reports_version() == first
    finally:
        database.connection().set_trace_callback(None)
    assert statements == ["PRAGMA data_version"]


@pytest.mark.sqlite_only
def test_a_change_another_process_commits_moves_the_version(new_dispatch, give_messages, db):
    busy = new_dispatch()
    give_messages(busy, sent=2)
    before = reports_version()
    with sqlite3.connect(db.database) as other:
        other.execute("UPDATE dispatch_count SET count = count + 1 WHERE dispatch_id = ? AND status = 'sent'",
                      (busy.id.hex,))
    after = reports_version()
    assert after != before
    assert after.counts()[busy.id.hex]["sent"] == 3


def test_the_reports_a_version_stands_for_are_the_reports_read_then(new_dispatch, give_messages, now):
    """A count that moves and moves back gives the version it had: the reports made from that
    version show its counts, not whatever was read in between."""
    busy = new_dispatch(start=now + dt.timedelta(minutes=1))
    give_messages(busy, created=2, delivered=3)
    version = reports_version()
    assert version.counts() == counts.read()
    assert _shown(all_reports(version)) == _shown(all_reports())

    with database.atomic():
        tally = counts.Tally()
        tally.move(busy.id, MessageStatus.CREATED, MessageStatus.SENDING)
        tally.apply()
    assert dispatch_report(busy.id).counts == {"created": 1, "sending": 1, "delivered": 3}
    assert _shown(all_reports(version)) == [(busy.id, busy.status, {"created": 2, "delivered": 3})]
