"""Send windows against the real consumer, in each client's own time zone."""
from __future__ import annotations

import datetime as dt

from tui_notifier import clock
from tui_notifier.clock import utcnow
from harness import add_clients
from tui_notifier.models import Message


def at_clock(monkeypatch, fake_now: dt.datetime) -> None:
    """This process and the consumers it starts read `fake_now` as the time now."""
    offset = fake_now - dt.datetime.now(dt.timezone.utc)
    monkeypatch.setenv(clock.OFFSET_VARIABLE, str(offset.total_seconds()))
    monkeypatch.setattr(clock, "_offset", offset)


def test_clients_outside_their_window_wait_and_time_out_at_the_end(stack):
    stack.configure()
    add_clients(30, timezones=("UTC", "Asia/Tokyo", "Europe/London"))
    stack.consumer()
    now = utcnow()
    window = f"{now - dt.timedelta(hours=1):%H:%M}-{now + dt.timedelta(hours=1):%H:%M}"
    london_open = abs((now.astimezone(__import__("pytz").timezone("Europe/London")).utcoffset()
                       or dt.timedelta()).total_seconds()) < 3600

    d = stack.dispatch(lasts=4, window=window)
    waiting = stack.wait_status(d.id, "running", timeout=5)
    tokyo = list(Message.select().where(Message.timezone == "Asia/Tokyo"))
    assert all(m.next_attempt_at > now + dt.timedelta(hours=5) for m in tokyo)
    stack.wait_status(d.id, "finished", timeout=10)

    by_zone = {}
    for m in Message.select():
        by_zone.setdefault(m.timezone, set()).add(m.status)
    assert by_zone["UTC"] == {"sent"} and by_zone["Asia/Tokyo"] == {"timeout"}
    assert by_zone["Europe/London"] == ({"sent"} if london_open else {"timeout"})
    sent_ids = {str(m.id) for m in Message.select().where(Message.status == "sent")}
    assert set(stack.emulator.stats(ids=True)["ids"]) == sent_ids
    assert waiting.window == window


def test_a_window_opening_before_the_end_is_waited_for_with_time_under_the_tests_control(stack,
                                                                                       monkeypatch):
    """At 08:59:48 UTC on a winter day, a 09:00-18:00 window is open in Kolkata (14:29),
    opens in 12 s for UTC clients (time enough for the consumer to start on a loaded
    machine) and only after the end for New York (03:59)."""
    at_clock(monkeypatch, dt.datetime(2027, 1, 15, 8, 59, 48, tzinfo=dt.timezone.utc))
    stack.configure()
    add_clients(30, timezones=("UTC", "Asia/Kolkata", "America/New_York"))
    stack.consumer()
    opening = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.timezone.utc)

    d = stack.dispatch(lasts=20, window="09:00-18:00")
    stack.wait_status(d.id, "finished", timeout=40)

    attempts = {}
    for a in stack.attempts(d.id):
        attempts.setdefault(a.message.timezone, []).append(a.at)
    statuses = {}
    for m in Message.select():
        statuses.setdefault(m.timezone, set()).add(m.status)
    assert statuses == {"Asia/Kolkata": {"sent"}, "UTC": {"sent"}, "America/New_York": {"timeout"}}
    assert max(attempts["Asia/Kolkata"]) < opening
    assert opening <= min(attempts["UTC"]) < opening + dt.timedelta(seconds=3)
    assert "America/New_York" not in attempts
    sent_ids = {str(m.id) for m in Message.select().where(Message.status == "sent")}
    assert sorted(stack.emulator.stats(ids=True)["ids"]) == sorted(sent_ids)


def test_a_window_starting_in_the_hour_new_york_skips_opens_when_its_clocks_jump(stack, monkeypatch):
    """On 14 March 2027 New York's clocks go from 01:59:59 EST to 03:00 EDT (07:00 UTC): a
    02:30-03:30 window opens at 03:00 EDT for its clients, and stays shut for UTC's."""
    jump = dt.datetime(2027, 3, 14, 7, 0, tzinfo=dt.timezone.utc)
    at_clock(monkeypatch, jump - dt.timedelta(seconds=12))
    stack.configure()
    add_clients(40, timezones=("America/New_York", "UTC"))
    stack.consumer()

    d = stack.dispatch(lasts=20, window="02:30-03:30")
    stack.wait_status(d.id, "finished", timeout=40)

    statuses = {}
    for m in Message.select():
        statuses.setdefault(m.timezone, set()).add(m.status)
    assert statuses == {"America/New_York": {"sent"}, "UTC": {"timeout"}}
    starts = [a.at for a in stack.attempts(d.id)]
    assert len(starts) == 20 and jump <= min(starts) < jump + dt.timedelta(seconds=3)


def test_a_window_in_the_hour_new_york_repeats_does_not_open_a_second_time(stack, monkeypatch):
    """On 7 November 2027 New York's clocks go back from 01:59:59 EDT to 01:00 EST (06:00 UTC):
    a 01:15-01:45 window was open from 05:15 to 05:45 UTC, and the second 01:15 opens nothing."""
    second_time = dt.datetime(2027, 11, 7, 6, 15, tzinfo=dt.timezone.utc)
    at_clock(monkeypatch, second_time - dt.timedelta(seconds=5))
    stack.configure()
    add_clients(20, timezones=("America/New_York",))
    stack.consumer()

    d = stack.dispatch(lasts=12, window="01:15-01:45")
    stack.wait_status(d.id, "finished", timeout=40)

    assert {m.status for m in Message.select()} == {"timeout"}
    assert stack.attempts(d.id) == [] and stack.emulator.stats()["requests"] == 0
