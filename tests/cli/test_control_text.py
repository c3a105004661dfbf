"""Terminal escapes are text too: a tag with a control character is refused in one clear line,
and message texts and gateway errors are printed with their controls written out."""
from __future__ import annotations

from hostile import (HOSTILE_ERROR, HOSTILE_TAG, HOSTILE_TEXT, SHOWN_ERROR, SHOWN_TEXT,
                     raw_controls)
from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core.dispatches import create_dispatch
from tui_notifier.db import database
from tui_notifier.models import Client, Message


def test_a_tag_with_a_terminal_escape_is_refused_in_one_printable_line(cli, db):
    result = cli("clients", "add", "79001234567", "--tag", HOSTILE_TAG)
    assert result.code == 1 and result.out == ""
    assert result.reason.startswith(r"tui-notifier: error: tag: must not contain control characters, found \x1b")
    assert raw_controls(result.err) == []
    assert Client.select().count() == 0


def test_a_yaml_row_with_a_bidi_override_in_its_tag_is_a_bad_row_named_by_line_and_field(cli, db, tmp_path):
    path = tmp_path / "clients.yaml"
    path.write_text('clients:\n  - phone: "79001234567"\n    tag: "vip\\u202e\\x9b2J"\n', encoding="utf-8")
    result = cli("clients", "load", str(path))
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.startswith(f"{path}:2: row ") and r"tag: must not contain control characters, found \u202e" in first
    assert raw_controls(result.err) == []
    assert Client.select().count() == 0


def test_message_text_and_gateway_errors_are_printed_with_controls_written_out(cli, db):
    now = utcnow()
    dispatch = create_dispatch("2099-01-01T09:00Z", "2099-01-02T09:00Z", HOSTILE_TEXT, now=now)
    with database.atomic():
        client = Client.create(phone="79001234567", operator_code="900")
        Message.create(dispatch=dispatch, client=client, phone=client.phone, status="failed",
                       attempts=1, last_error=HOSTILE_ERROR)
    counts.rebuild()
    prefix = dispatch.id.hex[:8]

    shown = cli("dispatches", "show", prefix)
    assert shown.code == 0 and f"text          {SHOWN_TEXT}\n" in shown.out
    listed = cli("dispatches", "list")
    assert SHOWN_TEXT[:39] in listed.out
    report = cli("report")
    assert SHOWN_TEXT[:29] in report.out
    messages = cli("report", prefix, "--messages")
    assert SHOWN_ERROR in messages.out
    for result in (shown, listed, report, messages):
        assert result.code == 0 and raw_controls(result.out + result.err) == []

    as_json = cli("report", prefix, "--messages", "--json")
    assert raw_controls(as_json.out) == []
    data = as_json.json()
    assert data["message_text"] == HOSTILE_TEXT and data["messages"][0]["last_error"] == HOSTILE_ERROR


def test_a_usage_error_quoting_the_command_line_writes_its_controls_out(cli):
    result = cli("clients", "list", "--limit", "1", "\x1b[2J")
    assert result.code == 2
    assert r"unrecognized arguments: \x1b[2J" in result.err and raw_controls(result.err) == []
