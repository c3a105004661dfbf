"""At 80×24 every dialog and form keeps the focused control in view: Tab and shift+Tab walk
through all of them, and each one focused is inside the terminal, scrolled to if need be."""
from __future__ import annotations

import pytest
from textual.screen import ModalScreen
from textual.widgets import DataTable

from tests.tui.conftest import make_app, seed_reports, settle

SMALL = (80, 24)


def select(table_id: str, key: str):
    async def step(pilot):
        table = pilot.app.screen.query_one(table_id, DataTable)
        table.move_cursor(row=table.get_row_index(key))

    return step


def keys(*names):
    async def step(pilot):
        await pilot.press(*names)

    return step


def dialogs(seeded):
    running, scheduled = seeded["running"].id.hex, seeded["scheduled"].id.hex
    return {
        "client form": [keys("a")],
        "edit client": [keys("e")],
        "load file": [keys("l")],
        "new dispatch": [keys("2"), keys("n")],
        "scheduled dispatch": [keys("2"), select("#dispatches-table", scheduled), keys("o")],
        "started dispatch": [keys("2"), select("#dispatches-table", running), keys("o")],
        "test send": [keys("2"), select("#dispatches-table", scheduled), keys("o"), keys("f3")],
        "clone": [keys("2"), select("#dispatches-table", running), keys("C")],
        "resend": [keys("2"), select("#dispatches-table", running), keys("R")],
        "stop a phone": [keys("5"), keys("a")],
        "stop list load": [keys("5"), keys("l")],
    }


NAMES = ["client form", "edit client", "load file", "new dispatch", "scheduled dispatch", "started dispatch",
         "test send", "clone", "resend", "stop a phone", "stop list load"]


@pytest.mark.parametrize("name", NAMES)
async def test_tab_keeps_the_focused_control_in_view(tui_config, name):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for step in dialogs(seeded)[name]:
            await step(pilot)
            await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModalScreen) or screen.query("#composer"), name
        seen = set()
        for key in ["tab"] * 10 + ["shift+tab"] * 3:
            await pilot.press(key)
            await settle(pilot, 1)
            focused = app.focused
            assert focused is not None and focused.screen is screen
            seen.add(focused.id)
            region = focused.region
            assert region.area and 0 <= region.y and region.bottom <= SMALL[1] - 1 and region.right <= SMALL[0], \
                (name, focused, region)
        assert len(seen) >= 2
