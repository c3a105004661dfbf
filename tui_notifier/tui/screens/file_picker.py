"""Pick a YAML file from the disk: folders and `.yaml`/`.yml` files, starting where the path
typed so far points."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Label, Static

from tui_notifier.tui.widgets.literal import literal

SUFFIXES = (".yaml", ".yml")


class YamlTree(DirectoryTree):
    """Folders and YAML files only; hidden ones left out."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")
                and (p.is_dir() or p.suffix.lower() in SUFFIXES)]


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

    def __init__(self, typed: str = ""):
        super().__init__()
        self.folder = start_folder(typed)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="file-picker"):
            yield Label("Choose a YAML file", classes="dialog-title")
            yield YamlTree(self.folder, id="picker-tree")
            yield Static(literal("Enter opens a folder or takes a file · Esc cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(YamlTree).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        path = Path(event.path)
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            pass
        self.dismiss(str(path))
