"""Pick a file from the disk: folders and files of the kind asked for (YAML by default),
starting where the path typed so far points."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Static

from tui_notifier.tui.widgets.literal import literal

SUFFIXES = (".yaml", ".yml")
CLIENT_FILES = SUFFIXES + (".csv", ".tsv")


class FileTree(DirectoryTree):
    """Folders and files with one of `suffixes` only; hidden ones left out."""

    def __init__(self, path, suffixes: tuple[str, ...] = SUFFIXES, **kwargs):
        super().__init__(path, **kwargs)
        self.suffixes = suffixes

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")
                and (p.is_dir() or p.suffix.lower() in self.suffixes)]


def start_folder(typed: str) -> Path:
    """The folder of the path typed so far, else the working directory (`.`)."""
    if typed:
        path = Path(typed).expanduser()
        for candidate in (path, path.parent):
            if candidate.is_dir():
                return candidate
    return Path(".")


class FilePickerScreen(ModalScreen[str | None]):
    """Dismissed with the chosen file's path, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, typed: str = "", what: str = "a YAML file", suffixes: tuple[str, ...] = SUFFIXES):
        super().__init__()
        self.folder = start_folder(typed)
        self.what = what
        self.suffixes = suffixes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="file-picker"):
            yield Label(literal(f"Choose {self.what}"), classes="dialog-title")
            yield FileTree(self.folder, self.suffixes, id="picker-tree")
            yield Static(literal("Enter opens a folder or takes a file · Esc cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(FileTree).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        path = Path(event.path)
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            pass
        self.dismiss(str(path))


def pick_into(field: Input, **kwargs) -> None:
    """Open the picker where `field`'s path points; the file chosen replaces it, and `field` takes
    the focus. `kwargs` go to FilePickerScreen (what, suffixes)."""

    def picked(path: str | None) -> None:
        if path:
            field.value = path
            field.cursor_position = len(path)
            field.focus()

    field.app.push_screen(FilePickerScreen(field.value.strip(), **kwargs), picked)
