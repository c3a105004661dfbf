"""Send windows: `HH:MM-HH:MM` in the client's local time, open or closed, wrapping midnight."""
import datetime as dt

import pytest

from tui_notifier.core.errors import ValidationError
from tui_notifier.core.windows import Window, parse_window

UTC = dt.timezone.utc


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, start, end",
    [("09:00-21:00", dt.time(9), dt.time(21)), (" 9:05 - 17:30 ", dt.time(9, 5), dt.time(17, 30)),
     ("22:00-06:00", dt.time(22), dt.time(6)), ("00:00-23:59", dt.time(0), dt.time(23, 59))],
)
def test_a_window_is_read_from_hh_mm_hh_mm(text, start, end):
    window = parse_window(text)
    assert (window.start, window.end) == (start, end)


def test_a_window_prints_back_in_its_canonical_form():
    assert str(parse_window("9:05-7:00")) == "09:05-07:00"


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_no_window_means_any_time(empty):
    assert parse_window(empty) is None


def test_a_window_object_is_accepted_as_it_is():
    window = Window(dt.time(8), dt.time(20))
    assert parse_window(window) is window


@pytest.mark.parametrize(
    "bad",
    ["9-21", "09:00", "09:00-", "24:00-06:00", "09:00-24:00", "09:60-10:00", "10:00-10:00",
     "09:00-21:00-22:00", "09.00-21.00", "morning", 900, ["09:00", "21:00"]],
)
def test_anything_else_is_rejected_naming_the_window(bad):
    with pytest.raises(ValidationError) as caught:
        parse_window(bad)
    assert caught.value.field == "window"


def test_only_a_window_whose_end_comes_before_its_start_wraps_midnight():
    assert parse_window("22:00-06:00").wraps_midnight
    assert not parse_window("06:00-22:00").wraps_midnight


@pytest.mark.parametrize(
    "local, inside",
    [(dt.time(8, 59), False), (dt.time(9), True), (dt.time(15), True), (dt.time(20, 59), True), (dt.time(21), False)],
)
def test_a_day_window_includes_its_start_and_excludes_its_end(local, inside):
    assert parse_window("09:00-21:00").contains(local) is inside


@pytest.mark.parametrize(
    "local, inside",
    [(dt.time(21, 59), False), (dt.time(22), True), (dt.time(23, 30), True), (dt.time(0), True),
     (dt.time(5, 59), True), (dt.time(6), False), (dt.time(12), False)],
)
def test_a_night_window_spans_midnight(local, inside):
    assert parse_window("22:00-06:00").contains(local) is inside


def test_whether_a_window_is_open_depends_on_the_clients_local_time():
    window = parse_window("09:00-21:00")
    at = utc(2030, 3, 1, 6, 30)
    assert not window.is_open("UTC", at)
    assert window.is_open("Europe/Moscow", at)
    assert window.is_open("Asia/Vladivostok", at)
    assert not window.is_open("America/New_York", at)


def test_an_open_window_opens_now():
    at = utc(2030, 3, 1, 12)
    assert parse_window("09:00-21:00").next_open("UTC", at) == at


def test_a_window_not_yet_open_today_opens_later_today_in_local_time():
    opens = parse_window("09:00-21:00").next_open("Europe/Moscow", utc(2030, 3, 1, 3))
    assert opens == utc(2030, 3, 1, 6)
    assert opens.utcoffset() == dt.timedelta(0)


def test_a_window_already_closed_today_opens_tomorrow():
    assert parse_window("09:00-21:00").next_open("Europe/Moscow", utc(2030, 3, 1, 19)) == utc(2030, 3, 2, 6)


def test_a_night_window_closed_at_noon_opens_in_the_evening():
    assert parse_window("22:00-06:00").next_open("Asia/Vladivostok", utc(2030, 3, 1, 2)) == utc(2030, 3, 1, 12)


def test_the_next_opening_follows_a_daylight_saving_change():
    window = parse_window("09:00-17:00")
    before_change = utc(2030, 3, 9, 23)
    assert window.next_open("America/New_York", before_change) == utc(2030, 3, 10, 13)
    assert window.next_open("America/New_York", utc(2030, 3, 9, 12)) == utc(2030, 3, 9, 14)


def test_the_next_opening_is_when_the_window_is_open():
    window = parse_window("22:00-06:00")
    at = utc(2030, 6, 1, 7, 13)
    opens = window.next_open("Europe/Berlin", at)
    assert opens > at
    assert window.is_open("Europe/Berlin", opens)
    assert not window.is_open("Europe/Berlin", opens - dt.timedelta(minutes=1))


def _open_runs(window, zone: str, around: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every stretch, minute by minute over the 30 hours around `around`, when the window is open."""
    runs, opened = [], None
    moment = around - dt.timedelta(hours=15)
    while moment <= around + dt.timedelta(hours=15):
        if window.is_open(zone, moment):
            opened = opened or moment
        elif opened:
            runs.append((opened, moment))
            opened = None
        moment += dt.timedelta(minutes=1)
    return runs


# (zone, window, the day's opening and closing in UTC): each window starts in an hour the
# clocks skip (spring forward) or repeat (fall back) that night.
SKIPPED = [
    ("America/New_York", "02:30-03:30", utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)),
    ("America/New_York", "02:15-02:45", utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)),
    ("Europe/London", "01:30-02:30", utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30)),
    ("Australia/Sydney", "02:30-03:30", utc(2026, 10, 3, 16), utc(2026, 10, 3, 16, 30)),
    ("Australia/Lord_Howe", "02:10-03:00", utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16)),
    ("America/New_York", "23:00-02:30", utc(2026, 3, 8, 4), utc(2026, 3, 8, 7)),
]
REPEATED = [
    ("America/New_York", "01:15-01:45", utc(2026, 11, 1, 5, 15), utc(2026, 11, 1, 5, 45)),
    ("America/New_York", "01:30-02:30", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30)),
    ("Europe/London", "01:15-01:45", utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),
    ("Australia/Sydney", "02:15-02:45", utc(2026, 4, 4, 15, 15), utc(2026, 4, 4, 15, 45)),
    ("Australia/Lord_Howe", "01:40-01:50", utc(2026, 4, 4, 14, 40), utc(2026, 4, 4, 14, 50)),
    ("Australia/Sydney", "22:00-02:30", utc(2026, 4, 4, 11), utc(2026, 4, 4, 15, 30)),
]


@pytest.mark.parametrize("zone, text, opens, closes", SKIPPED, ids=lambda v: str(v))
def test_a_window_starting_in_the_skipped_hour_opens_at_the_first_instant_after_the_jump(zone, text, opens, closes):
    window = parse_window(text)
    assert _open_runs(window, zone, opens) == [(opens, closes)]
    assert window.next_open(zone, opens - dt.timedelta(hours=3)) == opens


@pytest.mark.parametrize("zone, text, opens, closes", REPEATED, ids=lambda v: str(v))
def test_a_window_in_the_repeated_hour_opens_once_at_its_first_occurrence(zone, text, opens, closes):
    window = parse_window(text)
    assert _open_runs(window, zone, opens) == [(opens, closes)]
    assert window.next_open(zone, opens - dt.timedelta(hours=3)) == opens
    assert window.next_open(zone, closes) > closes + dt.timedelta(hours=12)


@pytest.mark.parametrize("zone, text, opens, closes", SKIPPED + REPEATED, ids=lambda v: str(v))
def test_the_days_around_a_clock_change_keep_their_window(zone, text, opens, closes):
    window = parse_window(text)
    for days in (-1, 1):
        day_before_or_after = opens + dt.timedelta(days=days)
        runs = _open_runs(window, zone, day_before_or_after)
        assert len(runs) == 1
        assert window.length - dt.timedelta(hours=1) <= runs[0][1] - runs[0][0] <= window.length + dt.timedelta(hours=1)
