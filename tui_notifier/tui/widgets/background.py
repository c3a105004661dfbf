"""Domain calls off the UI thread, their results applied on it.

A screen or widget asks for a read (`read_in_background`) or a change (`call_in_background`:
create, update, pause, delete...) to run in a thread worker; the worker's state change comes
back as a message, and on the UI thread `apply` (or `done`) runs with the result. Against a
remote PostgreSQL or Redis a call may take seconds: typing and paging never wait for it.

A newer read of the same group supersedes an older one, and a failing read is reported as a
toast instead of ending the app. A change is never superseded: while one of a group runs,
`busy(group)` is true and the controls given are disabled, so it cannot be started twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from textual.widget import Widget
from textual.worker import Worker, WorkerState

from tui_notifier.db import close_database


def _closing(fetch: Callable[[], Any]) -> Callable[[], Any]:
    def run():
        try:
            return fetch()
        finally:
            close_database()

    return run


@dataclass
class _Pending:
    apply: Callable[[Any], None]
    failed: Callable[[BaseException], None] | None
    toast: str | None
    """Title of the error toast, or None when `failed` says everything."""
    disabled: list[Widget]
    change: bool = False


class BackgroundReads:
    """Mixin for a Widget or Screen: `read_in_background`, `call_in_background`, `busy`."""

    def read_in_background(self, fetch: Callable[[], Any], apply: Callable[[Any], None],
                           group: str = "read",
                           failed: Callable[[BaseException], None] | None = None) -> Worker:
        return self._start(fetch, _Pending(apply, failed, "Could not read the database", []),
                           group, exclusive=True)

    def call_in_background(self, call: Callable[[], Any], done: Callable[[Any], None],
                           group: str = "change",
                           failed: Callable[[BaseException], None] | None = None,
                           controls: Iterable[Widget] = ()) -> Worker:
        """Run one change of the domain in a worker; `controls` stay disabled until it ends.
        `failed(error)` gets any error (a CoreError says what was wrong); without it the error
        is a toast."""
        disabled = [w for w in controls if not w.disabled]
        for widget in disabled:
            widget.disabled = True
        worker = self._start(call, _Pending(done, failed, None if failed else "Not done", disabled, True),
                             group, exclusive=False)
        self._bindings_changed()
        return worker

    def _start(self, fetch, pending: _Pending, group: str, exclusive: bool) -> Worker:
        waiting = self.__dict__.setdefault("_pending_reads", {})
        for superseded in [w for w in waiting if w.is_cancelled]:
            del waiting[superseded]
        worker = self.run_worker(
            _closing(fetch), thread=True, exclusive=exclusive, group=f"{id(self)}-{group}",
            exit_on_error=False, name=group,
        )
        waiting[worker] = pending
        return worker

    def reading(self, group: str = "read") -> bool:
        """Whether a read or change of `group` is still running."""
        return any(worker.name == group and not worker.is_cancelled and not worker.is_finished
                   for worker in self.__dict__.get("_pending_reads", {}))

    busy = reading

    def _bindings_changed(self) -> None:
        """Keys of a change are disabled while it runs: the footer and check_action follow."""
        if self.is_attached:
            self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        waiting = self.__dict__.get("_pending_reads", {})
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        pending = waiting.pop(event.worker, None)
        if pending is None or not self.is_attached:
            return
        for widget in pending.disabled:
            widget.disabled = False
        if pending.change:
            self._bindings_changed()
        if event.state == WorkerState.SUCCESS:
            pending.apply(event.worker.result)
        elif event.state == WorkerState.ERROR:
            if pending.toast is not None:
                self.notify(str(event.worker.error), title=pending.toast, severity="error", markup=False)
            if pending.failed is not None:
                pending.failed(event.worker.error)
