"""`tui-notifier report [ID]`: the report API's shape for scripts, tables for people, message pages."""
import datetime as dt

import pytest

from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core.dispatches import create_dispatch
from tui_notifier.db import database
from tui_notifier.models import Client, Message

SEED_KEYS = ["id", "start_datetime", "end_datetime", "message_text", "filter_mobile_operator_code__code",
             "filter_tag__code", "created", "completed", "error", "timeout"]


@pytest.fixture
def campaigns(db):
    """Two dispatches with messages in known statuses, and one without any."""
    now = utcnow()
    first = create_dispatch("2099-01-21T15:52:00Z", "2099-01-27T15:44:00Z", "Test 5", operator_codes="911",
                            tags="javascript", now=now)
    second = create_dispatch("2099-01-21T16:00:00Z", "2099-01-27T15:44:00Z", "Test 6", operator_codes="911,912",
                             tags="javascript,python", now=now)
    quiet = create_dispatch(now + dt.timedelta(hours=1), now + dt.timedelta(days=1), "Quiet", now=now)
    statuses = {first: {"created": 2, "sending": 1, "sent": 3, "delivered": 4, "failed": 5, "timeout": 6,
                        "cancelled": 7},
                second: {"delivered": 1}}
    number = 0
    with database.atomic():
        for dispatch, by_status in statuses.items():
            for status, n in by_status.items():
                for _ in range(n):
                    number += 1
                    client = Client.create(phone=f"7911{number:07d}", operator_code="911")
                    Message.create(dispatch=dispatch, client=client, phone=client.phone, status=status)
    counts.rebuild()
    return first, second, quiet


def test_report_json_for_all_is_a_list_in_the_report_api_shape(cli, campaigns):
    first, second, quiet = campaigns
    result = cli("report", "--json")
    assert result.code == 0 and result.err == ""
    listed = result.json()
    assert isinstance(listed, list) and len(listed) == 3
    for item in listed:
        assert list(item)[:len(SEED_KEYS)] == SEED_KEYS
    by_id = {item["id"]: item for item in listed}
    assert {key: by_id[str(first.id)][key] for key in SEED_KEYS} == {
        "id": str(first.id),
        "start_datetime": "2099-01-21T15:52:00Z",
        "end_datetime": "2099-01-27T15:44:00Z",
        "message_text": "Test 5",
        "filter_mobile_operator_code__code": "911",
        "filter_tag__code": "javascript",
        "created": 3,
        "completed": 7,
        "error": 5,
        "timeout": 6,
    }
    assert (by_id[str(second.id)]["completed"], by_id[str(second.id)]["filter_tag__code"]) == (1, "javascript,python")
    assert [by_id[str(quiet.id)][key] for key in ("created", "completed", "error", "timeout")] == [0, 0, 0, 0]


def test_report_json_for_one_dispatch_is_one_object(cli, campaigns):
    first = campaigns[0]
    data = cli("report", str(first.id), "--json").json()
    assert isinstance(data, dict)
    assert list(data)[:len(SEED_KEYS)] == SEED_KEYS
    assert (data["id"], data["created"], data["completed"], data["error"], data["timeout"]) == (
        str(first.id), 3, 7, 5, 6)
    assert data["total"] == 28 and data["counts"]["cancelled"] == 7


def test_report_json_is_the_same_object_in_the_list_and_alone(cli, campaigns):
    listed = {item["id"]: item for item in cli("report", "--json").json()}
    for dispatch in campaigns:
        assert cli("report", str(dispatch.id)[:8], "--json").json() == listed[str(dispatch.id)]


def test_report_json_of_an_empty_database_is_an_empty_list(cli):
    assert cli("report", "--json").json() == []


def test_report_for_people_is_a_table_of_counts_by_status(cli, campaigns):
    first = campaigns[0]
    lines = cli("report").out.splitlines()
    assert lines[0].split()[:4] == ["id", "status", "total", "created"]
    row = next(line for line in lines if str(first.id) in line).split()
    assert row[1:10] == ["scheduled", "28", "2", "1", "3", "4", "5", "6", "7"]
    one = cli("report", str(first.id)).out.splitlines()
    assert one[0].split() == ["status", "count"]
    assert "failed 5" in [" ".join(line.split()) for line in one]
    assert " ".join(one[-1].split()) == "total 28"


def test_a_dispatchs_messages_come_in_pages(cli, campaigns):
    first = campaigns[0]
    pages = [cli("report", str(first.id), "--messages", "--json", "--page", page, "--page-size", 10).json()
             for page in (1, 2, 3, 4)]
    assert [len(p["messages"]) for p in pages] == [10, 10, 8, 0]
    assert {p["messages_total"] for p in pages} == {28}
    ids = [m["id"] for p in pages for m in p["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == 28
    assert set(pages[0]["messages"][0]) >= {"id", "phone", "status", "attempts", "sent_at", "last_error"}


def test_message_pages_can_show_one_status(cli, campaigns):
    first = campaigns[0]
    data = cli("report", str(first.id), "--messages", "--status", "failed", "--json").json()
    assert [m["status"] for m in data["messages"]] == ["failed"] * 5 and data["messages_total"] == 5
    table = cli("report", str(first.id), "--messages", "--status", "timeout").out.splitlines()
    assert table[0].split()[:3] == ["id", "phone", "status"] and len(table) == 7


def test_the_report_of_an_unknown_dispatch_fails(cli, db):
    result = cli("report", "ffffffff-0000-0000-0000-000000000000")
    assert result.code == 1 and result.out == ""
    assert "not found" in result.reason


def test_verify_says_the_counters_agree_and_names_those_that_do_not_until_repaired(cli, campaigns):
    first = campaigns[0]
    agreed = cli("report", "--verify")
    assert agreed.code == 0 and "agree" in agreed.out
    Message.update(status="failed").where(Message.dispatch == first.id, Message.status == "timeout").execute()

    disagreed = cli("report", "--verify")
    assert disagreed.code == 1 and "report --repair" in disagreed.reason
    rows = [line.split() for line in disagreed.out.splitlines()[1:]]
    assert rows == [[first.id.hex, "failed", "5", "11"], [first.id.hex, "timeout", "6", "0"]]

    repaired = cli("report", "--repair")
    assert repaired.code == 0 and "2 counters were wrong" in repaired.out
    assert cli("report", "--verify").code == 0
    assert cli("report", str(first.id), "--json").json()["counts"]["failed"] == 11
    assert counts.verify() == []
