"""Add or edit one client; the core's validation message appears beside the field at fault."""
from __future__ import annotations

import pytz
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from tui_notifier.core.clients import add_client, update_client
from tui_notifier.core.errors import Conflict, CoreError, ValidationError
from tui_notifier.models import Client
from tui_notifier.tui.widgets.form import FieldErrors, form_field
from tui_notifier.tui.widgets.literal import literal

TIMEZONES = SuggestFromList(pytz.common_timezones, case_sensitive=False)


class ClientFormScreen(FieldErrors, ModalScreen[Client | None]):
    """Dismissed with the saved client, or None when the operator backs out."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, client: Client | None = None):
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        c = self.client
        title = "Add a client" if c is None else f"Edit client {c.id}"
        with Vertical(id="dialog", classes="client-form"):
            yield Label(literal(title), classes="dialog-title")
            yield form_field("Phone", Input(c.phone if c else "", placeholder="79001234567",
                                            id="phone"), "phone")
            yield form_field("Operator code", Input(c.operator_code if c else "",
                                                    placeholder="from the phone", id="operator_code",
                                                    max_length=3), "operator_code",
                             hint="3 digits; left empty, taken from phone digits 2–4")
            yield form_field("Tag", Input(c.tag if c else "", placeholder="optional", id="tag"), "tag")
            yield form_field("Time zone", Input(c.timezone if c else "UTC", suggester=TIMEZONES,
                                                id="timezone"), "timezone")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#phone", Input).focus()

    def values(self) -> dict:
        return {name: self.query_one(f"#{name}", Input).value
                for name in ("phone", "operator_code", "tag", "timezone")}

    def action_save(self) -> None:
        self.clear_errors()
        values = self.values()
        values["operator_code"] = values["operator_code"].strip() or None
        try:
            if self.client is None:
                client = add_client(**values)
            else:
                client = update_client(self.client.id, **values)
        except (ValidationError, Conflict) as exc:
            target = self.show_error(exc.field, exc.message)
            if target is not None:
                target.focus()
            return
        except CoreError as exc:
            self.show_error("form", str(exc))
            return
        self.dismiss(client)

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
