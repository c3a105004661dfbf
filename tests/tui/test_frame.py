"""The frame: sections one keystroke apart, a header that tells where the data lives and what
sends it, a footer with the screen's keys, a command palette with every action, Escape out of
every modal."""
from __future__ import annotations

import dataclasses

from textual.command import CommandPalette
from textual.widgets import Input

from tests.tui.conftest import make_app, seed_clients, seed_reports, settle
from tui_notifier.tui.screens.client_form import ClientFormScreen
from tui_notifier.tui.screens.clients import ClientsScreen
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.dispatches import DispatchesScreen
from tui_notifier.tui.screens.load_file import LoadFileScreen
from tui_notifier.tui.screens.reports import ReportsScreen


def header_text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("StatusHeader Static"))


async def test_the_header_names_the_database_without_its_password_the_gateway_and_the_consumer(tui_config):
    config = dataclasses.replace(tui_config, database="postgresql://ops:s3cret@db.example:5432/notify")
    app = make_app(config)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        text = header_text(app)
        assert "db postgresql://ops:***@db.example:5432/notify" in text
        assert "s3cret" not in text
        badge = app.screen.query_one("#gateway-badge")
        assert str(badge.render()) == "SANDBOX" and badge.has_class("gateway-sandbox")
        assert "consumer none" in text


async def test_a_real_gateway_gets_its_own_badge(tui_config):
    gateway = dataclasses.replace(tui_config.gateway, kind="probe", url="https://probe.example/v1")
    config = dataclasses.replace(tui_config, gateway=gateway)
    app = make_app(config)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        badge = app.screen.query_one("#gateway-badge")
        assert str(badge.render()) == "PROBE" and badge.has_class("gateway-probe")


async def test_clients_dispatches_and_reports_are_one_keystroke_apart(tui_config):
    seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("2")
        assert isinstance(app.screen, DispatchesScreen)
        await pilot.press("3")
        assert isinstance(app.screen, ReportsScreen)
        await pilot.press("1")
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("slash", "1")
        assert app.screen.query_one("#search", Input).value == "1"
        await pilot.press("f4")
        assert isinstance(app.screen, ReportsScreen)
        await pilot.press("f3")
        assert isinstance(app.screen, DispatchesScreen)
        await pilot.press("f2")
        assert isinstance(app.screen, ClientsScreen)


async def test_the_footer_shows_the_keys_of_the_screen_in_view(tui_config):
    seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        keys = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"Add", "Edit", "Delete", "Load file", "Search", "Clients", "Dispatches", "Reports"} <= keys
        await pilot.press("2")
        await settle(pilot)
        keys = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"New", "Open", "Messages", "Delete"} <= keys


async def test_the_command_palette_offers_every_action(tui_config):
    seed_clients(3)
    app = make_app(tui_config)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Clients", "Dispatches", "Reports", "Add a client", "Load clients from a YAML or CSV file",
                "Search clients", "New dispatch", "Edit", "Delete", "Quit"} <= titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"new dispatch")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        assert app.current_mode == "dispatches"


async def test_escape_backs_out_of_every_modal(tui_config, tmp_path):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key, modal in (("a", ClientFormScreen), ("e", ClientFormScreen), ("d", ConfirmScreen),
                           ("l", LoadFileScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, modal)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ClientsScreen)
        await pilot.press("2")
        await settle(pilot)
        for key, screen in (("n", ComposeScreen), ("c", ConfirmScreen), ("d", ConfirmScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, DispatchesScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DispatchesScreen)
        assert len(seeded) == 5
