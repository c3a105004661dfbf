"""Form fields whose core validation message shows right under the field at fault."""
from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static

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
