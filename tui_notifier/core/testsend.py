"""Test sends: a dispatch's text, rendered for a chosen client or given attributes, to one phone now.

An operator checks what recipients will see before the dispatch starts. A test send is
outside the audience and outside the dispatch's end, is recorded apart from the dispatch's
messages, and still never goes to a phone on the stop list. The engine sends it as soon as
it is woken; its gateway id is taken from a range of its own, so a provider that deduplicates
by message id never confuses it with a dispatch's message.
"""
from __future__ import annotations

from tui_notifier.clock import utcnow
from tui_notifier.core import audit, stoplist, templates
from tui_notifier.core.clients import clean_attributes, get_client
from tui_notifier.core.dispatches import get_dispatch, notify
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.phones import normalize_phone
from tui_notifier.db import database
from tui_notifier.models import MessageStatus, TestSend

GATEWAY_ID_BASE = 9 * 10 ** 15
"""Test send N goes to the gateway as message id GATEWAY_ID_BASE + N."""
CHANGE = "test_send"
"""The dispatch change listeners hear when a test send waits for the engine."""


def request_test_send(dispatch_id, phone, client_id: int | None = None, attributes: dict | None = None,
                      now=None) -> TestSend:
    """Record a test send of the dispatch's text to `phone` and wake the engine to send it."""
    dispatch = get_dispatch(dispatch_id)
    phone = normalize_phone(phone)
    if stoplist.is_stopped(phone):
        raise ValidationError("phone", f"{phone} is on the stop list")
    values = templates.client_values(get_client(client_id)) if client_id is not None else {}
    values.update(clean_attributes(attributes))
    text = templates.parse(dispatch.message_text).render(values)
    with database.atomic():
        test = TestSend.create(dispatch=dispatch.id, phone=phone, text=text, sender=dispatch.sender,
                               created_at=now or utcnow())
        audit.record("test_send", "dispatch", dispatch.id, f"phone={phone}")
    notify(dispatch, CHANGE)
    return test


def get_test_send(test_id: int) -> TestSend:
    return TestSend.get_by_id(test_id)


def list_test_sends(dispatch_id) -> list[TestSend]:
    """A dispatch's test sends, newest first."""
    dispatch = get_dispatch(dispatch_id)
    return list(TestSend.select().where(TestSend.dispatch == dispatch.id).order_by(TestSend.id.desc()))


def is_waiting(test: TestSend) -> bool:
    return test.status in (MessageStatus.CREATED, MessageStatus.SENDING)
