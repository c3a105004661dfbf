"""A banner over Dispatches and Reports while due work has no consumer alive to send it."""
from __future__ import annotations

from textual.widgets import Static

from tui_notifier.tui.widgets.literal import literal


def banner_text(unattended: int) -> str:
    noun = "dispatch is" if unattended == 1 else "dispatches are"
    return (f"No consumer is running: {unattended} {noun} due and nothing is sent. "
            "Start one with: tui-notifier consumer")


class ConsumerBanner(Static):
    """Follows the app's `unattended` count (running or due dispatches with no live consumer)."""

    def __init__(self, **kwargs):
        super().__init__(literal(""), id="consumer-banner", **kwargs)

    def on_mount(self) -> None:
        self.watch(self.app, "unattended", self._show)

    def _show(self, unattended: int) -> None:
        self.display = unattended > 0
        if unattended:
            self.update(literal(banner_text(unattended)))
