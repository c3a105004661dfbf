"""Test send from the composer: the dispatch's text, rendered for a client or the attributes
given, to one phone now, outside its audience and end; the outcome is shown here, apart from
the dispatch's counts.

The request is recorded and the consumer woken in a worker; the dialog then follows the test
send in the database until the gateway has answered.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_notifier.core import testsend
from tui_notifier.core.errors import NotFound, ValidationError
from tui_notifier.models import Dispatch, MessageStatus, TestSend
from tui_notifier.tui.formatting import dispatch_label, local_time
from tui_notifier.tui.screens.client_form import parse_attributes
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FormDialog, form_field
from tui_notifier.tui.widgets.literal import literal, one_line

FOLLOW_SECONDS = 0.3
"""How often the dialog reads the test send again until the gateway has answered."""


def client_id_of(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError("client", f"expected a client id (a number), got {text!r}")
    return int(text)


def request(dispatch_id, phone: str, client: str, attributes: str) -> TestSend:
    """Check the form's fields and record the test send (the worker's part)."""
    client_id = client_id_of(client)
    values = parse_attributes(attributes)
    try:
        return testsend.request_test_send(dispatch_id, phone, client_id=client_id, attributes=values)
    except NotFound as exc:
        if client_id is not None and "client" in str(exc):
            raise ValidationError("client", str(exc)) from None
        raise


def outcome_line(test: TestSend, consumer: str) -> str:
    """What became of a test send, in one line for the operator."""
    label = f"Test send {test.id} to {test.phone}"
    if test.status == MessageStatus.SENT:
        provider = f" (provider id {test.provider_id})" if test.provider_id else ""
        at = f" at {local_time(test.sent_at, 'UTC')} UTC" if test.sent_at else ""
        return f"{label}: sent, accepted by the gateway{at}{provider}"
    if test.status == MessageStatus.FAILED:
        return f"{label}: failed: {one_line(test.error or 'not accepted', 300)}"
    if consumer == "none":
        return f"{label}: waiting, no consumer is running (start one: tui-notifier consumer)"
    return f"{label}: waiting for the consumer to send it"


class TestSendScreen(BackgroundReads, FormDialog, ModalScreen[None]):
    """Stays open after a send to show its outcome; Escape or Close leaves."""

    __test__ = False
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+s", "save", "Send"),
    ]

    def __init__(self, dispatch: Dispatch):
        super().__init__()
        self.dispatch = dispatch
        self.test: TestSend | None = None
        self._follow = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="test-send"):
            yield Label(literal(f"Test send of dispatch {dispatch_label(self.dispatch)}"), classes="dialog-title")
            yield Static(literal("Its text to one phone now, outside its audience and end; "
                                 "not counted in its reports."), classes="field-hint")
            yield form_field("Phone", Input(placeholder="+7 900 123-45-67", id="phone"), "phone")
            with Horizontal(classes="form-row"):
                yield form_field("Client", Input(placeholder="none", id="client"), "client",
                                 "an id: its fields fill the text")
                yield form_field("Attributes", Input(placeholder="first_name=Анна", id="attributes"),
                                 "attributes", "name=value; …")
            yield Static(literal(""), id="test-result")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Send", variant="primary", id="save")
                yield Button("Close", id="cancel")
            yield Static(literal("ctrl+s or Enter send · Esc close"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#phone", Input).focus()

    def action_save(self) -> None:
        if self.busy("save"):
            return
        dispatch_id = self.dispatch.id
        phone, client, attributes = (self.query_one(f"#{name}", Input).value
                                     for name in ("phone", "client", "attributes"))
        self.clear_errors()
        self.call_in_background(lambda: request(dispatch_id, phone, client, attributes), self._queued,
                                group="save", failed=self.not_saved, controls=self.query("#save"))

    def _queued(self, test: TestSend) -> None:
        self.test = test
        self._show(test)
        if self._follow is not None:
            self._follow.stop()
        self._follow = self.set_interval(FOLLOW_SECONDS, self._read_again)

    def _read_again(self) -> None:
        if self.test is None or self.reading("follow"):
            return
        test_id = self.test.id
        self.read_in_background(lambda: testsend.get_test_send(test_id), self._show, group="follow")

    def _show(self, test: TestSend) -> None:
        if self.test is None or test.id != self.test.id:
            return
        self.test = test
        result = self.query_one("#test-result", Static)
        result.update(literal(f"{outcome_line(test, self.app.consumer_state)}\nText: {one_line(test.text, 300)}"))
        result.set_class(test.status == MessageStatus.FAILED, "failed")
        result.set_class(test.status == MessageStatus.SENT, "sent")
        if not testsend.is_waiting(test) and self._follow is not None:
            self._follow.stop()
            self._follow = None
