"""Database reads off the UI thread, applied on it.

A screen or widget asks for `fetch` to run in a thread worker; when it succeeds `apply` runs
on the UI thread with its result. A newer read of the same group supersedes an older one, and
a failing read is reported as a toast instead of ending the app.
"""
from __future__ import annotations

from typing import Any, Callable

from textual.worker import Worker, WorkerState

from tui_notifier.db import close_database


def _closing(fetch: Callable[[], Any]) -> Callable[[], Any]:
    def run():
        try:
            return fetch()
        finally:
            close_database()

    return run


class BackgroundReads:
    """Mixin for a Widget or Screen: `read_in_background(fetch, apply, group)`."""

    def read_in_background(self, fetch: Callable[[], Any], apply: Callable[[Any], None],
                           group: str = "read",
                           failed: Callable[[BaseException], None] | None = None) -> Worker:
        pending = self.__dict__.setdefault("_pending_reads", {})
        for superseded in [w for w in pending if w.is_cancelled]:
            del pending[superseded]
        worker = self.run_worker(
            _closing(fetch), thread=True, exclusive=True, group=f"{id(self)}-{group}",
            exit_on_error=False, name=group,
        )
        pending[worker] = (apply, failed)
        return worker

    def reading(self, group: str = "read") -> bool:
        """Whether a read of `group` is still running."""
        return any(worker.name == group and not worker.is_cancelled and not worker.is_finished
                   for worker in self.__dict__.get("_pending_reads", {}))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        pending = self.__dict__.get("_pending_reads", {})
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        callbacks = pending.pop(event.worker, None)
        if callbacks is None or not self.is_attached:
            return
        apply, failed = callbacks
        if event.state == WorkerState.SUCCESS:
            apply(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.notify(str(event.worker.error), title="Could not read the database",
                        severity="error", markup=False)
            if failed is not None:
                failed(event.worker.error)
