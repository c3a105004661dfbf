"""Quitting while the dashboard's own consumer has work: leave it, hand it to a background
consumer, or stay."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui_notifier.tui.widgets.literal import literal

QUIT, BACKGROUND, STAY = "quit", "background", "stay"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "es" if what.endswith("ch") else "s")


class QuitScreen(ModalScreen[str]):
    """Dismissed with `quit`, `background` or `stay`."""

    BINDINGS = [
        Binding("escape,s", f"answer('{STAY}')", "Stay"),
        Binding("q,ctrl+q", f"answer('{QUIT}')", "Quit and leave them"),
        Binding("b", f"answer('{BACKGROUND}')", "Keep sending in the background"),
    ]

    def __init__(self, running: int, due: int):
        super().__init__()
        self.running, self.due = running, due

    def question(self) -> str:
        parts = []
        if self.running:
            parts.append(f"{_count(self.running, 'dispatch')} sending")
        if self.due:
            parts.append(f"{_count(self.due, 'dispatch')} due to start")
        return (f"{' and '.join(parts).capitalize()}. The consumer inside this dashboard sends them; "
                "once it quits, nothing more goes out until a consumer runs again.")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="quit"):
            yield Static(literal("Quit while dispatches are sending?"), classes="dialog-title")
            yield Static(literal(self.question()), id="question")
            with Vertical(classes="choices"):
                yield Button(literal("Keep sending in a background tui-notifier consumer, then quit (b)"),
                             variant="primary", id=BACKGROUND)
                yield Button(literal("Quit and leave them unsent for now (q)"), variant="error", id=QUIT)
                yield Button(literal("Stay (s or Esc)"), id=STAY)

    def on_mount(self) -> None:
        self.query_one(f"#{BACKGROUND}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
