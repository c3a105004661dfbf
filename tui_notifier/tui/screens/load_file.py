"""Bulk-load clients from a YAML or CSV file: a path (typed or picked), a progress bar while it loads,
then the loader's report of bad rows, each with its line, its 1-based row and the whole problem."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Select, Static

from tui_notifier.core.errors import CoreError, ValidationError
from tui_notifier.core.loader import LoadError, LoadResult, load_clients_file
from tui_notifier.db import close_database
from tui_notifier.tui.screens.file_picker import CLIENT_FILES, pick_into
from tui_notifier.tui.widgets.columns import FittedTable, columns
from tui_notifier.tui.widgets.form import FieldErrors, form_field
from tui_notifier.tui.widgets.literal import cell, literal

CONFLICT_CHOICES = [
    ("update it with the file's values", "update"),
    ("keep it as it is", "skip"),
    ("count the row as bad", "error"),
]
ERROR_COLUMNS = columns(("Line", "line", 6), ("Row", "row", 6), ("Field", "field", 14, 1),
                        ("Problem", "message", None, 0, 20))


class LoadFileScreen(FieldErrors, ModalScreen[LoadResult | None]):
    """Dismissed with the LoadResult of the last load that wrote something, else None."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "load", "Load"),
        Binding("ctrl+o", "browse", "Browse"),
    ]

    class Progress(Message):
        def __init__(self, done: int, total: int):
            super().__init__()
            self.done, self.total = done, total

    class Finished(Message):
        def __init__(self, result: LoadResult | None, error: Exception | None):
            super().__init__()
            self.result, self.error = result, error

    def __init__(self, path: str = ""):
        super().__init__()
        self.initial_path = self.last_path = path
        self.result: LoadResult | None = None
        self.errors: list = []
        self.loading = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="load-file"):
            yield Label("Load clients from a YAML or CSV file", classes="dialog-title")
            with Horizontal(id="path-row"):
                yield form_field("File", Input(self.initial_path, placeholder="clients.yaml", id="path"), "path",
                                 hint="A list of {phone, operator_code, tag, timezone}, or a mapping with a "
                                      "clients: list")
                yield Button("Browse… (^o)", id="browse")
            yield form_field("A phone already in the directory:",
                             Select(CONFLICT_CHOICES, value="update", allow_blank=False, id="on_conflict"),
                             "on_conflict")
            yield Checkbox("Load the good rows even when some rows are bad", id="skip_invalid")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Load (^s)", variant="primary", id="load")
                yield Button("Close (Esc)", id="close")
            bar = ProgressBar(total=None, show_eta=False, id="load-progress")
            bar.display = False
            yield bar
            yield Static(literal(""), id="load-summary")
            table = FittedTable(ERROR_COLUMNS, id="load-errors", cursor_type="row", zebra_stripes=True)
            table.display = False
            yield table

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def path(self) -> str:
        """The path in the field now (the dashboard offers it again next time)."""
        return self.query_one("#path", Input).value.strip()

    def action_browse(self) -> None:
        pick_into(self.query_one("#path", Input), what="a YAML or CSV file", suffixes=CLIENT_FILES)

    def action_load(self) -> None:
        if self.loading:
            return
        self.clear_errors()
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.show_error("path", "give the path of a YAML or CSV file")
            return
        self.loading = True
        bar = self.query_one("#load-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#load-summary", Static).update(literal(f"Loading {path} …"))
        self._load(path, self.query_one("#on_conflict", Select).value,
                   self.query_one("#skip_invalid", Checkbox).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, path: str, on_conflict: str, skip_invalid: bool) -> None:
        try:
            result = load_clients_file(path, on_conflict=on_conflict, skip_invalid=skip_invalid,
                                       progress=lambda done, total: self.post_message(self.Progress(done, total)))
        except CoreError as exc:
            self.post_message(self.Finished(None, exc))
        except Exception as exc:  # an unexpected failure is still reported, not fatal
            self.post_message(self.Finished(None, exc))
        else:
            self.post_message(self.Finished(result, None))
        finally:
            close_database()

    def on_load_file_screen_progress(self, event: Progress) -> None:
        self.query_one("#load-progress", ProgressBar).update(total=max(event.total, 1), progress=event.done)

    def on_load_file_screen_finished(self, event: Finished) -> None:
        self.loading = False
        summary = self.query_one("#load-summary", Static)
        if event.error is not None:
            self.query_one("#load-progress", ProgressBar).display = False
            summary.update(literal("Nothing was loaded."))
            if isinstance(event.error, LoadError):
                at_fault = self.show_error("path", str(event.error))
            elif isinstance(event.error, ValidationError):
                at_fault = self.show_error(event.error.field, event.error.message)
            else:
                at_fault = self.show_error("form", str(event.error))
            self._focus_after_layout(at_fault or self.query_one("#path", Input))
            return
        result = event.result
        if result.written:
            self.result = result
        summary.update(literal(describe_result(result)))
        self.errors = result.errors
        table = self.query_one("#load-errors", FittedTable)
        table.display = bool(result.errors)
        self._show_errors()
        self.query_one("#load-progress", ProgressBar).update(total=max(result.total, 1),
                                                             progress=max(result.total, 1))
        self._focus_after_layout(table if result.errors else self.query_one("#path", Input))

    def _show_errors(self) -> None:
        table = self.query_one("#load-errors", FittedTable)
        table.clear()
        for error in self.errors:
            problem = cell(error.message)
            problem.no_wrap = False
            table.add_fitted_row(cell(error.line), cell(error.row), cell(error.field), problem, height=None)

    def on_fitted_table_refit(self, event: FittedTable.Refit) -> None:
        self._show_errors()

    def _focus_after_layout(self, widget) -> None:
        """Where the operator goes on from; set once the dialog has grown to its new size, since a
        relayout that briefly hides the focused widget would otherwise hand the focus to any button."""
        self.call_after_refresh(widget.focus)

    def action_close(self) -> None:
        self.last_path = self.path
        self.dismiss(self.result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_load()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "load":
            self.action_load()
        elif event.button.id == "browse":
            self.action_browse()
        else:
            self.action_close()


def describe_result(result: LoadResult) -> str:
    """One line an operator reads after a load."""
    counts = (f"{result.total:,} rows: {result.created:,} created, {result.updated:,} updated, "
              f"{result.skipped:,} skipped, {result.failed:,} bad")
    if result.failed and not result.written:
        return f"{counts}. Nothing was written: fix the rows below, or tick the box to load the good ones."
    return counts + "."
