"""Clone and resend: a new dispatch from an old one; a resend's audience is exactly the clients that missed out."""
from __future__ import annotations

import datetime as dt

import pytest

from tui_notifier.core import dispatches, stoplist
from tui_notifier.core.clients import delete_client
from tui_notifier.core.errors import ValidationError
from tui_notifier.delivery.store.messages import fan_out
from tui_notifier.models import Message


HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize("sender", ["Shop", "MY-SHOP.RU", "a 1", "ABCDEFGHIJK"])
def test_a_sender_name_is_kept(new_dispatch, sender):
    assert new_dispatch(sender=sender).sender == sender


@pytest.mark.parametrize("sender", ["ABCDEFGHIJKL", "Магазин", "shop!", "...", "a\tb"])
def test_a_bad_sender_name_is_refused(new_dispatch, sender):
    with pytest.raises(ValidationError) as raised:
        new_dispatch(sender=sender)
    assert raised.value.field == "sender"


def test_a_clone_copies_text_audience_window_and_sender_and_remembers_its_source(db, new_dispatch, now):
    original = new_dispatch(text="Sale {first_name|friend}", operator_codes="900,901", tags="vip",
                            window="10:00-20:00", timezone="Europe/Moscow", sender="Shop")

    clone = dispatches.clone_dispatch(original.id, now=now)

    assert clone.id != original.id and clone.status == "scheduled" and clone.source == original.id
    for name in ("message_text", "operator_codes", "tags", "window", "timezone", "sender", "start_at", "end_at"):
        assert getattr(clone, name) == getattr(original, name), name


def test_a_clone_takes_new_times_in_the_dispatch_time_zone(db, new_dispatch, now):
    original = new_dispatch(timezone="Europe/Moscow")

    clone = dispatches.clone_dispatch(original.id, start="2030-02-01T10:00", end="2030-02-01T20:00", now=now)

    assert clone.start_at == dt.datetime(2030, 2, 1, 7, 0, tzinfo=dt.timezone.utc)


def test_a_clone_of_a_dispatch_that_has_ended_needs_new_times(db, new_dispatch, now):
    original = new_dispatch()

    with pytest.raises(ValidationError, match="end"):
        dispatches.clone_dispatch(original.id, now=original.end_at + HOUR)


@pytest.fixture
def missed(db, new_dispatch, give_messages):
    """A dispatch with one message in each final status."""
    original = new_dispatch(text="Hello again")
    messages = {status: give_messages(original, **{status: 1})[0]
                for status in ("sent", "delivered", "failed", "timeout", "cancelled")}
    return original, messages


def test_a_resend_reaches_exactly_the_clients_whose_messages_failed_or_timed_out(missed, now):
    original, messages = missed

    resend = dispatches.resend_dispatch(original.id, now + HOUR, now + 5 * HOUR, now=now)
    fan_out(resend.id, now=resend.start_at)

    assert resend.message_text == original.message_text and resend.source == original.id
    assert sorted(m.client_id for m in Message.select().where(Message.dispatch == resend.id)) == \
        sorted([messages["failed"].client_id, messages["timeout"].client_id])
    assert dispatches.audience_count(resend) == 2


def test_a_resend_leaves_out_clients_deleted_or_stopped_since(missed, now):
    original, messages = missed
    resend = dispatches.resend_dispatch(original.id, now + HOUR, now + 5 * HOUR, statuses="failed,timeout,cancelled",
                                        now=now)
    delete_client(messages["failed"].client_id)
    stoplist.add_phones([messages["timeout"].phone])

    fan_out(resend.id, now=resend.start_at)

    assert [m.client_id for m in Message.select().where(Message.dispatch == resend.id)] == \
        [messages["cancelled"].client_id]


def test_a_resend_with_nothing_to_resend_or_an_unknown_status_is_refused(db, new_dispatch, give_messages, now):
    original = new_dispatch()
    give_messages(original, sent=2)

    with pytest.raises(ValidationError, match="has no message that is failed or timeout"):
        dispatches.resend_dispatch(original.id, now + HOUR, now + 2 * HOUR, now=now)
    with pytest.raises(ValidationError, match="status: must be some of"):
        dispatches.resend_dispatch(original.id, now + HOUR, now + 2 * HOUR, statuses="sent", now=now)


def test_a_clone_of_a_resend_keeps_its_list(missed, now):
    original, messages = missed
    resend = dispatches.resend_dispatch(original.id, now + HOUR, now + 5 * HOUR, now=now)

    clone = dispatches.clone_dispatch(resend.id, now=now)

    assert clone.explicit_audience and dispatches.audience_count(clone) == 2


def test_a_resend_checks_placeholders_against_its_own_list(db, new_dispatch, give_messages, now):
    original = new_dispatch(text="Hi {first_name|there}")
    [failed] = give_messages(original, failed=1)
    original.message_text = "Hi {first_name}"
    original.save()

    with pytest.raises(ValidationError, match=r"\{first_name\} has no value for 1 of 1 clients"):
        dispatches.resend_dispatch(original.id, now + HOUR, now + 2 * HOUR, now=now)
