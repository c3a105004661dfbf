"""The stop list: stopped phones are left out of every audience and their unsent messages cancelled."""
from __future__ import annotations

import pytest

from tui_notifier.core import dispatches, stoplist
from tui_notifier.core.clients import DELETED_ERROR, add_client, delete_client
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.textfile import LoadError
from tui_notifier.models import Message, StopEntry


def stopped() -> list[tuple]:
    return list(StopEntry.select(StopEntry.phone, StopEntry.reason).order_by(StopEntry.phone).tuples())


def test_phones_in_any_form_are_stopped_once_with_their_reason(db):
    first = stoplist.add_phones(["+7 900 123-45-67", "89001234567", "79001234568"], reason="replied STOP")
    again = stoplist.add_phones(["79001234567"])

    assert (first.added, first.already, again.added, again.already) == (2, 0, 0, 1)
    assert stopped() == [("79001234567", "replied STOP"), ("79001234568", "replied STOP")]
    assert stoplist.is_stopped("79001234567") and not stoplist.is_stopped("79001234569")


def test_a_bad_phone_stops_nothing(db):
    with pytest.raises(ValidationError, match="phone"):
        stoplist.add_phones(["79001234567", "12-34"])
    assert stopped() == []


def test_a_multi_line_reason_is_refused(db):
    with pytest.raises(ValidationError, match="reason: must be one line"):
        stoplist.add_phones(["79001234567"], reason="a\nb")


def test_the_audience_leaves_stopped_phones_out(db):
    add_client("79001234567", tag="vip")
    add_client("79001234568", tag="vip")
    stoplist.add_phones(["79001234567"])

    assert dispatches.preview_audience(tags="vip") == 1
    stoplist.remove_phones(["+7 900 123 45 67"])
    assert dispatches.preview_audience(tags="vip") == 2


def test_stopping_a_phone_cancels_its_unsent_messages_and_leaves_the_rest(db, new_dispatch, give_messages):
    dispatch = new_dispatch()
    waiting, sent = give_messages(dispatch, created=1, sent=1)

    result = stoplist.add_phones([waiting.phone, sent.phone])

    assert result.cancelled == 1
    assert Message.get_by_id(waiting.id).status == "cancelled"
    assert Message.get_by_id(waiting.id).last_error == stoplist.STOPPED_ERROR
    assert Message.get_by_id(sent.id).status == "sent"


def test_deleting_a_client_cancels_its_unsent_messages(db, new_dispatch, give_messages):
    dispatch = new_dispatch()
    waiting, sent = give_messages(dispatch, created=1, sent=1)

    delete_client(waiting.client_id)
    delete_client(sent.client_id)

    assert (Message.get_by_id(waiting.id).status, Message.get_by_id(waiting.id).last_error) == ("cancelled", DELETED_ERROR)
    assert Message.get_by_id(sent.id).status == "sent"


def test_a_file_of_phones_with_optional_reasons_is_loaded(db, tmp_path):
    path = tmp_path / "stop.csv"
    path.write_text("phone,reason\n+7 900 123-45-67,replied STOP\n\n89001234568\n", encoding="utf-8")

    result = stoplist.load_stoplist_file(path, reason="complaint")

    assert (result.phones, result.added, result.errors) == (2, 2, [])
    assert stopped() == [("79001234567", "replied STOP"), ("79001234568", "complaint")]


def test_a_file_with_a_bad_line_stops_nothing_and_names_the_line(db, tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("79001234567\nnot a phone\n79001234568,a,b\n", encoding="utf-8")

    result = stoplist.load_stoplist_file(path)

    assert [e.split(": ", 1)[0] for e in result.errors] == [f"{path}:2", f"{path}:3"]
    assert stopped() == []


def test_an_unreadable_file_is_one_error(db, tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        stoplist.load_stoplist_file(tmp_path / "none.txt")


def test_a_dispatch_starting_fans_out_to_nobody_on_the_stop_list(db, new_dispatch, now):
    from tui_notifier.delivery.store.messages import fan_out

    add_client("79001234567")
    add_client("79001234568")
    stoplist.add_phones(["79001234568"])
    dispatch = new_dispatch()

    fan_out(dispatch.id, now=dispatch.start_at)

    assert [m.phone for m in Message.select()] == ["79001234567"]
    assert dispatches.get_dispatch(dispatch.id).skipped_stoplist == 1
