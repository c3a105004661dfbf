"""The audit trail: every write through any face, who made it and when, a page at a time."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_notifier.core import audit
from tui_notifier.models import AuditEntry
from tui_notifier.tui.formatting import local_time
from tui_notifier.tui.widgets.columns import columns
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal, one_line
from tui_notifier.tui.widgets.paged_table import PagedTable

COLUMNS = columns(("When (UTC)", "at", 19), ("Who", "actor", 16, 2), ("Face", "face", 9, 3),
                  ("Action", "action", 8), ("Object", "object", 24, 1), ("Detail", "detail", None, 0, 12))


class AuditSource:
    def fetch(self, limit, after=None, before=None):
        return audit.page(limit, after_id=after, before_id=before)

    def count(self) -> int:
        return audit.count_entries()

    def key(self, row: AuditEntry) -> int:
        return row.id

    def cells(self, row: AuditEntry):
        return (cell(local_time(row.at, "UTC", seconds=True)), cell(row.actor), cell(row.face),
                cell(row.action), cell(f"{row.object_type} {row.object_id}".strip()),
                cell(one_line(row.detail, 300)))


class AuditScreen(Screen):
    AUTO_FOCUS = "#audit-table"
    REFRESH_SECONDS = 2.0
    BINDINGS = [*NAV_BINDINGS, Binding("ctrl+r", "reload", "Reload", show=False)]

    def compose(self) -> ComposeResult:
        yield StatusHeader("audit")
        yield PagedTable(COLUMNS, id="audit-table")
        yield Static(literal(""), id="position", classes="position")
        yield Footer()

    @property
    def table(self) -> PagedTable:
        return self.query_one("#audit-table", PagedTable)

    def on_mount(self) -> None:
        self.table.set_source(AuditSource())
        self._timer = self.set_interval(self.REFRESH_SECONDS, self.action_reload)

    def on_screen_suspend(self) -> None:
        self._timer.pause()

    def on_screen_resume(self) -> None:
        self._timer.resume()

    def on_paged_table_page_changed(self, event: PagedTable.PageChanged) -> None:
        self.query_one("#position", Static).update(literal(f"Audit entries {event.table.position()}"))

    def action_reload(self) -> None:
        self.table.refresh_page()
