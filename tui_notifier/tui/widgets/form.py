"""Form fields whose core validation message shows right under the field at fault."""
from __future__ import annotations

from textual.containers import Vertical
from typing import Any, Callable

from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from tui_notifier.tui.widgets.literal import literal


def form_field(label: str, widget: Widget, name: str, hint: str = "", *extra: Widget,
               **kwargs) -> Vertical:
    """Label, input and an error line, the error line found again by the core's field name;
    `extra` widgets (a live counter...) go between the input and the hint."""
    children = [Label(literal(label), classes="field-label"), widget, *extra]
    if hint:
        children.append(Static(literal(hint), classes="field-hint"))
    children.append(Static(literal(""), id=f"error-{name}", classes="field-error"))
    return Vertical(*children, classes="field", id=f"field-{name}", **kwargs)


class FieldErrors:
    """Mixin for a screen with `form_field`s and a `#error-form` line for the rest."""

    def clear_errors(self) -> None:
        for error in self.query(".field-error"):
            error.update(literal(""))
            error.remove_class("shown")

    def show_error(self, field: str, message: str) -> Widget | None:
        """Put `message` beside `field`; return the field's input so it can take the focus."""
        found = self.query(f"#error-{field}")
        target = found.first() if found else self.query_one("#error-form", Static)
        text = message if found else f"{field}: {message}"
        target.update(literal(text))
        target.add_class("shown")
        if not found:
            return None
        container = self.query(f"#field-{field}")
        if container:
            inputs = [w for w in container.first().children if w.can_focus]
            return inputs[0] if inputs else None
        return None


class FormDialog(FieldErrors):
    """Mixin for a modal form with BackgroundReads, a `#save` and a cancel button: ctrl+s or Enter
    in a field saves, Escape cancels; the save runs in a worker with `#save` disabled, and a
    core error (a ValidationError or Conflict names its field) appears beside its field."""

    def action_save(self) -> None:
        raise NotImplementedError

    def save_in_background(self, call: Callable[[], Any]) -> None:
        """Run `call` in a worker; the dialog is dismissed with its result."""
        self.clear_errors()
        self.call_in_background(call, self.dismiss, group="save", failed=self.not_saved,
                                controls=self.query("#save"))

    def not_saved(self, error: BaseException) -> None:
        field = getattr(error, "field", None)
        if field is None:
            self.show_error("form", str(error))
            return
        target = self.show_error(field, error.message)
        if target is not None:
            target.focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "save" and self.busy("save"):
            return None
        return True

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
