"""Tables that keep the columns that matter when the terminal is narrow.

Each column has a width (None: it takes what is left, never less than `min_width`) and a
rank: when the row does not fit, the columns of the highest rank go first. At 80 columns the
Dispatches table keeps its id, status, start, progress and text, and drops end, time zone and
audience; at 120 it shows them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

PADDING = 2  # a DataTable cell's padding, one space each side
SCROLLBAR = 2


@dataclass(frozen=True)
class Column:
    label: str
    key: str
    width: int | None = None
    rank: int = 0
    """0 is always shown; higher ranks give way first when space runs out."""
    min_width: int = 12
    """The least a flexible column (width None) may get."""


def columns(*specs: tuple) -> list[Column]:
    """`Column`s from tuples (label, key, width[, rank[, min_width]])."""
    return [Column(*spec) for spec in specs]


def fitting(spec: Sequence[Column], width: int) -> list[tuple[Column, int]]:
    """The columns that fit in `width` cells, in their order, each with the width it gets."""
    shown = list(spec)

    def needed(cols) -> int:
        return sum((c.width if c.width is not None else c.min_width) + PADDING for c in cols)

    while needed(shown) > width and any(c.rank for c in shown):
        worst = max(c.rank for c in shown)
        drop = [c for c in shown if c.rank == worst][-1]
        shown.remove(drop)
    flexible = [c for c in shown if c.width is None]
    spare = width - sum(c.width + PADDING for c in shown if c.width is not None) - PADDING * len(flexible)
    share = max(spare // len(flexible), 0) if flexible else 0
    return [(c, c.width if c.width is not None else max(share, c.min_width)) for c in shown]


class FittedColumns:
    """Mixin for a DataTable: `fit_columns()` on every resize; rows are given with a cell for
    every column of the spec (`add_fitted_row`), and the table shows those that fit.

    `columns_changed()` is called when the set of columns changed, to put the rows back."""

    def init_columns(self, spec: Sequence[Column | tuple]) -> None:
        self.column_spec = [c if isinstance(c, Column) else Column(*c) for c in spec]
        self.shown_keys: list[str] = []
        self._fitted: list[tuple[str, int]] = []
        self.refit_row = 0
        self.refit_key: str | None = None
        """Where the cursor was before the last change of columns emptied the table."""

    def fit_columns(self) -> bool:
        """Choose the columns for the width now; True when they changed (and the table was
        emptied, so the rows must be put back)."""
        width = self.size.width or self.app.size.width
        fitted = fitting(self.column_spec, max(width - SCROLLBAR, 20))
        shape = [(c.key, w) for c, w in fitted]
        if shape == self._fitted:
            return False
        self._fitted = shape
        self.refit_row = self.cursor_row
        self.refit_key = (self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
                          if self.row_count else None)
        self.clear(columns=True)
        for column, w in fitted:
            self.add_column(column.label, key=column.key, width=w)
        self.shown_keys = [c.key for c, _w in fitted]
        return True

    def fitted_cells(self, cells: Sequence[Text]) -> list[Text]:
        by_key = {c.key: cell for c, cell in zip(self.column_spec, cells)}
        return [by_key[key] for key in self.shown_keys]

    def add_fitted_row(self, *cells: Text, **kwargs):
        return self.add_row(*self.fitted_cells(cells), **kwargs)

    def columns_changed(self) -> None:
        """Put the rows back after the columns changed (the owner knows them)."""

    def on_resize(self, event) -> None:
        if self.fit_columns():
            self.columns_changed()


class FittedTable(FittedColumns, DataTable):
    """A DataTable whose columns fit its width; when they change it is emptied and posts
    `Refit`, and its owner fills it again."""

    class Refit(Message):
        def __init__(self, table: "FittedTable"):
            super().__init__()
            self.table = table

        @property
        def control(self) -> "FittedTable":
            return self.table

    def __init__(self, spec: Sequence[Column], **kwargs):
        super().__init__(**kwargs)
        self.init_columns(spec)

    def on_mount(self) -> None:
        self.fit_columns()

    def columns_changed(self) -> None:
        self.post_message(self.Refit(self))
