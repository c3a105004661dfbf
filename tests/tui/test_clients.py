"""The client directory: paging from the database, search, add, edit, delete, bulk-load."""
from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from tests.tui.conftest import make_app, seed_clients, settle, wait_until
from tui_notifier.core.clients import count_clients, get_client
from tui_notifier.models import Client
from tui_notifier.tui.screens.client_form import ClientFormScreen
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.load_file import LoadFileScreen


def table(app) -> DataTable:
    return app.screen.query_one("#clients-table")


def column(app, key: str) -> list[str]:
    t = table(app)
    return [t.get_cell(row, key).plain for row in t.rows]


async def test_an_empty_directory_says_how_to_begin(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        empty = app.screen.query_one("#empty", Static)
        assert empty.display
        assert "Press a to add one, or l to load a YAML or CSV file" in str(empty.render())


async def test_the_table_holds_one_screenful_and_pages_through_the_directory(tui_config):
    seed_clients(200)
    app = make_app(tui_config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        t = table(app)
        first_page = column(app, "id")
        assert first_page[0] == "1" and len(first_page) == t.page_size < 30
        assert f"1–{len(first_page)} of 200" in str(app.screen.query_one("#position", Static).render())
        await pilot.press("pagedown")
        await settle(pilot)
        assert column(app, "id")[0] == str(len(first_page) + 1)
        await pilot.press("end")
        await settle(pilot)
        assert column(app, "id")[-1] == "200"
        assert "of 200" in str(app.screen.query_one("#position", Static).render())
        await pilot.press("pageup")
        await settle(pilot)
        assert column(app, "id")[-1] == str(200 - len(first_page))
        await pilot.press("home")
        await settle(pilot)
        assert column(app, "id")[0] == "1"
        await pilot.press("up")
        await settle(pilot)
        assert column(app, "id")[0] == "1"
        for _ in range(len(first_page)):
            await pilot.press("down")
        await settle(pilot)
        assert column(app, "id")[0] == str(len(first_page) + 1)
        assert t.cursor_row == 0


async def test_search_by_phone_prefix_operator_code_or_tag(tui_config):
    seed_clients(40)
    app = make_app(tui_config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.screen.query_one("#search", Input).has_focus
        await pilot.press(*"7900000001")
        await pilot.press("enter")
        await settle(pilot)
        assert column(app, "phone") == [f"7900000001{i}" for i in range(10)]
        assert table(app).has_focus
        app.screen.query_one("#search", Input).value = "916"
        await wait_until(pilot, lambda: set(column(app, "operator_code")) == {"916"})
        app.screen.query_one("#search", Input).value = "click"
        await wait_until(pilot, lambda: set(column(app, "tag")) == {"[@click=app.quit]x"})
        app.screen.query_one("#search", Input).value = "nobody"
        await wait_until(pilot, lambda: "No client matches nobody" in str(app.screen.query_one("#empty", Static).render()))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == ""


async def test_add_a_client_with_a_form(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        assert isinstance(app.screen, ClientFormScreen)
        assert app.screen.query_one("#phone", Input).has_focus
        await pilot.press(*"+7 (912) 345-67-89", "tab", "tab")
        await pilot.press(*"[/]", "tab")
        app.screen.query_one("#timezone", Input).value = "Europe/Moscow"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClientFormScreen)
        client = Client.get(Client.phone == "79123456789")
        assert (client.operator_code, client.tag, client.timezone) == ("912", "[/]", "Europe/Moscow")
        assert column(app, "tag") == ["[/]"]
        toasts = [n.message for n in app._notifications]
        assert "Saved client 79123456789 (tag [/])" in toasts


async def test_edit_shows_the_validation_error_beside_the_field_then_saves_when_fixed(tui_config):
    seed_clients(3)
    app = make_app(tui_config)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        await pilot.press("down", "e")
        form = app.screen
        assert isinstance(form, ClientFormScreen) and form.client.id == 2
        form.query_one("#timezone", Input).value = "Mars/Olympus"
        await pilot.click("#save")
        await pilot.pause()
        error = form.query_one("#error-timezone", Static)
        assert "unknown time zone 'Mars/Olympus'" in str(error.render())
        assert error.has_class("shown")
        assert form.query_one("#timezone", Input).has_focus
        assert get_client(2).timezone == "UTC"
        form.query_one("#timezone", Input).value = "Asia/Tokyo"
        form.query_one("#operator_code", Input).value = "12x"
        await pilot.press("enter")
        await pilot.pause()
        assert "3 digits" in str(form.query_one("#error-operator_code", Static).render())
        assert not form.query_one("#error-timezone", Static).has_class("shown")
        form.query_one("#operator_code", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not form
        assert get_client(2).timezone == "Asia/Tokyo"
        assert get_client(2).operator_code == "900"


async def test_a_phone_already_in_the_directory_is_named_beside_the_phone(tui_config):
    seed_clients(2)
    app = make_app(tui_config)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        app.screen.query_one("#phone", Input).value = "79000000001"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "79000000001 is already in the directory" in str(app.screen.query_one("#error-phone").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ClientFormScreen)
        assert count_clients() == 2


async def test_delete_asks_first(tui_config):
    seed_clients(3)
    app = make_app(tui_config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete client 79000000000 (tag [/])?" in str(app.screen.query_one("#question").render())
        await pilot.press("escape")
        await pilot.pause()
        assert count_clients() == 3
        await pilot.press("delete")
        await pilot.click("#yes")
        await settle(pilot)
        assert count_clients() == 2
        assert column(app, "id") == ["2", "3"]
        assert "Deleted client 79000000000 (tag [/])" in [n.message for n in app._notifications]


GOOD_FILE = """\
- {phone: "+7 900 111-22-33", tag: "[/]"}
- {phone: "89001112234", tag: "[@click=app.quit]x", timezone: Europe/Moscow}
- {phone: 79001112235, operator_code: "901"}
"""

BAD_FILE = """\
- {phone: "79001112236"}
- {phone: "not a phone", tag: "[b]x"}
- {phone: "79001112237", timezone: "[/]Nowhere"}
"""


async def test_load_a_yaml_file_with_progress_and_a_report(tui_config, tmp_path):
    (tmp_path / "clients.yaml").write_text(GOOD_FILE)
    app = make_app(tui_config)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, LoadFileScreen)
        await pilot.press(*"clients.yaml", "enter")
        await settle(pilot, 3)
        summary = str(screen.query_one("#load-summary").render())
        assert "3 rows: 3 created, 0 updated, 0 skipped, 0 bad." in summary
        bar = screen.query_one("#load-progress")
        assert bar.percentage == 1.0
        assert app.focused is screen.query_one("#path")
        await pilot.press("escape")
        await settle(pilot)
        assert count_clients() == 3
        assert column(app, "tag") == ["[/]", "[@click=app.quit]x", ""]
        assert any(n.title == "Loaded" for n in app._notifications)


async def test_a_csv_file_loads_with_its_attributes(tui_config, tmp_path):
    (tmp_path / "clients.csv").write_text("phone;tag;first_name\n79001112233;vip;Анна\n79001112234;;\n",
                                          encoding="utf-8")
    app = make_app(tui_config)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        screen = app.screen
        await pilot.press(*"clients.csv", "enter")
        await settle(pilot, 3)
        assert "2 rows: 2 created" in str(screen.query_one("#load-summary").render())
        assert count_clients() == 2


async def test_a_file_with_bad_rows_loads_nothing_and_lists_them_by_line(tui_config, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD_FILE)
    app = make_app(tui_config)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        screen = app.screen
        screen.query_one("#path", Input).value = "bad.yaml"
        await pilot.click("#load")
        await settle(pilot, 3)
        assert "Nothing was written" in str(screen.query_one("#load-summary").render())
        errors = screen.query_one("#load-errors", DataTable)
        rows = [[c.plain for c in errors.get_row_at(i)] for i in range(errors.row_count)]
        assert [r[0] for r in rows] == ["2", "3"]
        assert rows[0][2] == "phone" and "'not a phone'" in rows[0][3]
        assert rows[1][2] == "timezone" and "[/]Nowhere" in rows[1][3]
        assert app.focused is errors, "the operator goes on to read the bad rows"
        assert count_clients() == 0
        screen.query_one("#skip_invalid").value = True
        await pilot.click("#load")
        await settle(pilot, 3)
        assert "3 rows: 1 created" in str(screen.query_one("#load-summary").render())
        await pilot.press("escape")
        await settle(pilot)
        assert column(app, "phone") == ["79001112236"]


async def test_an_unusable_path_is_named_beside_the_path(tui_config):
    app = make_app(tui_config)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        screen = app.screen
        await pilot.press(*"missing.yaml", "enter")
        await settle(pilot, 3)
        assert "missing.yaml: no such file" in str(screen.query_one("#error-path").render())
        assert app.focused is screen.query_one("#path")
        assert not screen.loading


async def test_the_form_edits_attributes_with_a_bad_one_named_beside_the_field(tui_config):
    from tui_notifier.core.clients import update_client

    seed_clients(1)
    update_client(1, attributes={"first_name": "Анна", "city": "[b]Москва"})
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        form = app.screen
        field = form.query_one("#attributes", Input)
        assert field.value == "first_name=Анна; city=[b]Москва"
        for bad, said in (("first_name=Анна; oops", "expected name=value, got 'oops'"),
                          ("1st=x", "attribute name '1st' must be letters"),
                          ("phone=1", "'phone' is a field of every client")):
            field.value = bad
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert said in str(form.query_one("#error-attributes", Static).render())
            assert app.screen is form and field.has_focus
        assert get_client(1).attributes == {"first_name": "Анна", "city": "[b]Москва"}
        field.value = "first_name=Пётр;  city= ; title=Dr"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert get_client(1).attributes == {"first_name": "Пётр", "title": "Dr"}
