"""Stop one phone, with an optional reason; a bad phone is shown beside its field."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_notifier.core import stoplist
from tui_notifier.core.errors import ValidationError
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FieldErrors, form_field
from tui_notifier.tui.widgets.literal import literal


class StopFormScreen(BackgroundReads, FieldErrors, ModalScreen[stoplist.StopResult | None]):
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

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "save" and self.busy("save"):
            return None
        return True

    def action_save(self) -> None:
        if self.busy("save"):
            return
        self.clear_errors()
        phone = self.query_one("#phone", Input).value
        reason = self.query_one("#reason", Input).value
        self.call_in_background(lambda: stoplist.add_phones([phone], reason), self.dismiss, group="save",
                                failed=self._not_saved, controls=self.query("#save"))

    def _not_saved(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            target = self.show_error(error.field, error.message)
            if target is not None:
                target.focus()
        else:
            self.show_error("form", str(error))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
