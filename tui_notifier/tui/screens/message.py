"""One message: where it stands, every attempt to send it, every delivery report about it."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from tui_notifier.core.errors import NotFound
from tui_notifier.core.reports import MessageHistory, message_history
from tui_notifier.models import Dispatch
from tui_notifier.tui.formatting import local_time, short_id
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.columns import FittedTable, columns
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import cell, literal

REPORT_STATUS = {-1: "no final status yet", 1: "in delivery", 2: "delivered"}

ATTEMPT_COLUMNS = columns(("At", "at", 19), ("Outcome", "outcome", 10), ("HTTP", "http", 5, 1),
                          ("ms", "latency", 6, 2), ("Error", "error", None, 0, 14))
REPORT_COLUMNS = columns(("Received", "received", 19), ("Reported", "reported", 19, 3),
                         ("Status", "status", 22), ("Sub", "sub", 5, 4), ("Provider", "provider", 8, 4),
                         ("Channel", "channel", 8, 2), ("Parts", "parts", 6, 1), ("Clicks", "clicks", 6, 3))


def report_status(status: int) -> str:
    return f"{status} {REPORT_STATUS.get(status, 'not delivered')}"


class MessageScreen(BackgroundReads, Screen):
    REFRESH_SECONDS = 2.0
    AUTO_FOCUS = "#attempts"
    BINDINGS = [
        *NAV_BINDINGS,
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, message_id: int, dispatch: Dispatch):
        super().__init__()
        self.message_id = message_id
        self.dispatch = dispatch

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with VerticalScroll(id="message-detail"):
            yield Static(literal(f"Message {self.message_id}"), id="message-fields")
            yield Label("Attempts", classes="section-title")
            yield FittedTable(ATTEMPT_COLUMNS, id="attempts", cursor_type="row", zebra_stripes=True)
            yield Label("Delivery reports", classes="section-title")
            yield FittedTable(REPORT_COLUMNS, id="delivery-reports", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.history: MessageHistory | None = None
        self.action_reload()
        self._timer = self.set_interval(self.REFRESH_SECONDS, self.action_reload)

    def action_reload(self) -> None:
        message_id = self.message_id

        def fetch():
            try:
                return message_history(message_id)
            except NotFound:
                return None

        self.read_in_background(fetch, self._show, group="history")

    def _show(self, history: MessageHistory | None) -> None:
        fields = self.query_one("#message-fields", Static)
        if history is None:
            fields.update(literal(f"Message {self.message_id} is gone (its dispatch was deleted)."))
            self._timer.stop()
            return
        m, zone = history.message, self.dispatch.timezone

        def when(moment):
            return local_time(moment, zone, seconds=True) or "—"

        lines = [
            f"Message {m.id} of dispatch {short_id(self.dispatch.id)} · times in {zone}",
            f"Phone        {m.phone}   (client time zone {m.timezone})",
            f"Status       {m.status}   after {m.attempts} attempt{'s' if m.attempts != 1 else ''}",
            f"Created      {when(m.created_at)}",
            f"Next attempt {when(m.next_attempt_at)}",
            f"Sent         {when(m.sent_at)}",
            f"Provider id  {m.provider_id or '—'}",
            f"Last error   {m.last_error or '—'}",
            f"Text         {history.text}",
        ]
        fields.update(literal("\n".join(lines)))
        self.history = history
        self._show_tables()

    def _show_tables(self) -> None:
        history, zone = self.history, self.dispatch.timezone

        def when(moment):
            return local_time(moment, zone, seconds=True) or "—"

        attempts = self.query_one("#attempts", FittedTable)
        attempts.clear()
        for a in history.attempts:
            attempts.add_fitted_row(cell(when(a.at)), cell(a.outcome), cell(a.http_status or ""),
                             cell(a.latency_ms if a.latency_ms is not None else ""), cell(a.error))
        reports = self.query_one("#delivery-reports", FittedTable)
        reports.clear()
        for r in history.reports:
            parts = "" if r.parts_total is None else f"{r.parts_delivered or 0}/{r.parts_total}"
            reports.add_fitted_row(cell(when(r.received_at)), cell(when(r.reported_at) if r.reported_at else ""),
                            cell(report_status(r.status)), cell(r.substatus if r.substatus is not None else ""),
                            cell(r.provider_status if r.provider_status is not None else ""),
                            cell(r.channel), cell(parts), cell(r.clicks if r.clicks is not None else ""))

    def on_fitted_table_refit(self, event: FittedTable.Refit) -> None:
        if self.history is not None:
            self._show_tables()

    def action_back(self) -> None:
        self.dismiss()
