"""Dispatches: validation of every field, the rules once a dispatch has started, state changes."""
import datetime as dt
import sqlite3
import uuid

import pytest

from tui_notifier.core import dispatches
from tui_notifier.core.clients import add_client
from tui_notifier.core.dispatches import (
    cancel_dispatch, delete_dispatch, get_dispatch, has_started, list_dispatches,
    pause_dispatch, preview_audience, resume_dispatch, update_dispatch,
)
from tui_notifier.core.errors import NotFound, StateError, ValidationError
from tui_notifier.models import Dispatch, DispatchStatus, Message

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def field_error(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


def stored(dispatch) -> Dispatch:
    return Dispatch.get_by_id(dispatch.id)


# --- creating ----------------------------------------------------------------------------

def test_a_new_dispatch_is_scheduled_with_a_uuid_and_everything_it_was_given(new_dispatch, now):
    dispatch = new_dispatch(text="Sale!", timezone="Europe/Moscow", operator_codes="900,901",
                            tags="vip", window="09:00-21:00")
    row = stored(dispatch)
    assert isinstance(row.id, uuid.UUID)
    assert row.status == DispatchStatus.SCHEDULED
    assert (row.message_text, row.timezone, row.operator_codes, row.tags, row.window) == (
        "Sale!", "Europe/Moscow", ["900", "901"], ["vip"], "09:00-21:00")
    assert (row.start_at, row.end_at) == (now + HOUR, now + dt.timedelta(days=1))


def test_an_aware_iso_time_is_kept_as_the_same_instant_in_utc(new_dispatch):
    row = stored(new_dispatch(start="2030-01-02T09:00:00+03:00", end="2030-01-03T00:00:00Z"))
    assert row.start_at == utc(2030, 1, 2, 6)
    assert row.end_at == utc(2030, 1, 3)
    assert row.start_at.utcoffset() == dt.timedelta(0)


def test_a_naive_iso_time_is_read_in_the_dispatch_time_zone(new_dispatch):
    row = stored(new_dispatch(start="2030-01-02T09:00", end="2030-01-02 21:30:00", timezone="Asia/Vladivostok"))
    assert row.start_at == utc(2030, 1, 1, 23)
    assert row.end_at == utc(2030, 1, 2, 11, 30)


def test_a_naive_time_follows_daylight_saving_of_the_dispatch_time_zone(new_dispatch):
    winter = stored(new_dispatch(start="2030-01-15T09:00", end="2030-07-15T09:00", timezone="America/New_York"))
    assert winter.start_at == utc(2030, 1, 15, 14)
    assert winter.end_at == utc(2030, 7, 15, 13)


def test_a_naive_time_without_a_time_zone_is_utc(new_dispatch):
    row = stored(new_dispatch(start="2030-01-02T09:00", end="2030-01-02T10:00"))
    assert (row.timezone, row.start_at) == ("UTC", utc(2030, 1, 2, 9))


def test_datetimes_are_accepted_too_naive_ones_read_in_the_dispatch_time_zone(new_dispatch):
    row = stored(new_dispatch(start=dt.datetime(2030, 1, 2, 9), end=utc(2030, 1, 3), timezone="Europe/Moscow"))
    assert (row.start_at, row.end_at) == (utc(2030, 1, 2, 6), utc(2030, 1, 3))


@pytest.mark.parametrize("bad", ["tomorrow", "2030-13-01T00:00", "2030-01-01T25:00", "01/02/2030 09:00", "", "  ", None, 1893456000])
def test_a_start_that_is_not_iso_8601_is_rejected_naming_the_start(new_dispatch, bad):
    assert field_error(new_dispatch, start=bad).field == "start"
    assert Dispatch.select().count() == 0


def test_an_end_that_is_not_iso_8601_is_rejected_naming_the_end(new_dispatch):
    assert field_error(new_dispatch, end="next week").field == "end"


@pytest.mark.parametrize("end_after_now", [HOUR, HOUR - dt.timedelta(seconds=1), dt.timedelta(0)])
def test_the_end_must_be_after_the_start(new_dispatch, now, end_after_now):
    error = field_error(new_dispatch, start=now + HOUR, end=now + end_after_now)
    assert error.field == "end" and "after the start" in error.message


def test_an_end_already_past_is_rejected_even_after_an_earlier_start(new_dispatch, now):
    assert field_error(new_dispatch, start=now - 2 * HOUR, end=now - HOUR).field == "end"


def test_a_dispatch_may_start_in_the_past_if_it_ends_in_the_future(new_dispatch, now):
    assert stored(new_dispatch(start=now - HOUR)).start_at == now - HOUR


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, 42])
def test_the_text_must_not_be_empty(new_dispatch, text):
    assert field_error(new_dispatch, text=text).field == "text"


def test_the_text_is_kept_literally_and_bounded(new_dispatch):
    literal = "  [bold]Скидка[/] 50%\nна всё  "
    assert stored(new_dispatch(text=literal)).message_text == literal
    assert field_error(new_dispatch, text="x" * (dispatches.MAX_TEXT_LENGTH + 1)).field == "text"


def test_the_time_zone_must_be_a_common_one_and_defaults_to_utc(new_dispatch):
    assert field_error(new_dispatch, timezone="Moon/Base").field == "timezone"
    assert stored(new_dispatch(timezone=None)).timezone == "UTC"


# --- filters -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "given, codes",
    [("900,901", ["900", "901"]), (" 901 , 900,,900 ", ["900", "901"]), (["901", 900, "900"], ["900", "901"]),
     ({"902"}, ["902"]), (903, ["903"]), ("", []), (None, []), ([], [])],
)
def test_operator_codes_are_a_set_given_as_a_list_or_a_comma_separated_string(new_dispatch, given, codes):
    assert stored(new_dispatch(operator_codes=given)).operator_codes == codes


@pytest.mark.parametrize("given", ["900,90", ["9000"], "abc", {"code": "900"}, 9.5])
def test_a_bad_operator_code_in_the_filter_is_rejected(new_dispatch, given):
    assert field_error(new_dispatch, operator_codes=given).field == "operator_codes"


@pytest.mark.parametrize(
    "given, tags",
    [("vip,new", ["new", "vip"]), (" vip , vip,, new ", ["new", "vip"]), (["vip", "vip"], ["vip"]),
     ("", []), (None, [])],
)
def test_tags_are_a_set_given_as_a_list_or_a_comma_separated_string(new_dispatch, given, tags):
    assert stored(new_dispatch(tags=given)).tags == tags


def test_a_tag_in_the_filter_longer_than_a_client_tag_may_be_is_rejected(new_dispatch):
    assert field_error(new_dispatch, tags=["x" * 65]).field == "tags"


# --- send window -------------------------------------------------------------------------

@pytest.mark.parametrize("window, stored_as", [("09:00-21:00", "09:00-21:00"), ("22:00-06:30", "22:00-06:30"),
                                               (" 9:05 - 17:00 ", "09:05-17:00"), ("", None), (None, None)])
def test_the_send_window_is_optional_and_may_wrap_midnight(new_dispatch, window, stored_as):
    assert stored(new_dispatch(window=window)).window == stored_as


@pytest.mark.parametrize("window", ["9-21", "09:00", "24:00-06:00", "09:60-10:00", "10:00-10:00", "morning"])
def test_a_window_that_is_not_hh_mm_hh_mm_is_rejected(new_dispatch, window):
    assert field_error(new_dispatch, window=window).field == "window"


# --- audience preview --------------------------------------------------------------------

@pytest.fixture
def audience(db):
    for phone, tag in (("79001110001", "vip"), ("79001110002", "new"), ("79011110003", "vip"),
                       ("79021110004", ""), ("79021110005", "vip")):
        add_client(phone, tag=tag)


@pytest.mark.parametrize(
    "codes, tags, count",
    [(None, None, 5), ("900", None, 2), ("900,901", None, 3), (None, "vip", 3), (None, "vip,new", 4),
     ("900,902", "vip", 2), (["901"], ["new"], 0), ("777", None, 0)],
)
def test_the_audience_preview_counts_clients_matching_every_given_filter(audience, codes, tags, count):
    assert preview_audience(codes, tags) == count


def test_the_audience_preview_checks_its_filters(audience):
    assert field_error(preview_audience, "90x").field == "operator_codes"


# --- finding and listing -----------------------------------------------------------------

def test_a_dispatch_is_found_by_its_id_in_any_spelling_or_by_a_unique_leading_part(new_dispatch):
    dispatch = new_dispatch()
    for spelling in (dispatch.id, str(dispatch.id), dispatch.id.hex, str(dispatch.id).upper(), dispatch.id.hex[:6]):
        assert get_dispatch(spelling).id == dispatch.id


def test_an_unknown_id_or_a_too_short_prefix_is_not_found(new_dispatch):
    dispatch = new_dispatch()
    for spelling in (uuid.uuid4(), dispatch.id.hex[:3], "not-an-id", ""):
        with pytest.raises(NotFound):
            get_dispatch(spelling)


def test_a_prefix_two_dispatches_share_is_ambiguous(db, now):
    for hex_id in ("abcd0000" + "0" * 24, "abcd1111" + "0" * 24):
        Dispatch.create(id=uuid.UUID(hex_id), start_at=now + HOUR, end_at=now + 2 * HOUR, message_text="x")
    with pytest.raises(NotFound, match="ambiguous"):
        get_dispatch("abcd")
    assert get_dispatch("abcd1").id.hex.startswith("abcd1")


def test_dispatches_are_listed_latest_start_first_and_filtered_by_status(new_dispatch, now):
    early, late = new_dispatch(start=now + HOUR), new_dispatch(start=now + 3 * HOUR)
    pause_dispatch(early.id, now=now)
    assert [d.id for d in list_dispatches()] == [late.id, early.id]
    assert [d.id for d in list_dispatches("paused")] == [early.id]


# --- once started ------------------------------------------------------------------------

def test_a_dispatch_has_started_once_its_start_time_has_come(new_dispatch, now):
    dispatch = new_dispatch()
    assert not has_started(dispatch, now)
    assert has_started(dispatch, now + HOUR)


def test_before_its_start_every_field_of_a_dispatch_can_change(new_dispatch, now):
    dispatch = new_dispatch()
    update_dispatch(dispatch.id, start="2030-01-01T16:00", end="2030-01-05T00:00", text="New text",
                    timezone="Europe/Moscow", operator_codes="901", tags="vip", window="10:00-18:00", now=now)
    row = stored(dispatch)
    assert (row.start_at, row.end_at) == (utc(2030, 1, 1, 13), utc(2030, 1, 4, 21))
    assert (row.message_text, row.timezone, row.operator_codes, row.tags, row.window) == (
        "New text", "Europe/Moscow", ["901"], ["vip"], "10:00-18:00")


@pytest.mark.parametrize(
    "change, named",
    [({"text": "Changed"}, "text"), ({"start": "2030-01-01T14:00"}, "start"), ({"operator_codes": "901"}, "operator codes"),
     ({"tags": "vip"}, "tags"), ({"window": "09:00-10:00"}, "window")],
)
def test_once_started_its_text_audience_and_start_are_locked_with_a_clear_error(new_dispatch, change, named, now):
    dispatch = new_dispatch()
    before = stored(dispatch).__data__.copy()
    with pytest.raises(StateError) as caught:
        update_dispatch(dispatch.id, now=now + 2 * HOUR, **change)
    assert "has started" in str(caught.value) and named in str(caught.value)
    assert stored(dispatch).__data__ == before


def test_once_started_its_end_can_still_move_later_or_earlier(new_dispatch, now):
    dispatch = new_dispatch()
    later = update_dispatch(dispatch.id, end=now + dt.timedelta(days=3), now=now + 2 * HOUR)
    assert stored(later).end_at == now + dt.timedelta(days=3)
    update_dispatch(dispatch.id, end=now + 5 * HOUR, now=now + 2 * HOUR)
    assert stored(dispatch).end_at == now + 5 * HOUR


def test_once_started_its_end_cannot_move_into_the_past(new_dispatch, now):
    dispatch = new_dispatch()
    assert field_error(update_dispatch, dispatch.id, end=now + HOUR + HOUR / 2, now=now + 2 * HOUR).field == "end"


def test_once_started_giving_the_text_and_audience_unchanged_is_not_a_change(new_dispatch, now):
    dispatch = new_dispatch(operator_codes="900,901", tags="vip", window="09:00-21:00")
    update_dispatch(dispatch.id, text="Hello", start=now + HOUR, operator_codes="901,900", tags=["vip"],
                    window="09:00-21:00", timezone="UTC", end=now + 2 * HOUR, now=now + 90 * dt.timedelta(minutes=1))
    assert stored(dispatch).end_at == now + 2 * HOUR


def test_a_dispatch_paused_before_its_start_has_not_started_and_can_still_be_edited(new_dispatch, now):
    dispatch = new_dispatch()
    pause_dispatch(dispatch.id, now=now)
    assert not has_started(stored(dispatch), now)
    update_dispatch(dispatch.id, text="Edited while paused", now=now)
    assert stored(dispatch).message_text == "Edited while paused"
    assert has_started(stored(dispatch), now + 2 * HOUR)


def test_a_dispatch_whose_messages_exist_has_started(new_dispatch, now):
    dispatch = new_dispatch()
    Dispatch.update(fanned_out_at=now, status=DispatchStatus.RUNNING).where(Dispatch.id == dispatch.id).execute()
    assert has_started(stored(dispatch), now)
    with pytest.raises(StateError):
        update_dispatch(dispatch.id, text="too late", now=now)


# --- pause, resume, cancel, delete -------------------------------------------------------

def test_pause_then_resume_returns_a_dispatch_not_yet_sending_to_scheduled(new_dispatch, now):
    dispatch = new_dispatch()
    paused = pause_dispatch(dispatch.id, reason="checking the text", now=now)
    assert (paused.status, stored(dispatch).status, stored(dispatch).status_reason) == (
        "paused", "paused", "checking the text")
    resumed = resume_dispatch(dispatch.id, now=now)
    assert (resumed.status, stored(dispatch).status, stored(dispatch).status_reason) == ("scheduled", "scheduled", "")


def test_resuming_a_dispatch_that_was_sending_makes_it_running_again(new_dispatch, now):
    dispatch = new_dispatch()
    Dispatch.update(fanned_out_at=now + HOUR, status=DispatchStatus.RUNNING).where(Dispatch.id == dispatch.id).execute()
    pause_dispatch(dispatch.id, now=now + 2 * HOUR)
    assert resume_dispatch(dispatch.id, now=now + 2 * HOUR).status == DispatchStatus.RUNNING


def test_pause_and_resume_refuse_a_dispatch_in_the_wrong_state(new_dispatch, now):
    dispatch = new_dispatch()
    with pytest.raises(StateError):
        resume_dispatch(dispatch.id, now=now)
    pause_dispatch(dispatch.id, now=now)
    with pytest.raises(StateError):
        pause_dispatch(dispatch.id, now=now)


def test_cancelling_stops_for_good_and_cancels_only_messages_not_yet_sent(new_dispatch, give_messages, now):
    dispatch = new_dispatch()
    give_messages(dispatch, created=3, sending=1, sent=2, failed=1)
    cancelled = cancel_dispatch(dispatch.id, now=now + 2 * HOUR)
    row = stored(dispatch)
    assert (cancelled.status, row.status, row.finished_at) == ("cancelled", "cancelled", now + 2 * HOUR)
    statuses = sorted(m.status for m in Message.select().where(Message.dispatch == dispatch.id))
    assert statuses == ["cancelled"] * 3 + ["failed", "sending", "sent", "sent"]
    for change in (pause_dispatch, resume_dispatch, cancel_dispatch):
        with pytest.raises(StateError):
            change(dispatch.id)
    with pytest.raises(StateError, match="cancelled"):
        update_dispatch(dispatch.id, end=now + dt.timedelta(days=9), now=now)


def test_a_paused_dispatch_can_be_cancelled(new_dispatch, now):
    dispatch = new_dispatch()
    pause_dispatch(dispatch.id, now=now)
    assert cancel_dispatch(dispatch.id, now=now).status == DispatchStatus.CANCELLED


def test_deleting_a_dispatch_removes_its_messages(new_dispatch, give_messages):
    keep, gone = new_dispatch(), new_dispatch()
    give_messages(keep, sent=2)
    give_messages(gone, created=3)
    delete_dispatch(gone.id)
    assert Dispatch.get_or_none(Dispatch.id == gone.id) is None
    assert Message.select().where(Message.dispatch == gone.id).count() == 0
    assert Message.select().count() == 2
    with pytest.raises(NotFound):
        delete_dispatch(gone.id)


# --- who is told -------------------------------------------------------------------------

@pytest.fixture
def heard():
    changes = []

    def listener(dispatch, change):
        changes.append((dispatch.id, change))

    dispatches.subscribe(listener)
    yield changes
    dispatches.unsubscribe(listener)


def test_listeners_hear_every_change_of_a_dispatch(new_dispatch, heard, now):
    dispatch = new_dispatch()
    update_dispatch(dispatch.id, text="Edited", now=now)
    pause_dispatch(dispatch.id, now=now)
    resume_dispatch(dispatch.id, now=now)
    cancel_dispatch(dispatch.id, now=now)
    delete_dispatch(dispatch.id)
    assert heard == [(dispatch.id, change) for change in
                     ("created", "updated", "paused", "resumed", "cancelled", "deleted")]


@pytest.mark.sqlite_only
def test_listeners_are_told_only_after_the_change_is_committed(db_path, new_dispatch):
    seen_by_another_connection = []

    def listener(dispatch, change):
        with sqlite3.connect(db_path) as other:
            seen_by_another_connection.append(
                other.execute("SELECT message_text FROM dispatch WHERE id = ?", (dispatch.id.hex,)).fetchone())

    dispatches.subscribe(listener)
    try:
        new_dispatch(text="Committed")
    finally:
        dispatches.unsubscribe(listener)
    assert seen_by_another_connection == [("Committed",)]


def test_a_rejected_change_writes_nothing_and_tells_no_one(new_dispatch, heard):
    with pytest.raises(ValidationError):
        new_dispatch(text="")
    assert heard == [] and Dispatch.select().count() == 0


def test_one_table_says_which_change_each_status_allows():
    assert set(dispatches.ALLOWED_FROM) == {"updated", "paused", "resumed", "cancelled", "deleted"}
    assert dispatches.can_change("running", "paused") and not dispatches.can_change("paused", "paused")
    assert dispatches.can_change("paused", "resumed") and not dispatches.can_change("running", "resumed")
    assert not dispatches.can_change("finished", "updated") and dispatches.can_change("finished", "deleted")
    assert not any(dispatches.can_change("cancelled", c) for c in ("updated", "paused", "resumed", "cancelled"))
