"""How each screen looks, on fixed data at a fixed "now" (sync tests: snap_compare runs the app
itself). Update with `pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVGs."""
from __future__ import annotations

import inspect
import time

from textual.widgets import DataTable, Input, Select, TextArea

from tests.tui.conftest import make_app, seed_clients, seed_reports, settle

SIZE = (120, 36)


def still(screen) -> None:
    """No blinking cursors: a snapshot must not depend on when it is taken."""
    for widget in screen.query("Input, TextArea"):
        widget.cursor_blink = False


def prepared(*steps):
    """A run_before that settles the background reads around each step."""

    async def run(pilot):
        await settle(pilot)
        for step in steps:
            result = step(pilot)
            if inspect.isawaitable(result):
                await result
            await settle(pilot, 3)
        still(pilot.app.screen)

    return run


def keys(*names):
    return lambda pilot: pilot.press(*names)


def select_dispatch(table_id: str, key: str):
    def step(pilot):
        table = pilot.app.screen.query_one(table_id, DataTable)
        table.move_cursor(row=table.get_row_index(key))

    return step


def test_clients(snap_compare, tui_config):
    seed_clients(40)
    assert snap_compare(make_app(tui_config), terminal_size=SIZE, run_before=prepared())


def test_clients_empty_state(snap_compare, tui_config):
    assert snap_compare(make_app(tui_config), terminal_size=SIZE, run_before=prepared())


def test_client_form_with_a_validation_error(snap_compare, tui_config):
    seed_clients(5)

    def break_timezone(pilot):
        pilot.app.screen.query_one("#timezone", Input).value = "Mars/[b]Olympus"

    assert snap_compare(make_app(tui_config), terminal_size=SIZE,
                        run_before=prepared(keys("down", "e"), break_timezone, keys("ctrl+s")))


def test_confirm_delete(snap_compare, tui_config):
    seed_clients(5)
    assert snap_compare(make_app(tui_config), terminal_size=SIZE, run_before=prepared(keys("d")))


def test_load_file_report_of_bad_rows(snap_compare, tui_config, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        '- {phone: "79001112236"}\n- {phone: "not a phone", tag: "[b]x"}\n'
        '- {phone: "79001112237", timezone: "[/]Nowhere"}\n')
    assert snap_compare(make_app(tui_config), terminal_size=(120, 40),
                        run_before=prepared(keys("l"), keys(*"bad.yaml", "enter")))


def test_dispatches(snap_compare, tui_config):
    seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SIZE, run_before=prepared(keys("2")))


def test_composer_for_a_new_dispatch(snap_compare, tui_config):
    seed_clients(20)

    def fill(pilot):
        screen = pilot.app.screen
        screen.query_one("#text", TextArea).text = "Скидка 20% [/] до пятницы {x}"
        screen.query_one("#tags", Input).value = "[/], vip"
        screen.query_one("#operator_codes", Input).value = "9x0"

    assert snap_compare(make_app(tui_config), terminal_size=(120, 40),
                        run_before=prepared(keys("2"), keys("n"), fill, lambda pilot: pilot.pause(0.5)))


def test_composer_for_a_started_dispatch(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=(120, 40),
                        run_before=prepared(keys("2"), select_dispatch("#dispatches-table", seeded["running"].id.hex),
                                            keys("o")))


def test_reports(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=(120, 40),
                        run_before=prepared(keys("3"), select_dispatch("#reports-table", seeded["running"].id.hex)))


def test_dispatch_messages(snap_compare, tui_config):
    seeded = seed_reports()

    def only_failed(pilot):
        pilot.app.screen.query_one("#status-filter", Select).value = "failed"

    assert snap_compare(make_app(tui_config), terminal_size=SIZE,
                        run_before=prepared(keys("3"), select_dispatch("#reports-table", seeded["running"].id.hex),
                                            keys("enter"), only_failed,
                                            lambda pilot: pilot.app.screen.query_one("#messages-table").focus()))


def test_message_history(snap_compare, tui_config):
    seeded = seed_reports()

    def open_first_delivered(pilot):
        screen = pilot.app.screen
        screen.query_one("#status-filter", Select).value = "delivered"

    async def open_it(pilot):
        pilot.app.screen.query_one("#messages-table").focus()
        await pilot.press("enter")

    assert snap_compare(make_app(tui_config), terminal_size=(120, 40),
                        run_before=prepared(keys("3"), select_dispatch("#reports-table", seeded["running"].id.hex),
                                            keys("enter"), open_first_delivered, open_it))


def test_reports_empty_state(snap_compare, tui_config):
    assert snap_compare(make_app(tui_config), terminal_size=SIZE, run_before=prepared(keys("3")))


# --- 80×24: every screen and dialog fits a small terminal ------------------------------------

SMALL = (80, 24)


def test_clients_at_80x24(snap_compare, tui_config):
    seed_clients(40)
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared())


def test_client_form_at_80x24_keeps_time_zone_and_buttons_in_view(snap_compare, tui_config):
    seed_clients(5)

    def break_phone(pilot):
        pilot.app.screen.query_one("#phone", Input).value = "12"

    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("down", "e"), break_phone, keys("ctrl+s"), keys("tab", "tab", "tab")))


def test_confirm_at_80x24(snap_compare, tui_config):
    seed_clients(5)
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared(keys("d")))


def test_load_file_report_at_80x24(snap_compare, tui_config, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        '- {phone: "79001112236"}\n- {phone: "not a phone at all, far too long to fit on one line", tag: "[b]x"}\n'
        '- {phone: "79001112237", timezone: "[/]Nowhere"}\n')
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("l"), keys(*"bad.yaml", "enter")))


def test_file_picker_at_80x24(snap_compare, tui_config, tmp_path):
    (tmp_path / "clients.yaml").write_text("[]\n")
    (tmp_path / "notes.txt").write_text("not offered\n")
    async def open_picker(pilot):
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("ctrl+o")  # the tree loads folders in a worker that lives as long as it
        for _ in range(50):
            await pilot.pause(0.05)
            if pilot.app.screen.query_one("#picker-tree").root.children:
                break
        await pilot.pause(0.2)

    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=open_picker)


def test_dispatches_at_80x24_keep_progress_and_text(snap_compare, tui_config):
    seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared(keys("2")))


def test_composer_at_80x24_with_every_problem_at_once(snap_compare, tui_config):
    seed_clients(20)

    def fill(pilot):
        screen = pilot.app.screen
        screen.query_one("#text", TextArea).text = ""
        screen.query_one("#start", Input).value = "soon"
        screen.query_one("#window", Input).value = "9-5"

    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("2"), keys("n"), fill, keys("ctrl+s"),
                                            lambda pilot: pilot.app.screen.query_one("#start", Input).focus()))


def test_composer_for_a_started_dispatch_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("2"), select_dispatch("#dispatches-table", seeded["running"].id.hex),
                                            keys("o")))


def test_reports_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("3"), select_dispatch("#reports-table", seeded["running"].id.hex)))


def test_dispatch_messages_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("3"), select_dispatch("#reports-table", seeded["running"].id.hex),
                                            keys("enter")))


def test_message_history_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()

    async def open_it(pilot):
        pilot.app.screen.query_one("#status-filter", Select).value = "delivered"
        await settle(pilot)
        pilot.app.screen.query_one("#messages-table").focus()
        await pilot.press("enter")

    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("3"), select_dispatch("#reports-table", seeded["running"].id.hex),
                                            keys("enter"), open_it))


def test_help_at_80x24(snap_compare, tui_config):
    seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared(keys("2"), keys("f1")))


def test_quit_with_work_in_flight_at_80x24(snap_compare, tui_config):
    from tui_notifier.tui.screens.quit import QuitScreen

    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(lambda pilot: pilot.app.push_screen(QuitScreen(2, 1))))


def test_stoplist_at_80x24(snap_compare, tui_config):
    from tests.tui.conftest import MARKUP_ERROR, NOW
    from tui_notifier.core import stoplist

    stoplist.add_phones([f"7900{i:07d}" for i in range(30)], reason=MARKUP_ERROR, now=NOW)
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared(keys("5")))


def test_stop_a_phone_with_a_bad_phone_at_80x24(snap_compare, tui_config):
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("5"), keys("a"), keys(*"12x", "enter")))


def test_resend_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("2"), select_dispatch("#dispatches-table", seeded["running"].id.hex),
                                            keys("R")))


def test_test_send_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()

    async def send(pilot):
        dialog = pilot.app.screen
        dialog.query_one("#phone", Input).value = "+7 901 555-00-11"
        dialog.query_one("#attributes", Input).value = "first_name=Анна"
        await pilot.press("enter")
        composer = pilot.app.screen_stack[-2]
        deadline = time.monotonic() + 30
        while not composer.query_one("#test-sends").display and time.monotonic() < deadline:
            await settle(pilot)

    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("2"), select_dispatch("#dispatches-table", seeded["scheduled"].id.hex),
                                            keys("o"), keys("f3"), send))


def test_audit_at_80x24(snap_compare, tui_config):
    seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared(keys("4")))


def test_stop_list_load_at_80x24(snap_compare, tui_config):
    assert snap_compare(make_app(tui_config), terminal_size=SMALL, run_before=prepared(keys("5"), keys("l")))


def test_clone_at_80x24(snap_compare, tui_config):
    seeded = seed_reports()
    assert snap_compare(make_app(tui_config), terminal_size=SMALL,
                        run_before=prepared(keys("2"), select_dispatch("#dispatches-table", seeded["finished"].id.hex),
                                            keys("C")))
