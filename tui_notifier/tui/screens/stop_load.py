"""Stop every phone of a file (one per line, optionally `phone,reason`): a path, typed or
picked, and a reason for the lines without one. Every line is checked first; with a bad line
nothing is stopped and the dialog lists the lines at fault."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_notifier.core import stoplist
from tui_notifier.core.errors import CoreError, ValidationError
from tui_notifier.core.textfile import LoadError
from tui_notifier.tui.screens.file_picker import pick_into
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FieldErrors, form_field
from tui_notifier.tui.widgets.literal import literal

SHOWN_ERRORS = 20


class StopLoadScreen(BackgroundReads, FieldErrors, ModalScreen[stoplist.StopFileResult | None]):
    """Dismissed with the result of the load that stopped phones, else None."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "load", "Load"),
        Binding("ctrl+o", "browse", "Browse"),
    ]

    def __init__(self, path: str = ""):
        super().__init__()
        self.initial_path = self.last_path = path
        self.result: stoplist.StopFileResult | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="stop-load"):
            yield Label(literal("Load phones into the stop list"), classes="dialog-title")
            with Horizontal(id="path-row"):
                yield form_field("File", Input(self.initial_path, placeholder="stop.csv", id="path"), "path",
                                 hint="a phone per line, optionally \"phone,reason\"")
                yield Button("Browse… (^o)", id="browse")
            yield form_field("Reason", Input(placeholder="optional, for lines without one", id="reason"),
                             "reason")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Load (^s)", variant="primary", id="load")
                yield Button("Close (Esc)", id="close")
            yield Static(literal(""), id="load-summary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def path(self) -> str:
        return self.query_one("#path", Input).value.strip()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "load" and self.busy("load"):
            return None
        return True

    def action_browse(self) -> None:
        pick_into(self.query_one("#path", Input), what="a file of phones", suffixes=(".csv", ".txt"))

    def action_load(self) -> None:
        if self.busy("load"):
            return
        self.clear_errors()
        path, reason = self.path, self.query_one("#reason", Input).value
        if not path:
            self.show_error("path", "give the path of a file of phones")
            return
        self.query_one("#load-summary", Static).update(literal(f"Loading {path} …"))
        self.call_in_background(lambda: stoplist.load_stoplist_file(path, reason), self._loaded, group="load",
                                failed=self._failed, controls=self.query("#load, #browse"))

    def _loaded(self, result: stoplist.StopFileResult) -> None:
        summary = describe_stop_load(result)
        if result.errors:
            summary += "\n" + "\n".join(result.errors[:SHOWN_ERRORS])
        else:
            self.result = result
        self.query_one("#load-summary", Static).update(literal(summary))

    def _failed(self, error: BaseException) -> None:
        self.query_one("#load-summary", Static).update(literal("Nothing was stopped."))
        if isinstance(error, LoadError):
            target = self.show_error("path", str(error))
        elif isinstance(error, (ValidationError,)):
            target = self.show_error(error.field, error.message)
        else:
            target = self.show_error("form", str(error) if isinstance(error, CoreError) else repr(error))
        if target is not None:
            target.focus()

    def action_close(self) -> None:
        self.last_path = self.path
        self.dismiss(self.result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_load()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"load": self.action_load, "browse": self.action_browse}.get(event.button.id, self.action_close)()


def cancelled_text(cancelled: int) -> str:
    if not cancelled:
        return ""
    return f"; {cancelled:,} unsent message{'s' if cancelled != 1 else ''} cancelled"


def describe_stop_load(result: stoplist.StopFileResult) -> str:
    """One line an operator reads after loading a stop-list file."""
    if result.errors:
        more = f" (and {len(result.errors) - 1:,} more)" if len(result.errors) > 1 else ""
        return f"Nothing was stopped: {result.errors[0]}{more}"
    return (f"{result.phones:,} phones: {result.added:,} stopped, {result.already:,} already stopped"
            + cancelled_text(result.cancelled) + ".")
