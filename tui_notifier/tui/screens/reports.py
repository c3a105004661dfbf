"""Live reports: every dispatch's progress, and for the one in view its counts by status, send
rate over the last minute, ETA and most frequent errors.

Everything is read in a thread worker about once a second; the UI thread only copies the
figures into the widgets, so typing never waits for the database. Each read starts from the
last one and reads only what changed since (`refreshed_reports`): a database of millions of
messages costs a refresh what a few dispatches' counters cost.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar, Sparkline, Static

from tui_notifier.core.reports import (DispatchReport, ReportSet, refreshed_reports, sends_per_second_of,
                                       top_errors, waiting_for_window)
from tui_notifier.models import Dispatch, DispatchStatus, MessageStatus
from tui_notifier.tui.formatting import duration, local_time, number, short_id
from tui_notifier.tui.screens.compose import ComposeScreen
from tui_notifier.tui.screens.dispatch_actions import DispatchActions
from tui_notifier.tui.screens.dispatches import STATUS_STYLE, progress_text
from tui_notifier.tui.screens.messages import STATUS_STYLE as MESSAGE_STYLE
from tui_notifier.tui.screens.messages import DispatchMessagesScreen
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.columns import FittedTable, columns
from tui_notifier.tui.widgets.consumer_banner import ConsumerBanner
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal, one_line

RATE_WINDOW = 60
RECENT = 10
ERRORS_SECONDS = 5
"""How often the most frequent errors of a dispatch that is sending are read again."""
COLUMNS = columns(("ID", "id", 8), ("Status", "status", 9), ("Done", "done", 19), ("%", "percent", 4, 2),
                  ("Rate/s", "rate", 7, 1), ("ETA", "eta", 8, 1), ("Text", "text", None, 0, 12))
ERROR_COLUMNS = columns(("Count", "n", 9), ("Reason", "reason", None, 0, 20))
EMPTY = "No dispatches to report on yet. Press 2, then n to compose one."


@dataclass
class Figures:
    """What one refresh read, computed off the UI thread."""

    now: _dt.datetime
    view: ReportSet
    rates: dict[str, list[int]] = field(default_factory=dict)
    selected: str | None = None
    errors: list[tuple[str, int]] = field(default_factory=list)
    errors_at: _dt.datetime | None = None
    """When `errors` were read (they cost a scan of the dispatch's messages)."""
    waiting: set[str] = field(default_factory=set)
    """Running dispatches whose send window is closed for every message left."""

    @property
    def reports(self) -> list[DispatchReport]:
        return self.view.reports

    def rate(self, key: str) -> float | None:
        series = self.rates.get(key)
        if series is None:
            return None
        return sum(series[-RECENT:]) / RECENT

    def eta(self, report: DispatchReport) -> float | None:
        left = report.count(*MessageStatus.UNSENT)
        if not left:
            return 0.0
        rate = self.rate(report.key)
        return left / rate if rate else None


def read_figures(selected: str | None, now: _dt.datetime, previous: Figures | None = None) -> Figures:
    """One refresh's figures. From `previous`, only what changed since is read again: the
    counts and dispatches that changed, the errors of the selected dispatch when its counts
    did (every `ERRORS_SECONDS` at most while it sends), whether a window keeps a dispatch waiting when its counts did or a minute passed."""
    view = refreshed_reports(previous.view if previous else None)
    reports = view.reports
    keys = {r.key for r in reports}
    if selected not in keys:
        selected = reports[0].key if reports else None
    figures = Figures(now, view, selected=selected)
    watched = [r.dispatch.id for r in reports
               if r.dispatch.status in (DispatchStatus.RUNNING, DispatchStatus.PAUSED)
               or r.key == selected]
    for dispatch_id, series in sends_per_second_of(watched, now, RATE_WINDOW).items():
        figures.rates[dispatch_id.hex] = series
    same_minute = previous is not None and previous.now.replace(second=0, microsecond=0) == now.replace(
        second=0, microsecond=0)
    if selected is not None:
        kept = previous is not None and previous.selected == selected and (
            selected not in view.changed or (previous.errors_at is not None
                                             and abs(now - previous.errors_at) < _dt.timedelta(seconds=ERRORS_SECONDS)))
        if kept:
            figures.errors, figures.errors_at = previous.errors, previous.errors_at
        else:
            figures.errors, figures.errors_at = top_errors(selected, limit=5), now
    figures.waiting = {r.key for r in reports
                       if (r.key in previous.waiting if same_minute and r.key not in view.changed
                           else waiting_for_window(r, now))}
    return figures


def percent(report: DispatchReport) -> str:
    return f"{100 * report.done // report.total}" if report.total else ""


def counts_line(report: DispatchReport) -> Content:
    parts = []
    for status in MessageStatus.ALL:
        n = report.counts.get(status, 0)
        parts.append(Content.styled(f"{status} {number(n)}", MESSAGE_STYLE.get(status, "") if n else "dim"))
    return Content(" · ").join(parts)


class ReportsScreen(DispatchActions, BackgroundReads, Screen):
    AUTO_FOCUS = "#reports-table"
    REFRESH_SECONDS = 1.0
    BINDINGS = [
        *NAV_BINDINGS,
        Binding("enter", "messages", "Messages"),
        Binding("o", "open", "Open"),
        Binding("p", "pause", "Pause"),
        Binding("r", "resume", "Resume"),
        Binding("c", "cancel_dispatch", "Cancel"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.figures: Figures | None = None
        self._order: list[str] = []
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield StatusHeader("reports")
        yield ConsumerBanner()
        yield FittedTable(COLUMNS, id="reports-table", cursor_type="row", zebra_stripes=True)
        yield Static(literal(EMPTY), id="empty", classes="empty-state")
        with Vertical(id="report-detail"):
            yield Static(literal(""), id="report-title")
            yield ProgressBar(total=1, show_eta=False, id="report-progress")
            yield Static(literal(""), id="report-counts")
            with Horizontal(id="rate-row"):
                yield Label("Sent per second, last minute", classes="section-title")
                yield Sparkline([0] * RATE_WINDOW, summary_function=max, id="rate-spark")
            yield Static(literal(""), id="rate-line")
            yield Label("Most frequent errors", classes="section-title")
            yield FittedTable(ERROR_COLUMNS, id="top-errors", cursor_type="none", show_cursor=False)
        yield Footer()

    @property
    def table(self) -> FittedTable:
        return self.query_one("#reports-table", FittedTable)

    def on_mount(self) -> None:
        self.query_one("#top-errors", DataTable).can_focus = False
        self.query_one("#empty").display = False
        self._timer = self.set_interval(self.REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        """The once-a-second refresh; skipped while the last read is still running, so slow
        reads never pile up on a big database."""
        if not self.reading("figures"):
            self.refresh_figures()

    def on_screen_resume(self) -> None:
        self._timer.resume()
        self.refresh_figures()

    def on_screen_suspend(self) -> None:
        self._timer.pause()

    def _cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def refresh_figures(self) -> None:
        selected, now, previous = self._cursor_key(), self.app.clock(), self.figures
        self.read_in_background(lambda: read_figures(selected, now, previous), self.show_figures, group="figures")

    def show_figures(self, figures: Figures) -> None:
        """Copy one refresh's figures into the widgets (the only UI-thread part of a refresh)."""
        self.figures = figures
        table = self.table
        order = [r.key for r in figures.reports]
        rows = [self._row(r, figures) for r in figures.reports]
        if order == self._order:
            for key, row in zip(order, rows):
                for column, value in zip(table.shown_keys, table.fitted_cells(row)):
                    table.update_cell(key, column, value)
        else:
            keep = self._cursor_key() or table.refit_key or figures.selected
            table.clear()
            for key, row in zip(order, rows):
                table.add_fitted_row(*row, key=key)
            self._order = order
            if keep in order:
                table.move_cursor(row=order.index(keep), animate=False)
        empty = not order
        self.query_one("#empty").display = empty
        table.set_class(empty, "-empty")
        self.query_one("#report-detail").display = not empty
        self._show_detail(figures)
        selected = self.selected_dispatch()
        if self._changed("bindings", selected.status if selected else None):
            self.refresh_bindings()
        if self._cursor_key() != figures.selected and not empty:
            self.refresh_figures()

    def _row(self, report: DispatchReport, figures: Figures):
        d, key = report.dispatch, report.key
        rate = figures.rate(key)
        eta = figures.eta(report) if d.status in (DispatchStatus.RUNNING, DispatchStatus.PAUSED) else None
        eta_text = "window" if key in figures.waiting else "" if eta is None else duration(eta)
        return (cell(short_id(d.id)), cell(d.status, STATUS_STYLE.get(d.status, "")),
                cell(progress_text(report)), cell(percent(report)),
                cell("" if rate is None else f"{rate:.1f}"), cell(eta_text),
                cell(one_line(d.message_text, 200)))

    def _show_detail(self, figures: Figures) -> None:
        report = next((r for r in figures.reports if r.key == figures.selected), None)
        if report is None:
            return
        d = report.dispatch
        title = (d.id, d.status, d.start_at, d.end_at, d.timezone, d.message_text)
        if self._changed("title", title):
            self.query_one("#report-title", Static).update(Content.assemble(
                Content.styled(f"Dispatch {short_id(d.id)} · {d.status}", "bold"),
                f" · {local_time(d.start_at, d.timezone)} – {local_time(d.end_at, d.timezone)} {d.timezone} · ",
                literal(one_line(d.message_text, 80)),
            ))
        self.query_one("#report-progress", ProgressBar).update(total=max(report.total, 1), progress=report.done)
        if self._changed("counts", tuple(report.counts.get(s, 0) for s in MessageStatus.ALL)):
            self.query_one("#report-counts", Static).update(counts_line(report))
        series = figures.rates.get(figures.selected, [0] * RATE_WINDOW)
        if self._changed("spark", tuple(series)):
            self.query_one("#rate-spark", Sparkline).data = series
        rate_line = self._rate_line(report, figures)
        if self._changed("rate", rate_line):
            self.query_one("#rate-line", Static).update(literal(rate_line))
        if self._changed("errors", tuple(figures.errors)):
            self._show_errors(figures.errors)

    def _show_errors(self, errors: list[tuple[str, int]]) -> None:
        table = self.query_one("#top-errors", FittedTable)
        table.clear()
        for reason, n in errors:
            table.add_fitted_row(cell(number(n)), cell(one_line(reason, 300)))
        if not errors:
            table.add_fitted_row(cell(""), cell("none", "dim"))

    def on_fitted_table_refit(self, event: FittedTable.Refit) -> None:
        if self.figures is None:
            return
        if event.table.id == "top-errors":
            self._show_errors(self.figures.errors)
        else:
            self._order = []
            self.show_figures(self.figures)

    def _changed(self, part: str, value) -> bool:
        """Whether `part` of the screen shows something else now (and remember it)."""
        if self._shown.get(part, self) == value:
            return False
        self._shown[part] = value
        return True

    def _rate_line(self, report: DispatchReport, figures: Figures) -> str:
        d = report.dispatch
        left = report.count(*MessageStatus.UNSENT)
        rate = figures.rate(d.id.hex) or 0.0
        peak = max(figures.rates.get(d.id.hex, [0]))
        line = f"{rate:.1f}/s over the last {RECENT} s · peak {number(peak)}/s · {number(left)} left"
        if d.status == DispatchStatus.SCHEDULED:
            return f"Starts {local_time(d.start_at, d.timezone)} {d.timezone} · {number(report.total)} messages"
        if d.status == DispatchStatus.PAUSED:
            return line + " · paused"
        if d.status in DispatchStatus.CLOSED:
            ended = local_time(d.finished_at, d.timezone) if d.finished_at else ""
            return f"{d.status.capitalize()} {ended}".rstrip() + f" · {number(report.done)} of {number(report.total)} done"
        if d.id.hex in figures.waiting:
            return line + f" · waiting for the send window ({d.window}, each client's local time)"
        return line + f" · ETA {duration(figures.eta(report))}"

    def selected_dispatch(self) -> Dispatch | None:
        if self.figures is None:
            return None
        key = self._cursor_key()
        report = next((r for r in self.figures.reports if r.key == key), None)
        return report.dispatch if report else None

    def dispatch_changed(self, dispatch: Dispatch, change: str) -> None:
        """Show the new status at once from the change's own result, then read everything again."""
        if self.figures is not None and change != "deleted":
            for report in self.figures.reports:
                if report.dispatch.id == dispatch.id:
                    report.dispatch = dispatch
            self.show_figures(self.figures)
        self.refresh_figures()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "reports-table" and self.figures is not None:
            if event.row_key.value != self.figures.selected:
                self.refresh_figures()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "reports-table":
            self.action_messages()

    def action_messages(self) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is not None:
            self.app.push_screen(DispatchMessagesScreen(dispatch))

    def action_open(self) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is not None:
            self.app.push_screen(ComposeScreen(dispatch), lambda _saved: self.refresh_figures())
