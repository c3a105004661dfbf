"""The stop list screen: paging stopped phones, stopping one (bad phone beside the field),
removing one after a confirm, loading a file, text shown literally."""
from __future__ import annotations

import datetime as dt

from textual.widgets import Input, Static

from tests.tui.conftest import MARKUP_ERROR, NOW, make_app, seed_clients, settle, wait_until
from tui_notifier import counts
from tui_notifier.core import stoplist
from tui_notifier.db import database
from tui_notifier.models import Dispatch, Message, StopEntry
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.stop_form import StopFormScreen
from tui_notifier.tui.screens.stop_load import StopLoadScreen
from tui_notifier.tui.screens.stoplist import StopListScreen


def phones(app) -> list[str]:
    table = app.screen.query_one("#stoplist-table")
    return [table.get_cell(row, "phone").plain for row in table.rows]


async def open_stoplist(pilot):
    await pilot.press("5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StopListScreen)


async def test_key_5_pages_through_the_stopped_phones_with_reasons_shown_literally(tui_config):
    stoplist.add_phones([f"7900{i:07d}" for i in range(60)], reason=MARKUP_ERROR, now=NOW)
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_stoplist(pilot)
        first = phones(app)
        assert first[0] == "79000000000" and len(first) < 60
        table = app.screen.query_one("#stoplist-table")
        assert table.get_cell("79000000000", "reason").plain == MARKUP_ERROR
        assert "of 60" in str(app.screen.query_one("#position", Static).render())
        await pilot.press("end")
        await settle(pilot)
        assert phones(app)[-1] == "79000000059"
        await pilot.press("pageup")
        await settle(pilot)
        assert phones(app)[-1] == f"7900{59 - len(first):07d}"
        await pilot.press("slash", *"8 900 000 001", "enter")
        await wait_until(pilot, lambda: phones(app) == [f"790000000{i:02d}" for i in range(10, 20)])
        assert "1–10 of 10 · search 8 900 000 001" in str(app.screen.query_one("#position", Static).render())


async def test_a_stops_a_phone_cancels_its_unsent_messages_and_shows_a_bad_phone_beside_the_field(tui_config):
    client = seed_clients(1)[0]
    with database.atomic():
        dispatch = Dispatch.create(start_at=NOW, end_at=NOW + dt.timedelta(hours=1), message_text="hi",
                                   status="running", created_at=NOW, updated_at=NOW)
        Message.create(dispatch=dispatch, client=client, phone=client.phone, status="created", created_at=NOW)
    counts.rebuild()
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_stoplist(pilot)
        assert app.screen.query_one("#empty").display
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, StopFormScreen)
        await pilot.press(*"12345", "enter")
        await settle(pilot)
        error = str(app.screen.query_one("#error-phone", Static).render())
        assert error and isinstance(app.screen, StopFormScreen) and app.screen.focused.id == "phone"
        app.screen.query_one("#phone", Input).value = "+7 900 000-00-00"
        app.screen.query_one("#reason", Input).value = "replied STOP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StopListScreen)
        assert phones(app) == ["79000000000"]
        assert Message.get().status == "cancelled"
        assert "Stopped 1 phone; 1 unsent message cancelled." in [n.message for n in app._notifications]


async def test_d_asks_before_taking_a_phone_off_the_list(tui_config):
    stoplist.add_phones(["79001112233", "79001112244"], now=NOW)
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_stoplist(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert StopEntry.select().count() == 2
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [e.phone for e in StopEntry.select()] == ["79001112244"]
        assert phones(app) == ["79001112244"]


async def test_l_loads_a_file_and_a_bad_line_stops_nothing(tui_config, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("79001112233\nnot a phone\n", encoding="utf-8")
    good = tmp_path / "stop.csv"
    good.write_text("phone,reason\n+7 900 111-22-33,asked\n89001112244\n", encoding="utf-8")
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_stoplist(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, StopLoadScreen)
        app.screen.query_one("#path", Input).value = str(bad)
        await pilot.press("ctrl+s")
        await settle(pilot)
        summary = str(app.screen.query_one("#load-summary", Static).render())
        assert "Nothing was stopped" in summary and f"{bad}:2" in summary
        assert StopEntry.select().count() == 0
        app.screen.query_one("#path", Input).value = "missing.csv"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "missing.csv" in str(app.screen.query_one("#error-path", Static).render())
        app.screen.query_one("#path", Input).value = str(good)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "2 stopped" in str(app.screen.query_one("#load-summary", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert phones(app) == ["79001112233", "79001112244"]
        assert StopEntry.get(StopEntry.phone == "79001112233").reason == "asked"
