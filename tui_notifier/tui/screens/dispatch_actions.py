"""Pause, resume, cancel and delete, shared by every screen that shows a dispatch."""
from __future__ import annotations

from tui_notifier.core.dispatches import cancel_dispatch, delete_dispatch, pause_dispatch, resume_dispatch
from tui_notifier.core.errors import CoreError
from tui_notifier.models import Dispatch, DispatchStatus
from tui_notifier.tui.formatting import short_id
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.widgets.literal import one_line

ALLOWED_FROM = {
    "pause": (DispatchStatus.SCHEDULED, DispatchStatus.RUNNING),
    "resume": (DispatchStatus.PAUSED,),
    "cancel_dispatch": (DispatchStatus.SCHEDULED, DispatchStatus.RUNNING, DispatchStatus.PAUSED),
    "delete_dispatch": DispatchStatus.ALL,
}


def dispatch_label(dispatch: Dispatch) -> str:
    return f"{short_id(dispatch.id)} “{one_line(dispatch.message_text, 40)}”"


class DispatchActions:
    """Mixin for a Screen: implement `selected_dispatch()` and `dispatch_changed(dispatch, change)`."""

    def selected_dispatch(self) -> Dispatch | None:
        raise NotImplementedError

    def dispatch_changed(self, dispatch: Dispatch, change: str) -> None:
        raise NotImplementedError

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ALLOWED_FROM:
            dispatch = self.selected_dispatch()
            return dispatch is not None and dispatch.status in ALLOWED_FROM[action]
        return True

    def _change(self, change, verb: str) -> None:
        dispatch = self.selected_dispatch()
        if dispatch is None:
            self.notify("Select a dispatch first.", markup=False)
            return
        try:
            changed = change(dispatch.id)
        except CoreError as exc:
            self.notify(str(exc), title="Not changed", severity="error", markup=False)
            return
        changed = changed if changed is not None else dispatch
        self.notify(f"Dispatch {dispatch_label(changed)} {verb}.", title=verb.capitalize(), markup=False)
        self.dispatch_changed(changed, verb)

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
