"""Test send from an opened dispatch: a dialog takes a phone and a client or attributes, the
request is made in a worker, the embedded consumer sends it through the sandbox gateway, and the
outcome shows in the dialog and under the dispatch's title, never in its counts."""
from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from tests.tui.conftest import make_app, seed_clients, settle, wait_until
from tests.tui.test_live import live_config  # noqa: F401  (a fixture)
from tui_notifier.clock import utcnow
from tui_notifier.core import stoplist
from tui_notifier.core.dispatches import create_dispatch
from tui_notifier.core.reports import dispatch_report
from tui_notifier.models import TestSend
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.test_send import TestSendScreen


async def open_dispatch(pilot, dispatch) -> ComposeScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    table = pilot.app.screen.query_one("#dispatches-table", DataTable)
    table.move_cursor(row=table.get_row_index(dispatch.id.hex))
    await pilot.press("o")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ComposeScreen)
    return pilot.app.screen


def shown(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_test_send_from_the_composer_is_sent_now_and_shown_apart_from_the_counts(live_config):
    clients = seed_clients(3)
    clients[1].attributes = {"first_name": "Анна"}
    clients[1].save()
    later = utcnow().replace(microsecond=0)
    dispatch = create_dispatch(later.replace(year=later.year + 1), later.replace(year=later.year + 2),
                               "Hi {first_name|there} [b]x[/b]")
    app = make_app(live_config, clock=utcnow)
    async with app.run_test(size=(80, 24)) as pilot:
        composer = await open_dispatch(pilot, dispatch)
        await pilot.press("f3")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TestSendScreen)
        assert dialog.query_one("#phone", Input).has_focus
        await pilot.press(*"+7 901 555-00-11")
        dialog.query_one("#client", Input).value = str(clients[1].id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "sent, accepted by the gateway" in shown(dialog, "#test-result"), 20,
                         "the test send's outcome in the dialog")
        assert "Hi Анна [b]x[/b]" in shown(dialog, "#test-result")
        assert dialog.query_one("#test-result").region.bottom <= 24
        (test,) = TestSend.select()
        assert (test.phone, test.text, test.status) == ("79015550011", "Hi Анна [b]x[/b]", "sent")

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is composer
        await wait_until(pilot, lambda: "to 79015550011: sent" in shown(composer, "#test-sends"), 5,
                         "the test send under the dispatch's title")
        assert dispatch_report(dispatch.id).total == 0 and dispatch_report(dispatch.id).dispatch.status == "scheduled"


async def test_a_test_send_says_what_is_wrong_beside_its_field(tui_config):
    seed_clients(2)
    stoplist.add_phones(["79015550011"], "replied STOP")
    dispatch = create_dispatch("2031-01-01T09:00", "2031-01-02T09:00", "Hello")
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dispatch(pilot, dispatch)
        await pilot.press("f3")
        await settle(pilot)
        dialog = app.screen
        await pilot.press(*"79015550011", "enter")
        await settle(pilot)
        assert "on the stop list" in shown(dialog, "#error-phone")

        async def send(**values):
            for name, value in values.items():
                dialog.query_one(f"#{name}", Input).value = value
            await pilot.press("enter")
            await settle(pilot)

        await send(phone="79015550012", client="x1")
        assert "client id" in shown(dialog, "#error-client") and shown(dialog, "#error-phone") == ""
        await send(client="999")
        assert "999 not found" in shown(dialog, "#error-client")
        await send(client="", attributes="first_name")
        assert "name=value" in shown(dialog, "#error-attributes")
        assert not TestSend.select().exists()
        await send(attributes="first_name=Ivan")
        assert "waiting, no consumer is running" in shown(dialog, "#test-result")
        assert TestSend.get().status == "created"


async def test_a_new_dispatch_offers_no_test_send_until_it_is_saved(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and not app.screen.query("#test_send")
