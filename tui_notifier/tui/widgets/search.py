"""A `#search` input over a PagedTable: the table follows what is typed after a short pause,
Enter goes back to the table, Escape clears the search."""
from __future__ import annotations

from textual.widgets import Input

SEARCH_DELAY = 0.25
"""Seconds of quiet typing before the table is read again."""


class TableSearch:
    """Mixin for a Screen with an Input `#search` and a PagedTable `table`: implement
    `search_source(text)`, the table's source for a search (all rows for "")."""

    _search_timer = None

    def search_source(self, text: str):
        raise NotImplementedError

    def search_text(self) -> str:
        return self.query_one("#search", Input).value.strip()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._apply_search)

    def _apply_search(self) -> None:
        self._search_timer = None
        self.table.set_source(self.search_source(self.search_text()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
            self._apply_search()
        self.table.focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#search", Input).value = ""
        self.table.focus()
