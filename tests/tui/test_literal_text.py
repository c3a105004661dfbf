"""Tags, message text, phones and gateway errors are shown exactly as they are: `[/]` is three
characters and `[@click=app.quit]x` runs nothing, wherever a user string appears."""
from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from tests.tui.conftest import MARKUP_ERROR, MARKUP_TAGS, MARKUP_TEXT, make_app, seed_reports, settle, wait_until
from tui_notifier.core.clients import add_client
from tui_notifier.tui.screens.client_form import ClientFormScreen
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.confirm import ConfirmScreen


def rendered(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def cells(screen, selector: str) -> set[str]:
    table = screen.query_one(selector, DataTable)
    return {c.plain for i in range(table.row_count) for c in table.get_row_at(i)}


async def test_markup_like_text_is_literal_on_every_screen(tui_config):
    seeded = seed_reports()
    running = seeded["running"]
    app = make_app(tui_config)
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        clients = app.screen
        assert set(MARKUP_TAGS) <= cells(clients, "#clients-table")
        await pilot.click("#clients-table", offset=(40, 3))
        assert app.is_running

        await pilot.press("e")
        assert isinstance(app.screen, ClientFormScreen)
        assert app.screen.query_one("#tag", Input).value in MARKUP_TAGS
        await pilot.press("escape", "d")
        assert isinstance(app.screen, ConfirmScreen)
        question = rendered(app.screen, "#question")
        assert any(f"(tag {tag})" in question for tag in MARKUP_TAGS)
        await pilot.press("escape")

        clients.query_one("#search", Input).value = "[/"
        await wait_until(pilot, lambda: cells(clients, "#clients-table") >= {"[/]", "[b]bold[/b]"})
        clients.query_one("#search", Input).value = "[nothing]"
        await wait_until(pilot, lambda: "No client matches [nothing]." in rendered(clients, "#empty"))

        await pilot.press("2")
        await settle(pilot)
        dispatches = app.screen
        assert {MARKUP_TEXT, "codes 900,916 · tags [/],vip", "tags [@click=app.quit]x"} <= cells(dispatches, "#dispatches-table")
        table = dispatches.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(running.id.hex))
        await pilot.press("enter")
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        assert composer.query_one("#text").text == MARKUP_TEXT
        assert composer.query_one("#tags", Input).value == "[/], vip"
        await pilot.press("f8")
        assert MARKUP_TEXT[:30] in rendered(app.screen, "#question")
        await pilot.press("escape", "escape")

        await pilot.press("3")
        await settle(pilot)
        reports = app.screen
        table = reports.query_one("#reports-table", DataTable)
        table.move_cursor(row=table.get_row_index(running.id.hex))
        await settle(pilot, 3)
        assert MARKUP_TEXT in cells(reports, "#reports-table")
        assert MARKUP_TEXT in rendered(reports, "#report-title")
        assert MARKUP_ERROR in cells(reports, "#top-errors")
        await pilot.click("#report-title", offset=(100, 0))
        await pilot.click("#top-errors", offset=(30, 1))
        assert app.is_running

        await pilot.press("enter")
        await settle(pilot)
        messages = app.screen
        assert MARKUP_TEXT[:38] in rendered(messages, "#dispatch-summary")
        messages.query_one("#status-filter", Select).value = "failed"
        await settle(pilot, 3)
        assert MARKUP_ERROR in cells(messages, "#messages-table")
        messages.query_one("#messages-table").focus()
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        fields = rendered(detail, "#message-fields")
        assert f"Last error   {MARKUP_ERROR}" in fields and f"Text         {MARKUP_TEXT}" in fields
        await pilot.click("#message-fields", offset=(30, 7))
        assert app.is_running


async def test_toasts_show_user_text_literally(tui_config):
    add_client("79001234567", tag="[@click=app.quit]x")
    app = make_app(tui_config)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        app.screen.query_one("#tag", Input).value = "[/]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        (toast,) = [n for n in app._notifications if n.title == "Saved"]
        assert toast.message == "Saved client 79001234567 (tag [/])" and toast.markup is False
        await pilot.pause(0.2)
        assert app.is_running
