"""Terminal escapes are text too: a legacy tag, a message text and a gateway's error carrying
ESC, BEL, CSI, C1 controls, a bidi override or NUL reach the screen written out, never raw."""
from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Input, Select, TextArea

from hostile import (HOSTILE_ERROR, HOSTILE_TAG, HOSTILE_TEXT, SHOWN_ERROR, SHOWN_TAG, SHOWN_TEXT,
                     raw_controls)
from tests.tui.conftest import NOW, dispatch_uuid, make_app, settle, wait_until
from tui_notifier import counts
from tui_notifier.db import database
from tui_notifier.models import Attempt, Client, Dispatch, Message
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.message import MessageScreen


def screen_text(app) -> str:
    """What the terminal is sent for the screen in view: the rendered strips, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def seed_hostile() -> tuple[Dispatch, Dispatch]:
    minute = dt.timedelta(minutes=1)
    with database.atomic():
        client = Client.create(phone="79001234567", operator_code="900", tag=HOSTILE_TAG)
        running = Dispatch.create(id=dispatch_uuid(1), start_at=NOW - 10 * minute, end_at=NOW + 60 * minute,
                                  message_text=HOSTILE_TEXT, status="running", fanned_out_at=NOW - 10 * minute,
                                  created_at=NOW - 60 * minute, updated_at=NOW - 60 * minute)
        scheduled = Dispatch.create(id=dispatch_uuid(2), start_at=NOW + 60 * minute, end_at=NOW + 120 * minute,
                                    message_text=HOSTILE_TEXT, created_at=NOW - 60 * minute,
                                    updated_at=NOW - 60 * minute)
        message = Message.create(dispatch=running, client=client, phone=client.phone, status="failed", attempts=1,
                                 created_at=NOW - 10 * minute, last_error=HOSTILE_ERROR)
        Attempt.create(message=message, at=NOW - 5 * minute, outcome="permanent", http_status=500,
                       error=HOSTILE_ERROR, latency_ms=12)
    counts.rebuild()
    return running, scheduled


async def test_every_screen_shows_hostile_text_written_out(tui_config):
    running, scheduled = seed_hostile()
    app = make_app(tui_config)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert SHOWN_TAG in text and raw_controls(text) == []

        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        assert SHOWN_TEXT[:40] in text and raw_controls(text) == []

        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one("#reports-table", DataTable)
        table.move_cursor(row=table.get_row_index(running.id.hex))
        await settle(pilot, 3)
        text = screen_text(app)
        assert SHOWN_TEXT[:40] in text and SHOWN_ERROR in text and raw_controls(text) == []

        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#status-filter", Select).value = "failed"
        await settle(pilot, 3)
        text = screen_text(app)
        assert SHOWN_ERROR in text and raw_controls(text) == []
        app.screen.query_one("#messages-table").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        text = screen_text(app)
        assert f"Last error   {SHOWN_ERROR}" in text and f"Text         {SHOWN_TEXT}" in text
        assert raw_controls(text) == []

        app.notify(f"gateway said {HOSTILE_ERROR}", title=HOSTILE_TAG, markup=False)
        await wait_until(pilot, lambda: "gateway said" in screen_text(app).replace("\n", ""), what="the toast")
        text = screen_text(app).replace("\n", "")
        assert SHOWN_TAG in text and raw_controls(text) == []


async def test_the_editors_show_stored_controls_written_out_and_keep_the_text_when_unchanged(tui_config):
    running, scheduled = seed_hostile()
    app = make_app(tui_config)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert app.screen.query_one("#tag", Input).value == SHOWN_TAG
        assert raw_controls(screen_text(app)) == []
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(scheduled.id.hex))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one("#text", TextArea).text == SHOWN_TEXT
        assert raw_controls(screen_text(app)) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert Dispatch.get_by_id(scheduled.id).message_text == HOSTILE_TEXT
