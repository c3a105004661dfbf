"""`tui-notifier dispatches create|list|show|update|preview|pause|resume|cancel|delete` end to end."""
import datetime as dt
import uuid

import pytest

from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core.clients import add_client

SEED_KEYS = {"id", "start_datetime", "end_datetime", "message_text", "filter_mobile_operator_code__code",
             "filter_tag__code", "created", "completed", "error", "timeout"}


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def times():
    """A start an hour from now and an end a day from now, whole minutes in UTC."""
    now = utcnow().replace(second=0, microsecond=0)
    return iso(now + dt.timedelta(hours=1)), iso(now + dt.timedelta(days=1))


@pytest.fixture
def create(cli, times):
    def run(*extra, start=times[0], end=times[1], text="Hello"):
        return cli("dispatches", "create", "--start", start, "--end", end, "--text", text, *extra)

    return run


@pytest.fixture
def started(cli, create):
    """A dispatch whose start is an hour ago and whose end is a day away."""
    now = utcnow()
    result = create(start=iso(now - dt.timedelta(hours=1)), end=iso(now + dt.timedelta(days=1)))
    assert result.code == 0, result.err
    return result.out.strip()


def test_creating_prints_the_new_id_alone(create):
    result = create()
    assert result.code == 0 and result.err == ""
    assert result.out.endswith("\n") and len(result.out.splitlines()) == 1
    assert str(uuid.UUID(result.out.strip())) == result.out.strip()


def test_creating_with_json_prints_the_whole_dispatch(create, times):
    result = create("--operator", "900,901", "--tag", "vip, new", "--window", "22:00-06:00", "--json")
    data = result.json()
    assert SEED_KEYS <= set(data)
    assert (data["start_datetime"], data["end_datetime"], data["message_text"]) == (*times, "Hello")
    assert (data["filter_mobile_operator_code__code"], data["filter_tag__code"]) == ("900,901", "new,vip")
    assert (data["window"], data["status"], data["timezone"], data["total"]) == ("22:00-06:00", "scheduled", "UTC", 0)


def test_a_naive_time_is_read_in_the_given_time_zone(create):
    data = create("--timezone", "Europe/Moscow", "--json", start="2099-03-01T09:00", end="2099-03-01 21:00").json()
    assert (data["start_datetime"], data["end_datetime"]) == ("2099-03-01T06:00:00Z", "2099-03-01T18:00:00Z")
    assert data["timezone"] == "Europe/Moscow"


def test_the_text_is_kept_literally(create, cli):
    text = "Скидка [bold]50%[/] — «всё»"
    dispatch_id = create(text=text).out.strip()
    assert cli("dispatches", "show", dispatch_id, "--json").json()["message_text"] == text


@pytest.mark.parametrize(
    "change, field",
    [({"start": "tomorrow"}, "start"), ({"end": "2001-01-01T00:00"}, "end"), ({"text": "   "}, "text")],
)
def test_an_invalid_dispatch_fails_with_a_one_line_reason_naming_the_field(create, cli, change, field):
    result = create(**change)
    assert result.code == 1 and result.out == ""
    assert f"error: {field}: " in result.reason
    assert cli("dispatches", "list", "--json").json() == []


@pytest.mark.parametrize(
    "extra, field",
    [(["--timezone", "Mars/Base"], "timezone"), (["--operator", "900,9x1"], "operator_codes"),
     (["--window", "9-21"], "window"), (["--tag", "x" * 65], "tags")],
)
def test_invalid_options_fail_naming_the_field(create, extra, field):
    result = create(*extra)
    assert result.code == 1
    assert f"error: {field}: " in result.reason


def test_the_end_must_come_after_the_start(create, times):
    result = create(start=times[1], end=times[0])
    assert result.code == 1 and "after the start" in result.reason


def test_listing_shows_each_dispatch_latest_start_first(create, cli):
    soon = create("--text", "x", start="2099-01-01T00:00", end="2099-01-02T00:00").out.strip()
    later = create(start="2099-02-01T00:00", end="2099-02-02T00:00", text="Later one").out.strip()
    listed = cli("dispatches", "list", "--json").json()
    assert [d["id"] for d in listed] == [later, soon]
    table = cli("dispatches", "list").out.splitlines()
    assert table[0].split()[:4] == ["id", "status", "start", "end"]
    assert later in table[1] and "Later one" in table[1]


def test_showing_a_dispatch_by_a_leading_part_of_its_id(create, cli):
    dispatch_id = create("--operator", "900", text="Show me").out.strip()
    shown = cli("dispatches", "show", dispatch_id[:8])
    assert shown.code == 0
    assert dispatch_id in shown.out and "Show me" in shown.out and "operators 900" in shown.out
    assert cli("dispatches", "show", dispatch_id[:8], "--json").json()["id"] == dispatch_id


def test_showing_an_unknown_dispatch_fails(cli):
    result = cli("dispatches", "show", str(uuid.uuid4()))
    assert result.code == 1 and "not found" in result.reason


def test_the_audience_preview_counts_matching_clients(cli, db):
    for phone, tag in (("79001110001", "vip"), ("79001110002", ""), ("79011110003", "vip"), ("79021110004", "vip")):
        add_client(phone, tag=tag)
    assert cli("dispatches", "preview").out == "4\n"
    assert cli("dispatches", "preview", "--operator", "900,901").out == "3\n"
    assert cli("dispatches", "preview", "--operator", "900,901", "--tag", "vip").out == "2\n"
    bad = cli("dispatches", "preview", "--operator", "9")
    assert bad.code == 1 and "operator_codes" in bad.reason


def test_before_its_start_a_dispatch_can_be_updated_entirely(create, cli):
    dispatch_id = create().out.strip()
    result = cli("dispatches", "update", dispatch_id, "--text", "Changed", "--operator", "901", "--tag", "vip",
                 "--window", "09:00-18:00", "--start", "2099-05-01T10:00", "--end", "2099-05-02T10:00",
                 "--timezone", "Asia/Tokyo", "--json")
    data = result.json()
    assert (data["message_text"], data["filter_mobile_operator_code__code"], data["filter_tag__code"],
            data["window"]) == ("Changed", "901", "vip", "09:00-18:00")
    assert (data["start_datetime"], data["end_datetime"]) == ("2099-05-01T01:00:00Z", "2099-05-02T01:00:00Z")
    assert cli("dispatches", "update", dispatch_id, "--text", "Again").out == f"{dispatch_id}\n"


@pytest.mark.parametrize(
    "change", [["--text", "Changed"], ["--operator", "901"], ["--tag", "vip"], ["--start", "2099-01-01T00:00"]],
)
def test_once_started_text_audience_and_start_are_locked(cli, started, change):
    before = cli("dispatches", "show", started, "--json").json()
    result = cli("dispatches", "update", started, *change)
    assert result.code == 1
    assert "has started" in result.reason
    assert cli("dispatches", "show", started, "--json").json() == before


def test_once_started_the_end_can_still_move(cli, started):
    result = cli("dispatches", "update", started, "--end", "2099-12-31T23:00Z", "--json")
    assert result.code == 0, result.err
    assert result.json()["end_datetime"] == "2099-12-31T23:00:00Z"


def test_pause_resume_and_cancel_print_the_new_status(create, cli):
    dispatch_id = create().out.strip()
    assert cli("dispatches", "pause", dispatch_id).out == f"{dispatch_id} paused\n"
    assert cli("dispatches", "resume", dispatch_id).out == f"{dispatch_id} scheduled\n"
    assert cli("dispatches", "pause", dispatch_id, "--json").json()["status"] == "paused"
    assert cli("dispatches", "cancel", dispatch_id).out == f"{dispatch_id} cancelled\n"
    assert cli("dispatches", "list", "--status", "cancelled", "--json").json()[0]["id"] == dispatch_id


def test_a_state_change_that_does_not_fit_the_state_fails(create, cli):
    dispatch_id = create().out.strip()
    resumed = cli("dispatches", "resume", dispatch_id)
    assert resumed.code == 1 and "scheduled" in resumed.reason
    cli("dispatches", "cancel", dispatch_id)
    for change in ("pause", "resume", "cancel"):
        assert cli("dispatches", change, dispatch_id).code == 1


def test_a_started_dispatch_can_be_paused_and_cancelled(cli, started):
    assert cli("dispatches", "pause", started).code == 0
    assert cli("dispatches", "cancel", started).out == f"{started} cancelled\n"


def test_deleting_removes_the_dispatch(create, cli):
    dispatch_id = create().out.strip()
    deleted = cli("dispatches", "delete", dispatch_id)
    assert (deleted.code, deleted.out) == (0, "")
    assert cli("dispatches", "list", "--json").json() == []
    again = cli("dispatches", "delete", dispatch_id)
    assert again.code == 1 and "not found" in again.reason


def test_clone_and_resend_print_the_new_dispatch(cli, db):
    from tui_notifier.core.dispatches import create_dispatch
    from tui_notifier.db import database
    from tui_notifier.models import Client, Message
    from tui_notifier.clock import utcnow

    original = create_dispatch("2099-01-21T10:00Z", "2099-01-22T10:00Z", "Hi", sender="Shop", now=utcnow())
    with database.atomic():
        for number, status in enumerate(["sent", "failed", "timeout"], start=1):
            client = Client.create(phone=f"7900000000{number}", operator_code="900")
            Message.create(dispatch=original, client=client, phone=client.phone, status=status)
    counts.rebuild()

    clone = cli("dispatches", "clone", str(original.id)[:8], "--json")
    resend = cli("dispatches", "resend", str(original.id), "--status", "failed", "--start", "2099-02-01T10:00",
                 "--end", "2099-02-02T10:00", "--json")
    shown = cli("dispatches", "show", resend.json()["id"])

    assert clone.code == 0 and clone.json()["source_id"] == str(original.id) and clone.json()["sender"] == "Shop"
    assert resend.code == 0 and resend.json()["audience"] == "list"
    assert f"the clients of a resend of {str(original.id)[:8]}" in shown.out
    assert "matching now  1" in shown.out


def test_a_bad_sender_fails_in_one_line_naming_it(cli, db):
    result = cli("dispatches", "create", "--start", "2099-01-01T10:00", "--end", "2099-01-02T10:00",
                 "--text", "x", "--sender", "Магазин")

    assert result.code == 1 and "sender: must be 1-11 Latin letters" in result.reason
