"""Fixtures for the core: a fixed "now", dispatches composed against it, messages in given statuses."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tui_notifier import counts
from tui_notifier.core import dispatches
from tui_notifier.db import database
from tui_notifier.models import Client, Message

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def new_dispatch(db):
    """Compose a dispatch starting an hour after NOW and ending a day after it, unless told otherwise."""

    def make(**fields):
        fields.setdefault("start", NOW + dt.timedelta(hours=1))
        fields.setdefault("end", NOW + dt.timedelta(days=1))
        fields.setdefault("text", "Hello")
        fields.setdefault("now", NOW)
        return dispatches.create_dispatch(**fields)

    return make


@pytest.fixture
def give_messages(db):
    """Give a dispatch messages in the given statuses (`sent=3, failed=1`), each to a new client."""
    numbers = itertools.count(1)

    def give(dispatch, **statuses) -> list[Message]:
        made = []
        with database.atomic():
            for status, n in statuses.items():
                for _ in range(n):
                    phone = f"7999{next(numbers):07d}"
                    client = Client.create(phone=phone, operator_code="999")
                    made.append(Message.create(dispatch=dispatch, client=client, phone=phone, status=status))
        counts.rebuild()
        return made

    return give
