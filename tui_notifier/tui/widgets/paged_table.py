"""A DataTable that holds one screenful read from the database, paging by key.

A directory of a million rows never enters the widget: each page is one `LIMIT` query after
or before the key of the rows on screen, read off the UI thread. Page Up/Down, the arrows at
the edges, Home and End move through the whole source.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tui_notifier.core.clients import LAST_PAGE
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.columns import Column, FittedColumns


class PageSource(Protocol):
    """What a PagedTable reads: rows in ascending integer key order."""

    def fetch(self, limit: int, after: int | None = None, before: int | None = None) -> list: ...

    def count(self) -> int: ...

    def key(self, row) -> int: ...

    def cells(self, row) -> Sequence[Text]: ...


@dataclass
class _Request:
    kind: str  # first | after | before | last | reload
    cursor: str = "keep"  # keep | top | bottom


class PagedTable(FittedColumns, BackgroundReads, DataTable):
    """`columns` say which fit at which width (see widgets/columns.py); set `source` to show
    its first page."""

    class PageChanged(Message):
        def __init__(self, table: "PagedTable"):
            super().__init__()
            self.table = table

        @property
        def control(self) -> "PagedTable":
            return self.table

    def __init__(self, columns: Sequence[Column], **kwargs):
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.init_columns(columns)
        self._source: PageSource | None = None
        self._generation = 0
        self._busy = False
        self._queued: list[_Request] = []
        self.rows_shown: list = []
        self.start_index = 0
        self.total: int | None = None
        self.loaded = False

    def on_mount(self) -> None:
        self.fit_columns()

    def columns_changed(self) -> None:
        if self.rows_shown:
            self._show(self.rows_shown, "keep")
            self.move_cursor(row=min(self.refit_row, len(self.rows_shown) - 1), animate=False)

    @property
    def source(self) -> PageSource | None:
        return self._source

    def set_source(self, source: PageSource) -> None:
        """Show `source` from its first page (a new search, another dispatch...). Before the
        first layout the read waits for it, so the page is read once, at the height it gets."""
        self._source = source
        self._generation += 1
        self._busy = False
        self._queued = []
        self.total = None
        if self.scrollable_content_region.height <= 0:
            self.call_after_refresh(self._request, _Request("first", "top"))
        else:
            self._request(_Request("first", "top"))
        self._count()

    def refresh_page(self, recount: bool = True) -> None:
        """Read the rows on screen again (after an edit, or to follow live changes)."""
        if recount:
            self._count()
        self._request(_Request("reload"))

    @property
    def current_row(self) -> Any | None:
        if not self.rows_shown or not (0 <= self.cursor_row < len(self.rows_shown)):
            return None
        return self.rows_shown[self.cursor_row]

    @property
    def page_size(self) -> int:
        height = self.scrollable_content_region.height - (1 if self.show_header else 0)
        if height <= 0:
            height = self.app.size.height - 8
        return max(height, 3)

    def position(self) -> str:
        """`41–80 of 1,000,000`."""
        if not self.rows_shown:
            return "no rows" if self.total == 0 or self.total is None else f"0 of {self.total:,}"
        first, last = self.start_index + 1, self.start_index + len(self.rows_shown)
        total = "…" if self.total is None else f"{self.total:,}"
        return f"{first:,}–{last:,} of {total}"

    def _request(self, request: _Request) -> None:
        if self._source is None:
            return
        if self._busy:
            if request.kind in ("first", "last"):
                self._queued = [request]
            elif request.kind != "reload" or not self._queued:
                self._queued.append(request)
            return
        self._busy = True
        source, generation, size = self._source, self._generation, self.page_size
        first_key = source.key(self.rows_shown[0]) if self.rows_shown else None
        last_key = source.key(self.rows_shown[-1]) if self.rows_shown else None
        kind = request.kind
        if kind == "reload" and first_key is None:
            kind = "first"
        if kind in ("after", "before") and first_key is None:
            self._busy = False
            return

        def fetch():
            total = None
            if kind == "first":
                rows = source.fetch(size)
            elif kind == "after":
                rows = source.fetch(size, after=last_key)
            elif kind == "before":
                rows = source.fetch(size, before=first_key)
            elif kind == "last":
                rows = source.fetch(size, before=LAST_PAGE)
                total = source.count()
            else:
                rows = source.fetch(size, after=first_key - 1)
                if len(rows) < size:
                    rows = source.fetch(size, before=LAST_PAGE)
                    total = source.count()
            return generation, kind, rows, total, size

        def failed(_error):
            if generation == self._generation:
                self._busy = False
                self._queued = []

        self.read_in_background(fetch, lambda result: self._apply(result, request), group="page",
                                failed=failed)

    def _apply(self, result, request: _Request) -> None:
        generation, kind, rows, total, size = result
        if generation != self._generation:
            return
        self._busy = False
        if total is not None:
            self.total = total
        if not rows and kind in ("after", "before"):
            self.app.bell()
        else:
            if kind == "first":
                self.start_index = 0
            elif kind == "after":
                self.start_index += len(self.rows_shown)
            elif kind == "before":
                self.start_index = max(self.start_index - len(rows), 0)
            elif kind == "last" or (kind == "reload" and total is not None):
                self.start_index = max((self.total or len(rows)) - len(rows), 0)
            self._show(rows, request.cursor)
        fits = self.page_size
        if fits != size and (len(rows) == size or len(rows) > fits) and not self._queued:
            self._queued.append(_Request("reload"))
        if self._queued:
            self._request(self._queued.pop(0))

    def _show(self, rows: list, cursor: str) -> None:
        source = self._source
        row_index = self.cursor_row
        self.rows_shown = rows
        self.clear()
        for row in rows:
            self.add_fitted_row(*source.cells(row), key=str(source.key(row)))
        if rows:
            if cursor == "top":
                row_index = 0
            elif cursor == "bottom":
                row_index = len(rows) - 1
            self.move_cursor(row=min(max(row_index, 0), len(rows) - 1), animate=False)
        self.loaded = True
        self.post_message(self.PageChanged(self))

    def _count(self) -> None:
        source, generation = self._source, self._generation
        if source is None:
            return

        def apply(result):
            if result[0] == generation:
                self.total = result[1]
                self.post_message(self.PageChanged(self))

        self.read_in_background(lambda: (generation, source.count()), apply, group="count")

    def action_page_down(self) -> None:
        self._request(_Request("after"))

    def action_page_up(self) -> None:
        if self.start_index == 0 and not self._queued and not self._busy:
            self.move_cursor(row=0)
            return
        self._request(_Request("before"))

    def action_cursor_down(self) -> None:
        if self.rows_shown and self.cursor_row >= len(self.rows_shown) - 1:
            self._request(_Request("after", "top"))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.rows_shown and self.cursor_row <= 0 and self.start_index > 0:
            self._request(_Request("before", "bottom"))
        else:
            super().action_cursor_up()

    def action_scroll_top(self) -> None:
        self._request(_Request("first", "top"))

    def action_scroll_home(self) -> None:
        self._request(_Request("first", "top"))

    def action_scroll_bottom(self) -> None:
        self._request(_Request("last", "bottom"))

    def action_scroll_end(self) -> None:
        self._request(_Request("last", "bottom"))

    def on_resize(self) -> None:
        if self._source is not None and self.loaded and not self._busy:
            shown, fits = len(self.rows_shown), self.page_size
            if shown > fits or (shown < fits and (self.total is None or shown < self.total)):
                self._request(_Request("reload"))
