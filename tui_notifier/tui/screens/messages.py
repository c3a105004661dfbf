"""One dispatch's messages, a page at a time, filterable by status."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Select, Static

from tui_notifier.core.reports import count_messages, dispatch_messages
from tui_notifier.models import Dispatch, Message, MessageStatus
from tui_notifier.tui.formatting import local_time
from tui_notifier.tui.screens.dispatch_actions import dispatch_label
from tui_notifier.tui.screens.message import MessageScreen
from tui_notifier.tui.widgets.columns import columns
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal, one_line
from tui_notifier.tui.widgets.paged_table import PagedTable

COLUMNS = columns(("ID", "id", 10, 1), ("Phone", "phone", 12), ("Status", "status", 10),
                  ("Tries", "attempts", 5, 4), ("Next attempt", "next", 19, 3), ("Sent", "sent", 19, 2),
                  ("Last error", "error", None, 0, 14))

STATUS_STYLE = {"created": "", "sending": "cyan", "sent": "green", "delivered": "bold green",
                "failed": "red", "timeout": "yellow", "cancelled": "dim"}

ALL = "all"
STATUS_CHOICES = [("all statuses", ALL)] + [(status, status) for status in MessageStatus.ALL]


class MessageSource:
    def __init__(self, dispatch: Dispatch, status: str | None):
        self.dispatch_id = dispatch.id
        self.timezone = dispatch.timezone
        self.status = status

    def fetch(self, limit, after=None, before=None):
        return dispatch_messages(self.dispatch_id, self.status, limit=limit, after_id=after, before_id=before)

    def count(self) -> int:
        return count_messages(self.dispatch_id, self.status)

    def key(self, row: Message) -> int:
        return row.id

    def cells(self, row: Message):
        zone = self.timezone
        return (cell(row.id), cell(row.phone), cell(row.status, STATUS_STYLE.get(row.status, "")),
                cell(row.attempts), cell(local_time(row.next_attempt_at, zone, seconds=True)),
                cell(local_time(row.sent_at, zone, seconds=True)), cell(one_line(row.last_error, 300)))


class DispatchMessagesScreen(Screen):
    AUTO_FOCUS = "#messages-table"
    REFRESH_SECONDS = 2.0
    BINDINGS = [
        *NAV_BINDINGS,
        Binding("escape", "back", "Back"),
        Binding("f", "filter", "Filter by status"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, dispatch: Dispatch):
        super().__init__()
        self.dispatch = dispatch

    def compose(self) -> ComposeResult:
        d = self.dispatch
        yield StatusHeader()
        with Horizontal(id="messages-bar"):
            yield Static(literal(f"Messages of {dispatch_label(d)} · times in {d.timezone}"),
                         id="dispatch-summary")
            yield Label("Status", classes="field-label")
            yield Select(STATUS_CHOICES, value=ALL, allow_blank=False, id="status-filter")
        yield PagedTable(COLUMNS, id="messages-table")
        yield Static(literal(""), id="position", classes="position")
        yield Footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#messages-table", PagedTable)

    def on_mount(self) -> None:
        self.table.set_source(MessageSource(self.dispatch, None))
        self._timer = self.set_interval(self.REFRESH_SECONDS, self.action_reload)

    def on_screen_suspend(self) -> None:
        self._timer.pause()

    def on_screen_resume(self) -> None:
        self._timer.resume()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "status-filter":
            status = None if event.value == ALL else event.value
            self.table.set_source(MessageSource(self.dispatch, status))

    def on_paged_table_page_changed(self, event: PagedTable.PageChanged) -> None:
        status = self.query_one("#status-filter", Select).value
        scope = "messages" if status == ALL else f"{status} messages"
        self.query_one("#position", Static).update(literal(f"{scope.capitalize()} {event.table.position()}"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        message = self.table.current_row
        if message is not None:
            self.app.push_screen(MessageScreen(message.id, self.dispatch))

    def action_filter(self) -> None:
        self.query_one("#status-filter", Select).focus()

    def action_reload(self) -> None:
        self.table.refresh_page()

    def action_back(self) -> None:
        if self.query_one("#status-filter", Select).has_focus:
            self.table.focus()
        else:
            self.dismiss()
