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
