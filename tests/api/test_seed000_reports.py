"""Seed 000: `GET /api/v1/dispatch-reports/` is a plain array, the ten seed keys first."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.seeds import SEED000_ALL, SEED000_KEYS, SEED000_ONE
from tui_notifier import counts
from tui_notifier.core import dispatches
from tui_notifier.db import database
from tui_notifier.models import Client, Message, MessageStatus


@pytest.fixture
def reported(db):
    """Seed 000's first dispatch: operator 911, tag javascript, messages in several statuses."""
    dispatch = dispatches.create_dispatch(
        "2024-01-21T15:52:00Z", "2031-01-27T15:44:00Z", "Test 5", operator_codes="911", tags="javascript",
        now=dt.datetime(2024, 1, 21, 15, 0, tzinfo=dt.timezone.utc))
    statuses = [MessageStatus.CREATED, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED,
                MessageStatus.TIMEOUT, MessageStatus.DELIVERED]
    with database.atomic():
        for n, status in enumerate(statuses):
            client = Client.create(phone=f"7911000000{n}", operator_code="911", tag="javascript")
            Message.create(dispatch=dispatch, client=client, phone=client.phone, status=status)
    counts.rebuild()
    return dispatch


def test_the_list_is_a_plain_array_with_the_seed_keys_first_in_the_seed_order(api, reported):
    answer = api.get(SEED000_ALL)
    assert answer.status == 200
    body = answer.json()
    assert isinstance(body, list) and len(body) == 1
    report = body[0]
    assert list(report)[:10] == SEED000_KEYS
    assert report["id"] == str(reported.id)
    assert report["start_datetime"] == "2024-01-21T15:52:00Z"
    assert report["end_datetime"] == "2031-01-27T15:44:00Z"
    assert report["message_text"] == "Test 5"
    assert report["filter_mobile_operator_code__code"] == "911"
    assert report["filter_tag__code"] == "javascript"
    assert (report["created"], report["completed"], report["error"], report["timeout"]) == (1, 3, 1, 1)
    assert report["status"] == "scheduled" and report["total"] == 6


def test_one_report_is_the_same_object(api, reported):
    listed = api.get(SEED000_ALL).json()[0]
    answer = api.get(f"/api/v1/dispatch-reports/{reported.id}/")
    assert answer.status == 200
    assert answer.json() == listed


def test_the_seed_example_id_is_not_found_here(api, reported):
    answer = api.get(SEED000_ONE)
    assert answer.status == 404
    assert answer.json() == {"detail": "Not found."}


@pytest.mark.parametrize("bad", ["abc", "12345", "08bc9620-c0e6-45a7-97ca", "1' OR '1'='1"])
def test_a_malformed_id_is_not_found_either(api, reported, bad):
    answer = api.get(f"/api/v1/dispatch-reports/{bad}/")
    assert (answer.status, answer.json()) == (404, {"detail": "Not found."})


def test_an_empty_database_gives_an_empty_array(api):
    answer = api.get(SEED000_ALL)
    assert (answer.status, answer.json()) == (200, [])
