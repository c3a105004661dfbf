"""Composing and steering dispatches: live SMS-part and audience counts, validation beside the
field, a started dispatch read-only except its end, pause, resume, cancel, delete."""
from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Input, TextArea

from tests.tui.conftest import NOW, make_app, seed_clients, seed_reports, settle, wait_until
from tui_notifier.core.dispatches import get_dispatch, list_dispatches
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.confirm import ConfirmScreen


def rendered(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def rows(app) -> list[list[str]]:
    table = app.screen.query_one("#dispatches-table", DataTable)
    return [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_with_no_dispatches_the_list_says_how_to_begin(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert "Press n to compose one" in rendered(app.screen, "#empty")


async def test_compose_a_dispatch_with_live_counts_and_a_validation_error_fixed(tui_config):
    seed_clients(20)
    app = make_app(tui_config)
    async with app.run_test(size=(120, 44)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert screen.query_one("#text", TextArea).has_focus
        assert screen.query_one("#start", Input).value == "2030-01-01 12:00"
        assert screen.query_one("#end", Input).value == "2030-01-02 12:00"
        assert "Matches 20 clients" in rendered(screen, "#audience")
        await pilot.press(*"Hi [/] {x}")
        assert rendered(screen, "#sms-counter") == "10 chars · GSM-7 · 1 SMS (146 left)"
        screen.query_one("#text", TextArea).text = "Привет " + "a" * 70
        await pilot.pause()
        assert rendered(screen, "#sms-counter") == "77 chars · UCS-2 · 2 SMS parts (57 left)"
        screen.query_one("#text", TextArea).text = "Sale [/] today"
        screen.query_one("#tags", Input).value = "[/], vip"
        await wait_until(pilot, lambda: "Matches 8 clients" in rendered(screen, "#audience"))
        screen.query_one("#operator_codes", Input).value = "90"
        await wait_until(pilot, lambda: "must be 3 digits" in rendered(screen, "#error-operator_codes"))
        screen.query_one("#operator_codes", Input).value = "900"
        await wait_until(pilot, lambda: "Matches 4 clients" in rendered(screen, "#audience"))
        assert not screen.query_one("#error-operator_codes").has_class("shown")
        screen.query_one("#timezone", Input).value = "Europe/Moscow"
        screen.query_one("#start", Input).value = "2030-01-02 10:00"
        screen.query_one("#end", Input).value = "2030-01-02 09:00"
        screen.query_one("#window", Input).value = "09:00-21:00"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "the end must be after the start" in rendered(screen, "#error-end")
        assert screen.query_one("#end", Input).has_focus
        assert list_dispatches() == []
        screen.query_one("#end", Input).value = "2030-01-02 18:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not screen
        (dispatch,) = list_dispatches()
        assert dispatch.message_text == "Sale [/] today"
        assert dispatch.start_at == dt.datetime(2030, 1, 2, 7, 0, tzinfo=dt.timezone.utc)
        assert (dispatch.tags, dispatch.operator_codes, dispatch.window) == (["[/]", "vip"], ["900"], "09:00-21:00")
        assert any(n.title == "Created" and "Sale [/] today" in n.message for n in app._notifications)
        (row,) = rows(app)
        assert row[1] == "scheduled" and row[2] == "2030-01-02 10:00" and row[7] == "Sale [/] today"


async def test_a_scheduled_dispatch_can_still_change_everything(tui_config):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(120, 44)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(seeded["scheduled"].id.hex))
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert not screen.query_one("#start", Input).disabled
        screen.query_one("#text", TextArea).text = "New text [b]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert get_dispatch(seeded["scheduled"].id).message_text == "New text [b]"


async def test_a_started_dispatch_opens_read_only_but_its_end_and_can_be_paused_resumed_cancelled(tui_config):
    seeded = seed_reports()
    running = seeded["running"]
    app = make_app(tui_config)
    async with app.run_test(size=(120, 44)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(running.id.hex))
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert "only its end can change" in rendered(screen, "#composer-title")
        for name in ("start", "timezone", "operator_codes", "tags", "window"):
            assert screen.query_one(f"#{name}", Input).disabled
        assert screen.query_one("#text", TextArea).read_only
        assert screen.query_one("#end", Input).has_focus
        assert screen.query_one("#resume").disabled and not screen.query_one("#pause").disabled

        await pilot.press("f5")
        await settle(pilot)
        assert get_dispatch(running.id).status == "paused"
        assert screen.query_one("#pause").disabled and not screen.query_one("#resume").disabled
        assert "paused by the operator" in rendered(screen, "#status-line")
        await pilot.click("#resume")
        await settle(pilot)
        assert get_dispatch(running.id).status == "running"

        screen.query_one("#end", Input).value = "2030-01-01 14:30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "the end must be after the start" in rendered(screen, "#error-end")
        screen.query_one("#end", Input).value = "2030-01-01 15:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert get_dispatch(running.id).end_at == NOW + dt.timedelta(minutes=30)
        assert app.screen is not screen

        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f8")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert get_dispatch(running.id).status == "cancelled"
        assert {m.status for m in running.messages} == {"sent", "delivered", "failed", "sending", "cancelled"}


async def test_pause_resume_cancel_and_delete_from_the_list(tui_config):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        key = seeded["paused"].id.hex
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("r")
        await settle(pilot)
        assert get_dispatch(key).status == "running"
        await pilot.press("p")
        await settle(pilot)
        assert get_dispatch(key).status == "paused"
        await pilot.press("c")
        await pilot.press("escape")
        await settle(pilot)
        assert get_dispatch(key).status == "paused"
        await pilot.press("c", "y")
        await settle(pilot)
        assert get_dispatch(key).status == "cancelled"
        titles = [n.title for n in app._notifications]
        assert titles[-3:] == ["Resumed", "Paused", "Cancelled"]
        await pilot.press("d", "y")
        await settle(pilot)
        assert key not in [d.id.hex for d in list_dispatches()]
        assert len(rows(app)) == 3


async def test_the_composer_previews_the_text_for_a_sample_client_with_parts_and_the_total_and_saves_a_sender(tui_config):
    from tui_notifier.core.clients import update_client

    clients = seed_clients(3)
    update_client(clients[0].id, attributes={"first_name": "Анна"})
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#text", TextArea).text = "Hi {first_name|there}, " + "a" * 65
        await wait_until(pilot, lambda: "4 SMS in all" in rendered(screen, "#preview"))
        preview = rendered(screen, "#preview")
        assert preview.startswith("Sample: Hi Анна, aaaa")
        assert "1–2 SMS per recipient · 4 SMS in all for 3 recipients" in preview
        screen.query_one("#operator_codes", Input).value = "900"
        await wait_until(pilot, lambda: "for 1 recipient" in rendered(screen, "#preview"))
        assert "1 SMS per recipient · 1 SMS in all for 1 recipient" in rendered(screen, "#preview")
        assert rendered(screen, "#preview").startswith("Sample: Hi there, aaaa")
        screen.query_one("#text", TextArea).text = "Hi {first_name"
        await wait_until(pilot, lambda: rendered(screen, "#preview").startswith("No preview: "))
        screen.query_one("#text", TextArea).text = "Hi {first_name|there}"
        screen.query_one("#sender", Input).value = "Магазин"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "must be 1-11 Latin letters" in rendered(screen, "#error-sender")
        assert list_dispatches() == []
        screen.query_one("#sender", Input).value = "My-Shop 1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not screen
        (dispatch,) = list_dispatches()
        assert dispatch.sender == "My-Shop 1"


async def test_C_clones_and_R_resends_the_selected_dispatch_then_selects_the_new_one(tui_config):
    from tui_notifier.tui.screens.copy_dispatch import CopyDispatchScreen

    seeded = seed_reports()
    running = seeded["running"]
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(running.id.hex))
        await pilot.press("C")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CopyDispatchScreen)
        assert dialog.query_one("#start", Input).value == "2030-01-01 15:00"
        assert dialog.query_one("#end", Input).value == "2030-01-01 16:10"
        dialog.query_one("#end", Input).value = "2029-01-01 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "the end must be after the start" in rendered(dialog, "#error-end")
        assert len(list_dispatches()) == 4
        dialog.query_one("#end", Input).value = "2030-01-02 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        clone = next(d for d in list_dispatches() if d.source == running.id and not d.explicit_audience)
        assert (clone.message_text, clone.tags, clone.timezone) == (running.message_text, running.tags,
                                                                   "Europe/Moscow")
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == clone.id.hex

        table.move_cursor(row=table.get_row_index(running.id.hex))
        await pilot.press("R")
        await settle(pilot)
        dialog = app.screen
        assert [dialog.query_one(f"#status-{s}").value for s in ("failed", "timeout", "cancelled")] == [
            True, True, False]
        dialog.query_one("#status-failed").value = False
        dialog.query_one("#status-timeout").value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "must be some of failed, timeout, cancelled" in rendered(dialog, "#error-status")
        dialog.query_one("#status-failed").value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not dialog
        resent = next(d for d in list_dispatches() if d.explicit_audience)
        from tui_notifier.core.dispatches import audience_count

        assert audience_count(resent) == 4
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == resent.id.hex
        assert any(n.title == "Resent" for n in app._notifications)
