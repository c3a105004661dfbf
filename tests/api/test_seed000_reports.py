"""Seed 000: `GET /api/v1/dispatch-reports/` is a plain array, the ten seed keys first."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.seeds import SEED000_ALL, SEED000_KEYS, SEED000_ONE
from tui_notifier import counts
from tui_notifier.core import dispatches, reports
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


def _move(dispatch, old: str, new: str) -> None:
    with database.atomic():
        tally = counts.Tally()
        tally.move(dispatch.id, old, new)
        tally.apply()


@pytest.mark.parametrize("path, figure", [(SEED000_ALL, lambda body: body[0]["counts"]["sending"]),
                                          ("/Stats/", lambda body: body[0]["messages_by_status"]["sending"])])
def test_a_report_list_shows_a_counter_change_at_once_and_its_undoing_too(api, reported, path, figure):
    first = api.get(path)
    assert figure(first.json()) == 0
    _move(reported, MessageStatus.CREATED, MessageStatus.SENDING)
    assert figure(api.get(path).json()) == 1
    _move(reported, MessageStatus.SENDING, MessageStatus.CREATED)
    again = api.get(path)
    assert figure(again.json()) == 0 and again.text == first.text


def test_a_report_list_shows_a_change_of_a_dispatch_at_once(api, reported):
    assert api.get(SEED000_ALL).json()[0]["end_datetime"] == "2031-01-27T15:44:00Z"
    moved = api.send("PATCH", f"/api/v1/dispatches/{reported.id}/", {"end_datetime": "2032-02-03T04:05:06Z"})
    assert moved.status == 200
    assert api.get(SEED000_ALL).json()[0]["end_datetime"] == "2032-02-03T04:05:06Z"
    assert api.post(f"/api/v1/dispatches/{reported.id}/cancel/").status == 200
    assert api.get(SEED000_ALL).json()[0]["status"] == "cancelled"
    assert api.send("DELETE", f"/api/v1/dispatches/{reported.id}/").status == 204
    assert api.get(SEED000_ALL).json() == []


def test_an_unchanged_report_list_is_answered_without_building_it_again(api, reported, monkeypatch):
    built = []
    build = reports.all_reports
    monkeypatch.setattr(reports, "all_reports", lambda *args: built.append(1) or build(*args))
    first = api.get(SEED000_ALL).text
    assert [api.get(SEED000_ALL).text for _ in range(3)] == [first] * 3
    assert len(built) == 1
    _move(reported, MessageStatus.CREATED, MessageStatus.SENDING)
    assert api.get(SEED000_ALL).text != first and len(built) == 2
