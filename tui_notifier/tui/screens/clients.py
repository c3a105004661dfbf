"""The client directory: a page at a time from the database, searchable, with add, edit,
delete and bulk-load."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tui_notifier.core.clients import ClientFilter, count_clients, delete_client, list_clients
from tui_notifier.core.text import visible
from tui_notifier.models import Client
from tui_notifier.tui.screens.client_form import ClientFormScreen
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.load_file import LoadFileScreen, describe_result
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.columns import columns
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal
from tui_notifier.tui.widgets.paged_table import PagedTable
from tui_notifier.tui.widgets.search import TableSearch

COLUMNS = columns(("ID", "id", 8, 1), ("Phone", "phone", 12), ("Code", "operator_code", 5, 2),
                  ("Tag", "tag", None, 0, 10), ("Time zone", "timezone", 20, 1))

EMPTY = ("No clients yet.\n\nPress a to add one, or l to load a YAML or CSV file of "
         "phone, operator_code, tag, timezone (and any attributes).")


class ClientSource:
    """Clients matching one search, for a PagedTable."""

    def __init__(self, flt: ClientFilter):
        self.flt = flt

    def fetch(self, limit, after=None, before=None):
        return list_clients(self.flt, limit=limit, after_id=after, before_id=before)

    def count(self) -> int:
        return count_clients(self.flt)

    def key(self, row: Client) -> int:
        return row.id

    def cells(self, row: Client):
        return (cell(row.id), cell(row.phone), cell(row.operator_code), cell(row.tag), cell(row.timezone))


def client_label(client: Client) -> str:
    return f"{client.phone}" + (f" (tag {client.tag})" if client.tag else "")


class ClientsScreen(TableSearch, BackgroundReads, Screen):
    AUTO_FOCUS = "#clients-table"
    BINDINGS = [
        *NAV_BINDINGS,
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("d,delete", "delete", "Delete"),
        Binding("l", "load", "Load file"),
        Binding("slash", "search", "Search"),
        Binding("escape", "leave_search", "Back to table", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield StatusHeader("clients")
        yield Input(placeholder="Search: phone prefix, 3-digit operator code, or part of a tag  (/)",
                    id="search")
        yield PagedTable(COLUMNS, id="clients-table")
        yield Static(literal(EMPTY), id="empty", classes="empty-state")
        yield Static(literal(""), id="position", classes="position")
        yield Footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#clients-table", PagedTable)

    load_path = ""

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self.table.set_source(ClientSource(ClientFilter()))

    def on_screen_resume(self) -> None:
        if self.table.loaded:
            self.table.refresh_page()

    def search_source(self, text: str) -> ClientSource:
        return ClientSource(ClientFilter(text=text))

    def on_paged_table_page_changed(self, event: PagedTable.PageChanged) -> None:
        table = event.table
        search = self.search_text()
        empty = self.query_one("#empty", Static)
        nothing = table.loaded and not table.rows_shown
        if nothing and not search:
            empty.update(literal(EMPTY))
        elif nothing:
            empty.update(Content.assemble("No client matches ", Content.styled(visible(search), "bold"),
                                          ". Press Escape to clear the search."))
        empty.display = nothing
        table.set_class(nothing, "-empty")
        where = f"Clients {table.position()}"
        if search:
            where += f" · search {search}"
        self.query_one("#position", Static).update(literal(where))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "delete" and self.busy("delete"):
            return None
        return True

    def action_reload(self) -> None:
        self.table.refresh_page()

    def action_add(self) -> None:
        self.app.push_screen(ClientFormScreen(), self._saved)

    def action_edit(self) -> None:
        client = self.table.current_row
        if client is None:
            self.notify("No client selected: press a to add one.", markup=False)
            return
        self.app.push_screen(ClientFormScreen(client), self._saved)

    def _saved(self, client: Client | None) -> None:
        if client is None:
            return
        self.notify(f"Saved client {client_label(client)}", title="Saved", markup=False)
        self.table.refresh_page()

    def action_delete(self) -> None:
        client = self.table.current_row
        if client is None:
            return

        def deleted(_result) -> None:
            self.notify(f"Deleted client {client_label(client)}", title="Deleted", markup=False)
            self.table.refresh_page()

        def answered(yes: bool | None) -> None:
            if yes and not self.busy("delete"):
                self.call_in_background(lambda: delete_client(client.id), deleted, group="delete")

        self.app.push_screen(ConfirmScreen(f"Delete client {client_label(client)}?", yes="Delete"), answered)

    def action_load(self) -> None:
        """The load dialog, with the path of the last load offered again."""
        screen = LoadFileScreen(self.load_path)

        def loaded(result) -> None:
            self.load_path = screen.last_path
            if result is None:
                return
            self.notify(describe_result(result), title="Loaded", markup=False)
            self.table.refresh_page()

        self.app.push_screen(screen, loaded)
