"""The line at the top of every screen: where you are, which database, which gateway, which
consumer."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from tui_notifier.tui.widgets.literal import literal

SECTIONS = (("1", "clients", "Clients"), ("2", "dispatches", "Dispatches"), ("3", "reports", "Reports"))

NAV_BINDINGS = [Binding(key, f"app.show('{mode}')", title) for key, mode, title in SECTIONS] + [
    Binding("question_mark", "app.help", "Help"),
]
"""First in every full screen's keys, so the footer shows them first even at 80 columns."""


def _nav(active: str) -> Content:
    parts = []
    for key, mode, title in SECTIONS:
        style = "bold reverse" if mode == active else ""
        parts.append(Content.styled(f" {key} {title} ", style))
        parts.append(Content(" "))
    return Content.assemble(*parts)


class StatusHeader(Horizontal):
    """Sections one keystroke apart, then database, gateway and consumer state."""

    def __init__(self, active: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.active = active

    def compose(self) -> ComposeResult:
        app = self.app
        yield Static(_nav(self.active or app.current_mode), id="nav")
        yield Static(literal(f"db {app.database_label}"), id="db-label")
        kind = app.config.gateway.kind
        yield Static(literal(kind.upper()), id="gateway-badge", classes=f"badge gateway-{kind}")
        yield Static(literal(""), id="consumer-label")

    def on_mount(self) -> None:
        self.watch(self.app, "consumer_state", self._show_consumer)

    def _show_consumer(self, state: str) -> None:
        label = self.query_one("#consumer-label", Static)
        browser = " (browser: none embedded)" if self.app.browser else ""
        label.update(literal(f"consumer {state}{browser}"))
        label.set_classes(f"consumer-{state}")
