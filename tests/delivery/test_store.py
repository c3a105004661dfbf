"""The storage side of sending, with time under the test's control."""
from __future__ import annotations

import datetime as dt

import pytest

from tui_notifier import counts
from tui_notifier.core.dispatches import cancel_dispatch, create_dispatch, pause_dispatch
from tui_notifier.delivery.store import leases, messages, reports
from tui_notifier.delivery.store.messages import Fate, Result
from tui_notifier.delivery.store.reports import ReportData, ReportOutcome
from tui_notifier.models import (
    Attempt,
    Client,
    DeliveryReport,
    Dispatch,
    DispatchStatus,
    Message,
    MessageStatus,
    TestSend,
)

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 09:00 in Moscow, 15:00 in Tokyo, 01:00 in New York


def at(minutes: float = 0, hours: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes, hours=hours)


def clients(count: int, zone: str = "UTC", code: str = "900", tag: str = "", first: int = 0):
    Client.insert_many([{"phone": f"7{code}{first + i:07d}", "operator_code": code, "tag": tag,
                         "timezone": zone} for i in range(count)]).execute()


def dispatch(hours: float = 10, **kwargs) -> Dispatch:
    return create_dispatch(T0, at(hours=hours), "hello", now=at(minutes=-1), **kwargs)


def statuses(dispatch_id) -> dict:
    out: dict = {}
    for (status,) in Message.select(Message.status).where(Message.dispatch == dispatch_id).tuples():
        out[status] = out.get(status, 0) + 1
    return out


def test_fan_out_creates_a_message_per_matching_client_and_starts_the_dispatch(db):
    clients(5, code="900", tag="vip")
    clients(3, code="901", tag="vip", first=100)
    clients(4, code="900", tag="", first=200)
    d = dispatch(operator_codes=["900"], tags=["vip"])

    result = messages.fan_out(d.id, now=T0)

    assert (result.created, result.started) == (5, True)
    d = Dispatch.get_by_id(d.id)
    assert d.status == DispatchStatus.RUNNING and d.fanned_out_at == T0
    rows = list(Message.select().where(Message.dispatch == d.id))
    assert {m.phone[:4] for m in rows} == {"7900"} and all(m.status == "created" for m in rows)
    assert all(m.next_attempt_at == T0 for m in rows)


def test_fan_out_happens_once_and_not_before_the_start(db):
    clients(3)
    d = dispatch()
    assert messages.fan_out(d.id, now=at(minutes=-1)).started is False
    assert messages.fan_out(d.id, now=T0).created == 3
    assert messages.fan_out(d.id, now=T0).started is False
    assert Message.select().count() == 3


def test_consumers_fanning_out_at_once_start_the_dispatch_exactly_once(db):
    import threading

    from tui_notifier.db import database

    clients(20_000)
    d = dispatch()
    results, barrier = [], threading.Barrier(6)

    def race():
        try:
            barrier.wait()
            results.append(messages.fan_out(d.id, now=T0))
        finally:
            database.close()

    threads = [threading.Thread(target=race) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(r.started for r in results) == [False] * 5 + [True]
    assert Dispatch.get_by_id(d.id).status == DispatchStatus.RUNNING
    assert Message.select().count() == 20_000


def test_a_dispatch_nobody_matches_finishes_at_once(db):
    clients(2, code="900")
    d = dispatch(operator_codes=["999"])
    result = messages.fan_out(d.id, now=T0)
    assert result.finished and Dispatch.get_by_id(d.id).status == DispatchStatus.FINISHED


def test_a_paused_dispatch_is_not_fanned_out(db):
    clients(2)
    d = dispatch()
    pause_dispatch(d.id, now=at(minutes=-1))
    assert messages.fan_out(d.id, now=T0).started is False
    assert messages.due_to_start(now=T0) == []


def test_claim_takes_due_messages_under_a_lease_of_its_owner(db):
    clients(10)
    d = dispatch()
    messages.fan_out(d.id, now=T0)

    claim = messages.claim(d.id, 4, lease_seconds=30, owner=7, now=T0)

    assert len(claim.messages) == 4 and claim.dispatch.status == "running"
    claimed = list(Message.select().where(Message.status == MessageStatus.SENDING))
    assert len(claimed) == 4
    assert all(m.lease_owner == 7 and m.lease_until == T0 + dt.timedelta(seconds=30) for m in claimed)
    second = messages.claim(d.id, 100, 30, 8, now=T0)
    assert len(second.messages) == 6
    assert not {m.id for m in claim.messages} & {m.id for m in second.messages}
    assert messages.claim(d.id, 100, 30, 8, now=T0).messages == []


def test_a_retry_that_comes_due_goes_before_the_bulk_still_waiting(db):
    clients(10)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    first = messages.claim(d.id, 2, 30, 1, now=T0).messages
    messages.record([Fate(first[0].id, Result.RETRY, T0, next_attempt_at=at(minutes=1), error="HTTP 503")], now=T0)

    claim = messages.claim(d.id, 2, 30, 1, now=at(minutes=2))

    assert first[0].id in {m.id for m in claim.messages}


def test_nothing_is_claimed_for_a_paused_or_ended_dispatch(db):
    clients(3)
    d = dispatch(hours=1)
    messages.fan_out(d.id, now=T0)
    assert messages.claim(d.id, 10, 30, 1, now=at(hours=1)).messages == []
    pause_dispatch(d.id, now=T0)
    assert messages.claim(d.id, 10, 30, 1, now=T0).messages == []
    assert not messages.has_claimable(d.id, now=T0)


def test_a_retry_waits_for_its_time(db):
    clients(1)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    (m,) = messages.claim(d.id, 10, 30, 1, now=T0).messages
    messages.record([Fate(m.id, Result.RETRY, T0, next_attempt_at=at(minutes=1), error="HTTP 503",
                            http_status=503)], now=T0)
    assert messages.claim(d.id, 10, 30, 1, now=at(minutes=0.5)).messages == []
    (again,) = messages.claim(d.id, 10, 30, 1, now=at(minutes=1)).messages
    assert again.id == m.id and again.attempts == 1


def test_results_move_messages_and_keep_an_attempt_per_request(db):
    clients(6)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    ms = messages.claim(d.id, 10, 30, 1, now=T0).messages
    messages.record([
        Fate(ms[0].id, Result.SENT, T0, provider_id="p-1", http_status=200, latency_ms=12),
        Fate(ms[1].id, Result.RETRY, T0, next_attempt_at=at(minutes=1), error="timeout after 2 s"),
        Fate(ms[2].id, Result.FAILED, T0, error="HTTP 400: bad phone", http_status=400),
        Fate(ms[3].id, Result.RELEASE, T0, next_attempt_at=T0),
        Fate(ms[4].id, Result.TIMEOUT, T0, error=messages.ENDED_ERROR),
        Fate(ms[5].id, Result.CANCEL, T0),
    ], now=T0)

    got = {m.id: m for m in Message.select()}
    assert got[ms[0].id].status == "sent" and got[ms[0].id].provider_id == "p-1"
    assert got[ms[0].id].sent_at == T0 and got[ms[0].id].attempts == 1
    assert (got[ms[1].id].status, got[ms[1].id].attempts, got[ms[1].id].last_error) == (
        "created", 1, "timeout after 2 s")
    assert (got[ms[2].id].status, got[ms[2].id].last_error) == ("failed", "HTTP 400: bad phone")
    assert (got[ms[3].id].status, got[ms[3].id].attempts) == ("created", 0)
    assert got[ms[4].id].status == "timeout" and got[ms[5].id].status == "cancelled"
    assert all(m.lease_until is None and m.lease_owner is None for m in got.values())
    attempts = {a.message_id: a for a in Attempt.select()}
    assert set(attempts) == {ms[0].id, ms[1].id, ms[2].id}
    assert attempts[ms[0].id].outcome == "sent" and attempts[ms[0].id].latency_ms == 12
    assert attempts[ms[2].id].outcome == "permanent"


def test_a_result_the_database_refuses_costs_no_other_and_is_kept_in_a_storable_form(db):
    clients(5)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    ms = messages.claim(d.id, 10, 30, 1, now=T0).messages
    garbled = Fate(ms[3].id, Result.RETRY, T0, next_attempt_at=at(minutes=1), error="HTTP 503: \ud800 \x00!",
                   http_status=503, latency_ms=2**70)

    lost = messages.record([Fate(m.id, Result.SENT, T0, http_status=200) for m in ms[:3]]
                           + [garbled, Fate(ms[4].id, Result.SENT, T0, http_status=200)], now=T0)

    assert lost == [] and statuses(d.id) == {"sent": 4, "created": 1}
    kept = Message.get_by_id(ms[3].id)
    assert (kept.attempts, kept.last_error) == (1, "HTTP 503: \\ud800 \\x00!")
    assert Attempt.get(Attempt.message == kept.id).latency_ms is None


def test_gateway_text_with_nul_is_written_out_the_same_on_every_database(db):
    clients(3)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    a, b, c = messages.claim(d.id, 10, 30, 1, now=T0).messages
    test = TestSend.create(dispatch=d.id, phone="79000000000", text="hello")

    lost = messages.record([Fate(a.id, Result.SENT, T0, http_status=200, provider_id="p\x00a"),
                            Fate(b.id, Result.RETRY, T0, next_attempt_at=at(minutes=1), error="HTTP 503: \x00busy",
                                 http_status=503),
                            Fate(c.id, Result.FAILED, T0, error="\x00")], now=T0)
    reports.record_reports([ReportOutcome(a.id, ReportData(status=5, channel="s\x00ms", raw='{"e": "\x00"}'),
                                          final_status="failed", error="undelivered\x00")], now=at(minutes=1))
    messages.record_test_send(test.id, MessageStatus.FAILED, "HTTP 500: \x00", provider_id="t\x00", now=T0)

    assert lost == [] and statuses(d.id) == {"failed": 2, "created": 1}
    assert Message.get_by_id(a.id).provider_id == "p\\x00a"
    assert Message.get_by_id(a.id).last_error == "undelivered\\x00"
    assert Message.get_by_id(b.id).last_error == "HTTP 503: \\x00busy"
    assert {x.message_id: x.error for x in Attempt.select()} == {a.id: "", b.id: "HTTP 503: \\x00busy", c.id: "\\x00"}
    report = DeliveryReport.get(DeliveryReport.message == a.id)
    assert (report.channel, report.raw) == ("s\\x00ms", '{"e": "\\x00"}')
    test = TestSend.get_by_id(test.id)
    assert (test.error, test.provider_id) == ("HTTP 500: \\x00", "t\\x00")


def test_a_late_failure_does_not_revive_a_timed_out_message_but_a_late_success_counts(db):
    clients(2)
    d = dispatch(hours=1)
    messages.fan_out(d.id, now=T0)
    a, b = messages.claim(d.id, 10, lease_seconds=5, owner=1, now=T0).messages
    messages.sweep_ended(now=at(hours=1))
    assert statuses(d.id) == {"timeout": 2}
    messages.record([Fate(a.id, Result.RETRY, T0, next_attempt_at=at(hours=2), error="HTTP 500"),
                    Fate(b.id, Result.SENT, T0, http_status=200)], now=at(hours=1))
    assert statuses(d.id) == {"timeout": 1, "sent": 1}


def test_an_expired_lease_or_a_dead_owner_puts_the_batch_back(db):
    clients(6)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    messages.claim(d.id, 2, lease_seconds=10, owner=1, now=T0)
    messages.claim(d.id, 2, lease_seconds=60, owner=2, now=T0)
    messages.claim(d.id, 2, lease_seconds=60, owner=3, now=T0)

    released = messages.release_stale(live_owners=[1, 3], now=at(minutes=0.5))

    # owner 1's lease ran out, owner 2 is dead, owner 3 is alive and in time
    assert len(released) == 4 and {t.dispatch_id for t in released} == {d.id}
    assert statuses(d.id) == {"created": 4, "sending": 2}
    assert len(messages.claim(d.id, 10, 30, 3, now=at(minutes=0.5)).messages) == 4


def test_renewing_keeps_a_slow_batch(db):
    clients(2)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    ids = [m.id for m in messages.claim(d.id, 10, lease_seconds=10, owner=1, now=T0).messages]
    assert messages.renew(ids, owner=1, lease_seconds=10, now=at(minutes=0.1)) == 2
    assert messages.release_stale([1], now=at(minutes=0.2)) == []


def test_at_the_end_unsent_messages_time_out_and_the_dispatch_finishes(db):
    clients(5)
    d = dispatch(hours=1)
    messages.fan_out(d.id, now=T0)
    in_flight = messages.claim(d.id, 2, lease_seconds=30, owner=1, now=at(minutes=59.9)).messages

    swept = messages.sweep_ended(now=at(hours=1))

    assert len(swept.timed_out) == 3 and swept.finished == []
    assert Dispatch.get_by_id(d.id).status == DispatchStatus.RUNNING
    messages.record([Fate(m.id, Result.SENT, at(minutes=59.9)) for m in in_flight], now=at(hours=1))
    assert messages.sweep_ended(now=at(hours=1, minutes=0.1)).finished == [d.id]
    d = Dispatch.get_by_id(d.id)
    assert d.status == DispatchStatus.FINISHED and d.finished_at == at(hours=1, minutes=0.1)
    assert statuses(d.id) == {"timeout": 3, "sent": 2}
    assert Message.get(Message.status == "timeout").last_error == messages.ENDED_ERROR


def test_a_dispatch_that_passed_with_no_consumer_shows_whom_it_missed(db):
    clients(3)
    d = dispatch(hours=1)
    swept = messages.sweep_ended(now=at(hours=2))
    assert swept.finished == [d.id] and statuses(d.id) == {"timeout": 3}


def test_a_running_dispatch_with_nothing_left_finishes(db):
    clients(2)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    ms = messages.claim(d.id, 10, 30, 1, now=T0).messages
    assert not messages.finish_if_done(d.id, now=T0)
    messages.record([Fate(m.id, Result.SENT, T0) for m in ms], now=T0)
    assert messages.finish_if_done(d.id, now=T0)


def attempts_of(message_id) -> list[str]:
    return [a.outcome for a in Attempt.select().where(Attempt.message == message_id).order_by(Attempt.id)]


def test_a_message_twice_in_one_write_takes_its_results_in_the_order_they_came(db):
    clients(3)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    a, b, c = messages.claim(d.id, 3, 30, 1, now=T0).messages
    messages.record([Fate(a.id, Result.SENT, T0, http_status=200),
                     Fate(b.id, Result.RETRY, T0, next_attempt_at=T0, error="HTTP 502"),
                     Fate(a.id, Result.RELEASE, T0, next_attempt_at=T0),
                     Fate(b.id, Result.SENT, T0, http_status=200),
                     Fate(c.id, Result.RETRY, T0, next_attempt_at=at(minutes=1), error="HTTP 503")], now=T0)
    assert {m.id: m.status for m in Message.select()} == {a.id: "sent", b.id: "sent", c.id: "created"}
    assert attempts_of(a.id) == ["sent"] and attempts_of(b.id) == ["transient", "sent"]
    assert Message.get_by_id(b.id).attempts == 2 and Message.get_by_id(c.id).last_error == "HTTP 503"
    assert counts.verify() == [] and counts.read()[d.id.hex] == {"sent": 2, "created": 1}


def test_a_write_longer_than_one_statement_writes_every_result(db, monkeypatch):
    monkeypatch.setattr(messages, "ROWS_PER_STATEMENT", 3)
    clients(14)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    ms = messages.claim(d.id, 14, 30, 1, now=T0).messages
    messages.record([Fate(m.id, Result.SENT, at(minutes=1), http_status=200, latency_ms=20, provider_id=f"p{m.id}")
                     for m in ms[:10]]
                    + [Fate(m.id, Result.RETRY, T0, next_attempt_at=at(minutes=5), error="HTTP 500", http_status=500)
                       for m in ms[10:]], now=at(minutes=2))
    rows = {m.id: m for m in Message.select()}
    assert all(rows[m.id].status == "sent" and rows[m.id].sent_at == at(minutes=1)
               and rows[m.id].provider_id == f"p{m.id}" and rows[m.id].lease_until is None for m in ms[:10])
    assert all(rows[m.id].status == "created" and rows[m.id].next_attempt_at == at(minutes=5)
               and rows[m.id].last_error == "HTTP 500" for m in ms[10:])
    assert sorted((a.message_id, a.outcome, a.http_status) for a in Attempt.select()) == sorted(
        [(m.id, "sent", 200) for m in ms[:10]] + [(m.id, "transient", 500) for m in ms[10:]])
    assert counts.verify() == [] and counts.read()[d.id.hex] == {"sent": 10, "created": 4}


def test_messages_of_a_cancelled_dispatch_that_come_back_are_cancelled(db):
    clients(3)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    a, b = messages.claim(d.id, 2, 30, 1, now=T0).messages
    cancel_dispatch(d.id, now=T0)
    messages.record([Fate(a.id, Result.RETRY, T0, next_attempt_at=T0, error="HTTP 502"),
                    Fate(b.id, Result.SENT, T0)], now=T0)
    assert [t.message_id for t in messages.settle_cancelled(d.id, now=T0)] == [a.id]
    assert statuses(d.id) == {"cancelled": 2, "sent": 1}
    assert messages.recently_cancelled(now=at(minutes=5)) == [d.id]


class TestSendWindows:
    """09:00-18:00 local time for clients in Moscow (UTC+3), Tokyo (UTC+9) and New York (UTC-5)."""

    @pytest.fixture
    def d(self, db):
        clients(2, zone="Europe/Moscow", first=0)
        clients(2, zone="Asia/Tokyo", first=10)
        clients(2, zone="America/New_York", first=20)
        d = dispatch(hours=20, window="09:00-18:00")
        messages.fan_out(d.id, now=T0)
        return d

    def claim_zones(self, d, now) -> list[str]:
        return sorted(m.timezone for m in messages.claim(d.id, 100, 30, 1, now=now).messages)

    def test_fan_out_makes_closed_zones_wait_for_their_opening(self, d):
        due = {tz: n for tz, n in Message.select(Message.timezone, Message.next_attempt_at).tuples()}
        assert due["Europe/Moscow"] == T0 and due["Asia/Tokyo"] == T0
        assert due["America/New_York"] == at(hours=8)  # 09:00 in New York is 14:00 UTC

    def test_each_zone_is_sent_while_its_window_is_open(self, d):
        assert self.claim_zones(d, T0) == ["Asia/Tokyo"] * 2 + ["Europe/Moscow"] * 2
        assert self.claim_zones(d, at(hours=4)) == []
        assert self.claim_zones(d, at(hours=8)) == ["America/New_York"] * 2

    def test_a_message_left_when_its_window_closes_waits_for_the_next_opening(self, d):
        # Tokyo closes at 09:00 UTC; its messages were never claimed
        assert self.claim_zones(d, at(hours=3, minutes=1)) == ["Europe/Moscow"] * 2
        assert not messages.has_claimable(d.id, now=at(hours=3, minutes=1))
        assert messages.defer_closed(d.id, now=at(hours=3, minutes=1)) == 2
        tokyo = {m.next_attempt_at for m in Message.select().where(Message.timezone == "Asia/Tokyo")}
        assert tokyo == {dt.datetime(2026, 3, 3, 0, 0, tzinfo=UTC)}  # 09:00 next day in Tokyo

    def test_a_zone_whose_window_opens_after_the_end_times_out(self, db):
        clients(1, zone="America/New_York")
        clients(1, zone="Europe/Moscow", first=5)
        d = dispatch(hours=2, window="09:00-18:00")
        messages.fan_out(d.id, now=T0)
        (moscow,) = messages.claim(d.id, 100, 30, 1, now=T0).messages
        messages.record([Fate(moscow.id, Result.SENT, T0)], now=T0)
        assert messages.claim(d.id, 100, 30, 1, now=at(hours=1)).messages == []
        assert [t.client_id for t in messages.sweep_ended(now=at(hours=2)).timed_out] == [1]

    def test_a_window_may_wrap_midnight(self, db):
        clients(1, zone="Asia/Tokyo")
        d = dispatch(hours=20, window="22:00-02:00")
        messages.fan_out(d.id, now=T0)
        assert messages.claim(d.id, 10, 30, 1, now=T0).messages == []
        assert len(messages.claim(d.id, 10, 30, 1, now=at(hours=7)).messages) == 1  # 22:00 in Tokyo


def test_a_lease_runs_periodic_work_once_per_period(db):
    assert leases.acquire("tick", 1, 2, now=T0)
    assert not leases.acquire("tick", 2, 2, now=T0)
    assert not leases.acquire("tick", 1, 2, now=at(minutes=1 / 60))
    assert leases.acquire("tick", 2, 2, now=at(minutes=2 / 60))


def test_a_lease_of_a_dead_holder_is_free(db):
    assert leases.acquire("pump:x", 1, 60, now=T0)
    assert not leases.is_free("pump:x", now=T0, live_holders=[1])
    assert leases.is_free("pump:x", now=T0, live_holders=[2])
    assert leases.acquire("pump:x", 2, 60, now=T0, live_holders=[2])


def test_heartbeats_tell_which_consumers_are_alive(db):
    first = leases.beat(None, "q", "external", "host", 11, now=T0)
    second = leases.beat(None, "q", "embedded", "host", 12, now=T0)
    assert leases.beat(first, "q", "external", "host", 11, now=at(minutes=1)) == first
    assert [c.id for c in leases.consumers("q", fresh_seconds=5, now=at(minutes=1))] == [first]
    leases.forget_consumer(first)
    assert [c.id for c in leases.consumers("q")] == [second]


def test_delivery_reports_are_polled_until_final_and_kept_when_they_change(db):
    clients(2)
    d = dispatch()
    messages.fan_out(d.id, now=T0)
    a, b = messages.claim(d.id, 10, 30, 1, now=T0).messages
    messages.record([Fate(a.id, Result.SENT, T0, provider_id="pa", next_attempt_at=at(minutes=1)),
                    Fate(b.id, Result.SENT, T0, provider_id="pb", next_attempt_at=at(minutes=1))],
                   now=T0)
    assert reports.claim_reports(10, 30, now=T0) == []
    due = reports.claim_reports(10, 30, now=at(minutes=1))
    assert [(r.message_id, r.provider_id, r.last_key) for r in due] == [(a.id, "pa", None), (b.id, "pb", None)]
    assert reports.claim_reports(10, 30, now=at(minutes=1)) == []  # under lease

    pending = ReportData(status=-1)
    reports.record_reports([ReportOutcome(a.id, pending, next_poll_at=at(minutes=2)),
                            ReportOutcome(b.id, ReportData(status=5, substatus=51),
                                          final_status="failed", error="not delivered")],
                           now=at(minutes=1))
    (again,) = reports.claim_reports(10, 30, now=at(minutes=2))
    assert again.last_key == (-1, None, None)
    reports.record_reports([ReportOutcome(a.id, ReportData(status=2, substatus=23), final_status="delivered")],
                           now=at(minutes=2))
    assert statuses(d.id) == {"delivered": 1, "failed": 1}
    assert [r.status for r in DeliveryReport.select().where(DeliveryReport.message == a.id)] == [-1, 2]
    assert Message.get_by_id(b.id).last_error == "not delivered"
