"""Pause, resume, cancel, delete, clone and resend, shared by every screen that shows a dispatch."""
from __future__ import annotations

from tui_notifier.core.dispatches import (can_change, cancel_dispatch, delete_dispatch, pause_dispatch,
                                          resume_dispatch)
from tui_notifier.models import Dispatch
from tui_notifier.tui.formatting import dispatch_label
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.copy_dispatch import CopyDispatchScreen

CHANGE_OF_ACTION = {"pause": "paused", "resume": "resumed", "cancel_dispatch": "cancelled",
                    "delete_dispatch": "deleted"}
"""Each key's action and the change it asks core for (core.dispatches.ALLOWED_FROM says when)."""


__all__ = ["CHANGE_OF_ACTION", "DispatchActions", "dispatch_label"]


class DispatchActions:
    """Mixin for a Screen with BackgroundReads: implement `selected_dispatch()` and
    `dispatch_changed(dispatch, change)`. Each change runs in a worker; while it runs, the
    keys and buttons of every change are disabled."""

    def selected_dispatch(self) -> Dispatch | None:
        raise NotImplementedError

    def dispatch_changed(self, dispatch: Dispatch, change: str) -> None:
        raise NotImplementedError

    def dispatch_copied(self, copy: Dispatch) -> None:
        """A clone or resend of the selected dispatch was created: show it."""

    def check_action(self, action: str, parameters) -> bool | None:
        if action in CHANGE_OF_ACTION:
            dispatch = self.selected_dispatch()
            if dispatch is None or not can_change(dispatch.status, CHANGE_OF_ACTION[action]):
                return False
            return None if self.busy("dispatch-change") else True
        if action in ("clone_dispatch", "resend_dispatch"):
            return self.selected_dispatch() is not None
        return True

    def change_controls(self) -> list:
        """Buttons that start a change, disabled while one runs."""
        return list(self.query("#pause, #resume, #cancel_dispatch"))

    def _change(self, change, verb: str) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is None:
            self.notify("Select a dispatch first.", markup=False)
            return
        if self.busy("dispatch-change"):
            return

        def done(changed) -> None:
            changed = changed if changed is not None else dispatch
            self.notify(f"Dispatch {dispatch_label(changed)} {verb}.", title=verb.capitalize(), markup=False)
            self.dispatch_changed(changed, verb)

        def failed(error: BaseException) -> None:
            self.notify(str(error), title="Not changed", severity="error", markup=False)
            self.dispatch_changed(dispatch, "refused")

        dispatch_id = dispatch.id
        self.call_in_background(lambda: change(dispatch_id), done, group="dispatch-change",
                                failed=failed, controls=self.change_controls())

    def action_pause(self) -> None:
        self._change(pause_dispatch, "paused")

    def action_resume(self) -> None:
        self._change(resume_dispatch, "resumed")

    def action_cancel_dispatch(self) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is None:
            return
        self.app.push_screen(
            ConfirmScreen(f"Cancel dispatch {dispatch_label(dispatch)}? Messages not yet sent will "
                          "never be sent.", yes="Cancel dispatch"),
            lambda yes: yes and self._change(cancel_dispatch, "cancelled"),
        )

    def action_delete_dispatch(self) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is None:
            return
        self.app.push_screen(
            ConfirmScreen(f"Delete dispatch {dispatch_label(dispatch)} with all its messages and their "
                          "history?", yes="Delete"),
            lambda yes: yes and self._change(delete_dispatch, "deleted"),
        )

    def action_clone_dispatch(self) -> None:
        self._copy(resend=False)

    def action_resend_dispatch(self) -> None:
        self._copy(resend=True)

    def _copy(self, resend: bool) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is None:
            return

        def created(copy: Dispatch | None) -> None:
            if copy is None:
                return
            verb = "resent" if resend else "cloned"
            self.notify(f"Dispatch {dispatch_label(dispatch)} {verb} as {dispatch_label(copy)}.",
                        title=verb.capitalize(), markup=False)
            self.dispatch_copied(copy)

        self.app.push_screen(CopyDispatchScreen(dispatch, resend=resend), created)
