"""Clone a dispatch (same text, audience, window and sender) or resend it to exactly the clients
whose messages ended failed, timed out or cancelled: a new start and end, prefilled, and for a
resend which statuses."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tui_notifier.core.dispatches import RESENDABLE, clone_dispatch, resend_dispatch
from tui_notifier.models import Dispatch, MessageStatus
from tui_notifier.tui.formatting import dispatch_label, local_time
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FormDialog, form_field
from tui_notifier.tui.widgets.literal import literal

RESENT_BY_DEFAULT = (MessageStatus.FAILED, MessageStatus.TIMEOUT)


def copy_times(dispatch: Dispatch, now) -> tuple[str, str]:
    """Start and end to offer: the original's if it has not started, else from now on for as long
    as the original ran; in the original's time zone."""
    start = max(dispatch.start_at, now)
    end = start + (dispatch.end_at - dispatch.start_at)
    return local_time(start, dispatch.timezone), local_time(end, dispatch.timezone)


class CopyDispatchScreen(BackgroundReads, FormDialog, ModalScreen[Dispatch | None]):
    """Dismissed with the new dispatch, or None when the operator backs out."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Create"),
    ]

    def __init__(self, dispatch: Dispatch, resend: bool = False):
        super().__init__()
        self.dispatch = dispatch
        self.resend = resend

    def compose(self) -> ComposeResult:
        d = self.dispatch
        start, end = copy_times(d, self.app.clock())
        title = "Resend dispatch" if self.resend else "Clone dispatch"
        with VerticalScroll(id="dialog", classes="copy-dispatch"):
            yield Label(literal(f"{title} {dispatch_label(d)}"), classes="dialog-title")
            yield Static(literal("To exactly the clients whose messages ended:" if self.resend else
                                 "Same text, audience, send window and sender; new times."), classes="field-hint")
            if self.resend:
                with Horizontal(classes="form-row", id="field-status"):
                    for status in RESENDABLE:
                        yield Checkbox(str(status), status in RESENT_BY_DEFAULT, id=f"status-{status}")
                yield Static(literal(""), id="error-status", classes="field-error")
            with Horizontal(classes="form-row"):
                yield form_field("Start", Input(start, id="start"), "start")
                yield form_field("End", Input(end, id="end"), "end", f"in {d.timezone}")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Resend" if self.resend else "Clone", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
            yield Static(literal("ctrl+s create · Esc cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#start", Input).focus()

    def statuses(self) -> list[str]:
        return [str(status) for status in RESENDABLE if self.query_one(f"#status-{status}", Checkbox).value]

    def action_save(self) -> None:
        if self.busy("save"):
            return
        dispatch_id, now = self.dispatch.id, self.app.clock()
        start, end = self.query_one("#start", Input).value, self.query_one("#end", Input).value
        if self.resend:
            statuses = self.statuses()

            def save():
                return resend_dispatch(dispatch_id, start, end, statuses=statuses, now=now)
        else:
            def save():
                return clone_dispatch(dispatch_id, start, end, now=now)

        self.save_in_background(save)
