"""The stop list: phones never sent to, a page at a time, with add, remove and load-from-file.

Adding a phone cancels its unsent messages at once (core `stoplist`); the dashboard says how
many.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui_notifier.core import stoplist
from tui_notifier.models import StopEntry
from tui_notifier.tui.formatting import local_time
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.stop_form import StopFormScreen
from tui_notifier.tui.screens.stop_load import StopLoadScreen, cancelled_text, describe_stop_load
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.columns import columns
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal, one_line
from tui_notifier.tui.widgets.paged_table import PagedTable
from tui_notifier.tui.widgets.search import TableSearch

COLUMNS = columns(("Phone", "phone", 12), ("Since (UTC)", "since", 16, 1), ("Reason", "reason", None, 0, 12))

EMPTY = ("The stop list is empty.\n\nPress a to stop a phone (its unsent messages are cancelled at once), "
         "or l to load a file of phones, one per line, optionally \"phone,reason\".")


class StopSource:
    """Stopped phones in phone order, for a PagedTable (a phone's digits are its key)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def fetch(self, limit, after=None, before=None):
        return stoplist.list_stopped(self.prefix, limit=limit,
                                     after=None if after is None else f"{after:011d}",
                                     before=None if before is None else f"{before:011d}")

    def count(self) -> int:
        return stoplist.count_stopped(self.prefix)

    def key(self, row: StopEntry) -> int:
        return int(row.phone)

    def cells(self, row: StopEntry):
        return cell(row.phone), cell(local_time(row.created_at)), cell(one_line(row.reason, 300))


class StopListScreen(TableSearch, BackgroundReads, Screen):
    AUTO_FOCUS = "#stoplist-table"
    BINDINGS = [
        *NAV_BINDINGS,
        Binding("a", "add", "Add"),
        Binding("d,delete", "remove", "Remove"),
        Binding("l", "load", "Load file"),
        Binding("slash", "search", "Search"),
        Binding("escape", "leave_search", "Back to table", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    load_path = ""

    def compose(self) -> ComposeResult:
        yield StatusHeader("stoplist")
        yield Input(placeholder="Search: phone prefix  (/)", id="search")
        yield PagedTable(COLUMNS, id="stoplist-table")
        yield Static(literal(EMPTY), id="empty", classes="empty-state")
        yield Static(literal(""), id="position", classes="position")
        yield Footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#stoplist-table", PagedTable)

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self.table.set_source(StopSource())

    def on_screen_resume(self) -> None:
        if self.table.loaded:
            self.table.refresh_page()

    def search_source(self, text: str) -> StopSource:
        return StopSource(text)

    def on_paged_table_page_changed(self, event: PagedTable.PageChanged) -> None:
        table = event.table
        search = self.search_text()
        nothing = table.loaded and not table.rows_shown
        empty = self.query_one("#empty", Static)
        empty.update(literal(EMPTY if not search else f"No stopped phone starts with {search}."))
        empty.display = nothing
        table.set_class(nothing, "-empty")
        where = f"Stopped phones {table.position()}" + (f" · search {search}" if search else "")
        self.query_one("#position", Static).update(literal(where))

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "remove" and self.busy("remove"):
            return None
        return True

    def action_reload(self) -> None:
        self.table.refresh_page()

    def action_add(self) -> None:
        def added(result: stoplist.StopResult | None) -> None:
            if result is None:
                return
            said = "Stopped 1 phone" if result.added else "The phone was already stopped"
            self.notify(said + cancelled_text(result.cancelled) + ".", title="Stop list", markup=False)
            self.table.refresh_page()

        self.app.push_screen(StopFormScreen(), added)

    def action_remove(self) -> None:
        entry = self.table.current_row
        if entry is None or self.busy("remove"):
            return
        phone = entry.phone

        def removed(_count) -> None:
            self.notify(f"{phone} is no longer stopped.", title="Stop list", markup=False)
            self.table.refresh_page()

        def answered(yes: bool | None) -> None:
            if yes and not self.busy("remove"):
                self.call_in_background(lambda: stoplist.remove_phones([phone]), removed, group="remove")

        self.app.push_screen(ConfirmScreen(f"Take {phone} off the stop list? Messages cancelled for it "
                                           "stay cancelled; new dispatches will reach it.", yes="Remove"),
                             answered)

    def action_load(self) -> None:
        screen = StopLoadScreen(self.load_path)

        def loaded(result: stoplist.StopFileResult | None) -> None:
            self.load_path = screen.last_path
            if result is None:
                return
            self.notify(describe_stop_load(result), title="Stop list", markup=False)
            self.table.refresh_page()

        self.app.push_screen(screen, loaded)

