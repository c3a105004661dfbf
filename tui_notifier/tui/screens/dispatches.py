"""Every dispatch with its schedule, audience and progress; compose, open and steer them."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui_notifier.core.reports import DispatchReport, all_reports
from tui_notifier.models import Dispatch
from tui_notifier.tui.formatting import audience, local_time, number, short_id
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.dispatch_actions import DispatchActions
from tui_notifier.tui.screens.messages import DispatchMessagesScreen
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.columns import FittedTable, columns
from tui_notifier.tui.widgets.consumer_banner import ConsumerBanner
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal, one_line

EMPTY = "No dispatches yet.\n\nPress n to compose one: a text, a start and an end, and which clients get it."

COLUMNS = columns(("ID", "id", 8), ("Status", "status", 9), ("Start", "start", 16, 1), ("End", "end", 16, 2),
                  ("Time zone", "timezone", 12, 4), ("Audience", "audience", 16, 3), ("Done", "done", 13),
                  ("Text", "text", None, 0, 12))

STATUS_STYLE = {"scheduled": "", "running": "bold green", "paused": "yellow",
                "finished": "dim", "cancelled": "red"}


def progress_text(report: DispatchReport) -> str:
    if not report.total:
        return "—"
    return f"{number(report.done)}/{number(report.total)}"


class DispatchesScreen(DispatchActions, BackgroundReads, Screen):
    AUTO_FOCUS = "#dispatches-table"
    REFRESH_SECONDS = 1.0
    BINDINGS = [
        *NAV_BINDINGS,
        Binding("n", "new", "New"),
        Binding("o", "open", "Open"),
        Binding("m", "messages", "Messages"),
        Binding("p", "pause", "Pause"),
        Binding("r", "resume", "Resume"),
        Binding("c", "cancel_dispatch", "Cancel"),
        Binding("d,delete", "delete_dispatch", "Delete"),
        Binding("C", "clone_dispatch", "Clone", show=False),
        Binding("R", "resend_dispatch", "Resend", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reports: dict[str, DispatchReport] = {}
        self._focus_key: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader("dispatches")
        yield ConsumerBanner()
        yield FittedTable(COLUMNS, id="dispatches-table", cursor_type="row", zebra_stripes=True)
        yield Static(literal(EMPTY), id="empty", classes="empty-state")
        yield Static(literal(""), id="position", classes="position")
        yield Footer()

    @property
    def table(self) -> FittedTable:
        return self.query_one("#dispatches-table", FittedTable)

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self._timer = self.set_interval(self.REFRESH_SECONDS, self.refresh_list)
        self.refresh_list()

    def on_screen_resume(self) -> None:
        self._timer.resume()
        self.refresh_list(force=True)

    def on_screen_suspend(self) -> None:
        self._timer.pause()

    def refresh_list(self, force: bool = False) -> None:
        """Read every dispatch's counts again; the timer's read is skipped while the last one
        still runs (`force` supersedes it)."""
        if force or not self.reading("list"):
            self.read_in_background(all_reports, self._show, group="list")

    def _show(self, reports: list[DispatchReport]) -> None:
        table = self.table
        keep = self._focus_key or self._cursor_key()
        self._focus_key = None
        self.reports = {r.dispatch.id.hex: r for r in reports}
        table.clear()
        for report in reports:
            d = report.dispatch
            table.add_fitted_row(
                cell(short_id(d.id)), cell(d.status, STATUS_STYLE.get(d.status, "")),
                cell(local_time(d.start_at, d.timezone)), cell(local_time(d.end_at, d.timezone)),
                cell(d.timezone), cell(audience(d)), cell(progress_text(report)),
                cell(one_line(d.message_text, 200)),
                key=d.id.hex,
            )
        if keep in self.reports:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        empty = not reports
        self.query_one("#empty").display = empty
        table.set_class(empty, "-empty")
        self.query_one("#position", Static).update(literal(f"{len(reports)} dispatches"))
        self.refresh_bindings()

    def on_fitted_table_refit(self, event: FittedTable.Refit) -> None:
        self._focus_key = self._focus_key or event.table.refit_key
        self._show(list(self.reports.values()))

    def _cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected_dispatch(self) -> Dispatch | None:
        if not self.reports:
            return None
        report = self.reports.get(self._cursor_key() or "")
        return report.dispatch if report else None

    def dispatch_changed(self, dispatch: Dispatch, change: str) -> None:
        """Show the new status at once from the change's own result, then read the list again."""
        report = self.reports.get(dispatch.id.hex)
        if report is not None and change != "deleted":
            report.dispatch = dispatch
            self._show(list(self.reports.values()))
        self.refresh_list(force=True)

    def dispatch_copied(self, copy: Dispatch) -> None:
        self._focus_key = copy.id.hex
        self.refresh_list()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_new(self) -> None:
        self.app.push_screen(ComposeScreen(), self._composed)

    def action_open(self) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is not None:
            self.app.push_screen(ComposeScreen(dispatch), self._composed)

    def _composed(self, dispatch: Dispatch | None) -> None:
        if dispatch is not None:
            self._focus_key = dispatch.id.hex
        self.refresh_list(force=True)

    def action_messages(self) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is not None:
            self.app.push_screen(DispatchMessagesScreen(dispatch))
