"""Add or edit one client; the core's validation message appears beside the field at fault."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_notifier.core.clients import add_client, clean_attributes, update_client
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.text import visible
from tui_notifier.models import Client
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FormDialog, form_field
from tui_notifier.tui.widgets.literal import literal
from tui_notifier.tui.widgets.timezone import TimezoneInput

FIELDS = ("phone", "operator_code", "tag", "timezone")


def attributes_text(attributes: dict) -> str:
    """`first_name=Анна; city=Москва`: a client's attributes in one line of the form."""
    return "; ".join(f"{name}={value}" for name, value in (attributes or {}).items())


def parse_attributes(text: str) -> dict:
    """The form's `name=value; name2=value2` as a mapping checked by the core (`clean_attributes`);
    a part without `=` is a ValidationError of the field."""
    pairs = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise ValidationError("attributes", f"expected name=value, got {part.strip()!r}")
        pairs[name.strip()] = value
    return clean_attributes(pairs)


class ClientFormScreen(BackgroundReads, FormDialog, ModalScreen[Client | None]):
    """Dismissed with the saved client, or None when the operator backs out. The save runs in
    a worker, with Save disabled until it ends."""

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
        with VerticalScroll(id="dialog", classes="client-form"):
            yield Label(literal(title), classes="dialog-title")
            yield form_field("Phone", Input(c.phone if c else "", placeholder="79001234567",
                                            id="phone"), "phone")
            yield form_field("Operator code", Input(c.operator_code if c else "",
                                                    placeholder="from the phone", id="operator_code",
                                                    max_length=3), "operator_code",
                             hint="3 digits; left empty, taken from phone digits 2–4")
            yield form_field("Tag", Input(visible(c.tag) if c else "", placeholder="optional", id="tag"), "tag")
            yield form_field("Time zone", TimezoneInput(c.timezone if c else "UTC", id="timezone"), "timezone",
                             hint="Enter or → takes the completion shown")
            yield form_field("Attributes", Input(attributes_text(c.attributes) if c else "", id="attributes",
                                                 placeholder="first_name=Анна; city=Москва"), "attributes",
                             hint="name=value; … for {name} in message texts")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
            yield Static(literal("ctrl+s save · Esc cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#phone", Input).focus()

    def values(self) -> dict:
        return {name: self.query_one(f"#{name}", Input).value for name in FIELDS}

    def action_save(self) -> None:
        if self.busy("save"):
            return
        values = self.values()
        values["operator_code"] = values["operator_code"].strip() or None
        try:
            values["attributes"] = parse_attributes(self.query_one("#attributes", Input).value)
        except ValidationError as error:
            self.clear_errors()
            self.not_saved(error)
            return
        client = self.client

        def save():
            if client is None:
                return add_client(**values)
            return update_client(client.id, **values)

        self.save_in_background(save)
