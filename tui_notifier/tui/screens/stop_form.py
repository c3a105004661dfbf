"""Stop one phone, with an optional reason; a bad phone is shown beside its field."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_notifier.core import stoplist
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FormDialog, form_field
from tui_notifier.tui.widgets.literal import literal


class StopFormScreen(BackgroundReads, FormDialog, ModalScreen[stoplist.StopResult | None]):
    """Dismissed with the StopResult (how many messages were cancelled), or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Stop the phone"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="stop-form"):
            yield Label(literal("Stop a phone"), classes="dialog-title")
            yield form_field("Phone", Input(placeholder="+7 900 123-45-67", id="phone"), "phone",
                             hint="any accepted form; its unsent messages are cancelled at once")
            yield form_field("Reason", Input(placeholder="optional, e.g. replied STOP", id="reason"), "reason")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Stop", variant="error", id="save")
                yield Button("Cancel", id="cancel")
            yield Static(literal("ctrl+s or Enter stop · Esc cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#phone", Input).focus()

    def action_save(self) -> None:
        if self.busy("save"):
            return
        phone = self.query_one("#phone", Input).value
        reason = self.query_one("#reason", Input).value
        self.save_in_background(lambda: stoplist.add_phones([phone], reason))
