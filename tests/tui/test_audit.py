"""The audit view: key 4 shows every write, who made it through which face, a page at a time."""
from __future__ import annotations

import getpass

import pytest

from tui_notifier.core import audit, clients
from tui_notifier.tui.widgets.paged_table import PagedTable

from .conftest import make_app, settle


@pytest.fixture
def as_dashboard():
    """What `tui-notifier` does before it opens the dashboard."""
    before = audit.current_actor()
    audit.act_as(getpass.getuser(), "dashboard")
    yield
    audit.act_as(before.name, before.face)


async def test_key_4_shows_the_audit_trail_with_dashboard_writes_under_the_os_user(tui_config, as_dashboard):
    with audit.acting_as("crm-sync", "api"):
        clients.add_client("79001234567", tag="[bold]vip[/]")
    app = make_app(tui_config)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        table = app.screen.query_one("#audit-table", PagedTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1:5] for r in rows] == [["crm-sync", "api", "create", "client 1"]]
        assert "tag=[bold]vip[/]" in rows[0][5]
        await pilot.press("1", "a")
        await settle(pilot)
        await pilot.press(*"79011234567")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot, rounds=4)
        table = app.screen.query_one("#audit-table", PagedTable)
        table.refresh_page()
        await settle(pilot, rounds=4)
        actors = [(str(table.get_row_at(i)[1]), str(table.get_row_at(i)[2])) for i in range(table.row_count)]
        assert actors[-1] == (getpass.getuser(), "dashboard")
