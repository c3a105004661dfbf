"""The small traps an operator met, each closed: completions taken on Enter, confirm dialogs
that Enter answers, drafts kept until the operator says, no Save where nothing can change,
bad rows counted from 1 with their whole problem, a progress bar only while loading, the
load path remembered, Escape closing the Keys panel, and the help screen."""
from __future__ import annotations

from textual.widgets import Button, DataTable, Input, ProgressBar, TextArea

from tests.tui.conftest import make_app, seed_clients, seed_reports, settle
from tui_notifier import counts
from tui_notifier.core.clients import get_client
from tui_notifier.core.dispatches import list_dispatches
from tui_notifier.tui.screens.client_form import ClientFormScreen
from tui_notifier.tui.screens.clients import ClientsScreen
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.dispatches import DispatchesScreen
from tui_notifier.tui.screens.help import HelpScreen
from tui_notifier.tui.screens.load_file import LoadFileScreen


def rendered(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_enter_in_the_time_zone_takes_the_completion_shown(tui_config):
    seed_clients(1)
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        zone = app.screen.query_one("#timezone", Input)
        zone.focus()
        zone.value = ""
        await pilot.press(*"europe/mos", "enter")
        await settle(pilot)
        assert get_client(1).timezone == "Europe/Moscow"


async def test_a_confirm_dialog_focuses_yes_so_enter_answers_and_names_its_keys(tui_config):
    seed_clients(2)
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert app.focused is dialog.query_one("#yes", Button)
        assert "(y)" in str(dialog.query_one("#yes", Button).label)
        assert "(n)" in str(dialog.query_one("#no", Button).label)
        await pilot.press("enter")
        await settle(pilot)
        assert [c.id for c in app.screen.query_one("#clients-table").rows_shown] == [2]


async def test_escape_in_the_composer_asks_before_dropping_a_draft(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        composer = app.screen
        await pilot.press("escape")
        assert isinstance(app.screen, DispatchesScreen), "an untouched form just closes"
        await pilot.press("n")
        await settle(pilot)
        composer = app.screen
        await pilot.press(*"Half a thought")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is composer
        assert composer.query_one("#text", TextArea).text == "Half a thought"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, DispatchesScreen)
        assert list_dispatches() == []


async def test_a_finished_or_cancelled_dispatch_offers_no_save(tui_config):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)
        table.move_cursor(row=table.get_row_index(seeded["finished"].id.hex))
        await pilot.press("o")
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        assert not composer.query("#save")
        assert composer.query_one("#end", Input).disabled
        assert "nothing of it can change" in rendered(composer, "#composer-title")
        assert "ctrl+s" not in composer.active_bindings


async def test_bad_rows_count_from_one_with_the_whole_problem_and_the_bar_only_while_loading(tui_config, tmp_path):
    long_phone = "not a phone " + "x" * 80
    (tmp_path / "bad.yaml").write_text(f'- {{phone: "79001112236"}}\n- {{phone: "{long_phone}"}}\n')
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        screen = app.screen
        bar = screen.query_one("#load-progress", ProgressBar)
        assert not bar.display, "no empty progress bar before a load"
        await pilot.press(*"missing.yaml", "enter")
        await settle(pilot, 3)
        assert not bar.display, "nor after a load that could not start"
        screen.query_one("#path", Input).value = "bad.yaml"
        await pilot.press("ctrl+s")
        await settle(pilot, 3)
        assert bar.display and bar.percentage == 1.0
        errors = screen.query_one("#load-errors", DataTable)
        line, row, field, problem = errors.get_row_at(0)
        assert (line.plain, row.plain, field.plain) == ("2", "2", "phone")
        assert problem.plain.endswith("is not a phone number like 79001234567") and not problem.no_wrap
        assert errors.rows[errors.coordinate_to_cell_key((0, 0)).row_key].height > 1, "wrapped, not cut"


async def test_the_load_path_is_offered_again_and_a_file_can_be_picked(tui_config, tmp_path):
    (tmp_path / "clients.yaml").write_text('- {phone: "79001112236"}\n')
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l", *"clients.yaml", "escape")
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LoadFileScreen)
        assert app.screen.query_one("#path", Input).value == "clients.yaml"
        app.screen.query_one("#path", Input).value = ""
        await pilot.press("ctrl+o")
        picker = app.screen
        tree = picker.query_one("#picker-tree")
        for _ in range(100):
            await pilot.pause(0.05)
            if tree.root.children:
                break
        names = [str(node.label) for node in tree.root.children]
        assert "clients.yaml" in names and "notifier.db" not in names
        tree.move_cursor(next(n for n in tree.root.children if str(n.label) == "clients.yaml"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LoadFileScreen)
        assert app.screen.query_one("#path", Input).value == "clients.yaml"


async def test_escape_closes_the_keys_panel(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_show_help_panel()
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
        assert isinstance(app.screen, ClientsScreen)


async def test_help_tells_statuses_the_flow_and_the_keys_of_the_screen_in_view(tui_config):
    seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = rendered(help_screen, "#help-keys")
        assert "New" in keys and "Pause" in keys and "Dispatches" in keys
        assert "delivered" in rendered(help_screen, "#help-message-statuses")
        assert "waiting for the send window" in rendered(help_screen, "#help-dispatch-statuses")
        assert "Compose" in rendered(help_screen, "#help-flow")
        await pilot.press("escape")
        assert isinstance(app.screen, DispatchesScreen)
        await pilot.press("1", "f1")
        assert isinstance(app.screen, HelpScreen)
        assert "Load file" in rendered(app.screen, "#help-keys")
        await pilot.press("escape", "a")
        assert isinstance(app.screen, ClientFormScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen), "F1 works inside a dialog too"


async def test_a_dispatch_whose_window_is_closed_says_it_waits_for_it(tui_config):
    import datetime as dt

    from tests.tui.conftest import NOW, dispatch_uuid
    from tui_notifier.models import Dispatch, Message

    clients = seed_clients(4)
    hour = dt.timedelta(hours=1)
    night = Dispatch.create(id=dispatch_uuid(9), start_at=NOW - hour, end_at=NOW + 24 * hour,
                            message_text="At night", window_start="01:00", window_end="02:00",
                            status="running", fanned_out_at=NOW - hour, created_at=NOW - hour,
                            updated_at=NOW - hour)
    for client in clients:
        Message.create(dispatch=night, client=client, phone=client.phone, timezone="UTC",
                       status="created", created_at=NOW - hour, next_attempt_at=NOW - hour)
    counts.rebuild()
    app = make_app(tui_config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await settle(pilot, 3)
        assert "waiting for the send window (01:00-02:00" in rendered(app.screen, "#rate-line")
        row = app.screen.query_one("#reports-table", DataTable).get_row_at(0)
        assert "window" in [c.plain for c in row]


async def test_toasts_on_reports_stay_clear_of_the_detail_panel(tui_config):
    seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("3")
        await settle(pilot)
        app.notify("Something happened that takes a few words to say.", title="Note", markup=False)
        await pilot.pause(0.3)
        toast = app.screen.query_one("Toast")
        detail = app.screen.query_one("#report-detail")
        assert not toast.region.overlaps(detail.region)
