"""Yes or no before something that cannot be undone."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui_notifier.tui.widgets.literal import literal


def _keyed(key: str, label: str) -> Content:
    """A button label that shows its key: `Delete (y)`."""
    return Content.assemble(literal(label), Content.styled(f" ({key})", "dim"))


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True for yes; Escape or n says no. `question` is shown literally.

    The yes button has the focus, so Enter answers what was asked; both buttons name their key.
    """

    BINDINGS = [
        Binding("escape", "answer(False)", "No"),
        Binding("n", "answer(False)", "No", show=False),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No"):
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="confirm"):
            yield Static(literal(self.question), id="question")
            with Horizontal(classes="buttons"):
                yield Button(_keyed("y", self.yes), variant="error", id="yes")
                yield Button(_keyed("n", self.no), id="no")
            yield Static(literal("Enter answers the highlighted button · y yes · n or Esc no"),
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
