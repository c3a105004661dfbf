"""Every change the dashboard makes runs in a worker: while the database is slow to take a
write (another writer holds it here, as a remote PostgreSQL under load would), keys are
handled at once, the control of the change is disabled, and the change lands when the
database lets it."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

from textual.widgets import DataTable, Input

from tests.tui.conftest import make_app, seed_clients, seed_reports, settle, wait_until
from tui_notifier.core.dispatches import get_dispatch
from tui_notifier.tui.screens.client_form import ClientFormScreen
from tui_notifier.tui.screens.clients import ClientsScreen


@contextmanager
def database_held(config):
    """Another connection holds the write lock of the SQLite file until the block ends."""
    other = sqlite3.connect(config.database_url, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()



def enabled(app, key: str) -> bool | None:
    active = app.screen.active_bindings.get(key)
    return None if active is None else active.enabled


async def test_a_pause_waiting_on_the_database_leaves_the_keys_working(tui_config):
    seeded = seed_reports()
    running = seeded["running"]
    app = make_app(tui_config)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(running.id.hex))
        await pilot.pause()
        assert enabled(app, "p") is True
        with database_held(tui_config) as other:
            await pilot.press("p")
            await pilot.pause()
            assert enabled(app, "p") is False, "pause is disabled while it runs"
            await pilot.press("1", "slash", *"7900")
            assert isinstance(app.screen, ClientsScreen)
            assert app.screen.query_one("#search", Input).value == "7900"
            status = other.execute("SELECT status FROM dispatch WHERE id = ?",
                                   (running.id.hex,)).fetchone()[0]
            assert status == "running", "the pause is still waiting for the database"
        await wait_until(pilot, lambda: get_dispatch(running.id).status == "paused", 20, "the pause")
        await pilot.press("2")
        await wait_until(pilot, lambda: "Paused" in [n.title for n in app._notifications], 10, "the toast")


async def test_a_client_save_waiting_on_the_database_leaves_typing_free(tui_config):
    seed_clients(2)
    app = make_app(tui_config)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        await pilot.press(*"79001234567")
        with database_held(tui_config):
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert form.query_one("#save").disabled
            await pilot.press("tab", "tab", *"vip")
            assert form.query_one("#tag", Input).value == "vip"
            assert app.screen is form
        await wait_until(pilot, lambda: app.screen is not form, 20, "the save")
        await wait_until(pilot, lambda: "Saved" in [n.title for n in app._notifications], 10, "the toast")
