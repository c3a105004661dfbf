"""Compose a dispatch, or open one: text with a live SMS-part count, start and end in a time
zone, audience filters with a live client count, an optional send window and sender name.

As the text and filters change, the text rendered for a sample client of the audience, the
parts each recipient gets (an attribute can switch a text to UCS-2) and the dispatch's total
SMS count (what a provider bills) follow, read in a worker.

A dispatch that has started opens read-only except its end, with pause, resume and cancel
at hand. A saved dispatch offers a test send (F3) of its text to one phone; the latest test
sends are listed apart from its counts.
"""
from __future__ import annotations

import datetime as _dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from tui_notifier.core import testsend
from tui_notifier.core.dispatches import (create_dispatch, dispatch_problems, get_dispatch, has_started,
                                          preview_audience, preview_text, update_dispatch)
from tui_notifier.core.errors import NotFound, ValidationError
from tui_notifier.core.sms import count_sms
from tui_notifier.core.text import visible
from tui_notifier.models import Dispatch, DispatchStatus
from tui_notifier.tui.formatting import local_time, number, short_id
from tui_notifier.tui.screens.confirm import ConfirmScreen
from tui_notifier.tui.screens.dispatch_actions import DispatchActions, dispatch_label
from tui_notifier.tui.screens.test_send import TestSendScreen, outcome_line
from tui_notifier.tui.widgets.background import BackgroundReads
from tui_notifier.tui.widgets.form import FieldErrors, form_field
from tui_notifier.tui.widgets.header import NAV_BINDINGS, StatusHeader
from tui_notifier.tui.widgets.literal import literal, one_line
from tui_notifier.tui.widgets.timezone import TimezoneInput

LOCKED_FIELDS = ("start", "timezone", "operator_codes", "tags", "window", "sender")
INPUTS = ("start", "end", "timezone", "operator_codes", "tags", "window", "sender")
TEST_SENDS_SHOWN = 2
"""The latest test sends listed under the title of an opened dispatch."""
PREVIEW_DELAY = 0.3
"""Seconds of quiet typing before the preview is read again."""


class ComposeScreen(DispatchActions, BackgroundReads, FieldErrors, Screen[Dispatch | None]):
    """Dismissed with the saved dispatch, or None when the operator backs out."""

    BINDINGS = [
        *NAV_BINDINGS,
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "back", "Back"),
        Binding("f3", "test_send", "Test send"),
        Binding("f5", "pause", "Pause"),
        Binding("f6", "resume", "Resume"),
        Binding("f8", "cancel_dispatch", "Cancel dispatch"),
        Binding("f7", "clone_dispatch", "Clone"),
        Binding("f9", "resend_dispatch", "Resend"),
    ]

    def __init__(self, dispatch: Dispatch | None = None):
        super().__init__()
        self.dispatch = dispatch
        self._audience_timer = None
        self._preview_timer = None

    @property
    def started(self) -> bool:
        return self.dispatch is not None and has_started(self.dispatch, self.app.clock())

    @property
    def closed(self) -> bool:
        """Finished or cancelled: nothing of it can change any more."""
        return self.dispatch is not None and self.dispatch.status in DispatchStatus.CLOSED

    def compose(self) -> ComposeResult:
        d = self.dispatch
        now = self.app.clock()
        zone = d.timezone if d else "UTC"
        start = local_time(d.start_at if d else now, zone)
        end = local_time(d.end_at if d else now + _dt.timedelta(days=1), zone)
        yield StatusHeader("dispatches")
        with VerticalScroll(id="composer"):
            yield Label(literal(self._title()), id="composer-title", classes="dialog-title")
            yield Static(literal(self._status_line()), id="status-line")
            yield Static(literal(""), id="test-sends")
            yield form_field(
                "Message text",
                TextArea(visible(d.message_text, keep_newlines=True) if d else "", id="text", soft_wrap=True, tab_behavior="focus",
                         read_only=self.started),
                "text", "",
                Static(literal(""), id="sms-counter"),
                Static(literal(""), id="preview"),
            )
            with Horizontal(classes="form-row"):
                yield form_field("Start", Input(start, id="start", placeholder="2026-05-01 09:00"), "start")
                yield form_field("End", Input(end, id="end", placeholder="2026-05-02 09:00"), "end")
                yield form_field("Time zone", TimezoneInput(zone, id="timezone"), "timezone",
                                 "of start and end")
            with Horizontal(classes="form-row"):
                yield form_field("Operator codes", Input(", ".join(d.operator_codes) if d else "",
                                                         id="operator_codes", placeholder="any"),
                                 "operator_codes", "comma-separated, e.g. 900, 916")
                yield form_field("Tags", Input(", ".join(d.tags) if d else "", id="tags", placeholder="any"),
                                 "tags", "comma-separated; a client with any of them")
                yield form_field("Send window", Input((d.window or "") if d else "", id="window",
                                                      placeholder="any time"),
                                 "window", "HH:MM-HH:MM, each client's local time")
            with Horizontal(classes="form-row"):
                yield form_field("Sender", Input((d.sender or "") if d else "", id="sender", max_length=11,
                                                 placeholder="the gateway's"),
                                 "sender", "alpha name: 1–11 Latin letters, digits, space, . or -")
            yield Static(literal(""), id="audience")
            yield Static(literal(""), id="error-form", classes="field-error")
            with Horizontal(classes="buttons"):
                if not self.closed:
                    yield Button("Save end" if self.started else "Save", variant="primary", id="save")
                yield Button("Back", id="back")
                if self.dispatch is not None:
                    yield Button("Test send", id="test_send")
                    yield Button("Pause", id="pause")
                    yield Button("Resume", id="resume")
                    yield Button("Cancel dispatch", variant="error", id="cancel_dispatch")
        yield Footer()

    def _title(self) -> str:
        d = self.dispatch
        if d is None:
            return "New dispatch"
        if self.closed:
            suffix = ": nothing of it can change any more"
        else:
            suffix = " · started: only its end can change" if self.started else ""
        return f"Dispatch {short_id(d.id)} · {d.status}{suffix}"

    def _status_line(self) -> str:
        d = self.dispatch
        if d is None:
            return "Times are read in the time zone given; the send window in each client's own."
        line = f"Created {local_time(d.created_at, d.timezone)}"
        if d.status_reason:
            line += f" · {d.status_reason}"
        return line

    def on_mount(self) -> None:
        self._show_count()
        self._lock()
        self._refresh_buttons()
        self._count_audience()
        self._preview()
        if self.dispatch is not None:
            self.refresh_dispatch()
            self.set_interval(1.0, self.refresh_dispatch)
        if self.closed:
            self.query_one("#back", Button).focus()
        elif self.started:
            self.query_one("#end", Input).focus()
        else:
            self.query_one("#text", TextArea).focus()
        self._draft = self.values()

    def _lock(self) -> None:
        if not self.started:
            return
        for name in LOCKED_FIELDS + (("end",) if self.closed else ()):
            self.query_one(f"#{name}", Input).disabled = True

    def _refresh_buttons(self) -> None:
        for action in ("pause", "resume", "cancel_dispatch"):
            for button in self.query(f"#{action}"):
                button.disabled = not self.check_action(action, ())
        self.refresh_bindings()

    def selected_dispatch(self) -> Dispatch | None:
        return self.dispatch

    def dispatch_copied(self, copy: Dispatch) -> None:
        """The list behind shows the new dispatch selected."""
        self.dismiss(copy)

    def dispatch_changed(self, dispatch: Dispatch, change: str) -> None:
        if change == "deleted":
            self.dismiss(None)
            return
        if change == "refused":
            self.refresh_dispatch()
        self.dispatch = dispatch
        self.query_one("#composer-title", Label).update(literal(self._title()))
        self.query_one("#status-line", Static).update(literal(self._status_line()))
        self._refresh_buttons()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("pause", "resume", "cancel_dispatch", "test_send") and self.dispatch is None:
            return False
        if action == "save":
            if self.closed:
                return False
            return None if self.busy("save") else True
        return super().check_action(action, parameters)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_count()
        self._preview_soon()

    def _preview_soon(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._preview)

    def _preview(self) -> None:
        """Read the sample, parts and total for the text and filters on screen, in a worker."""
        self._preview_timer = None
        text = self.values()["text"]
        codes = self.query_one("#operator_codes", Input).value
        tags = self.query_one("#tags", Input).value

        def fetch():
            try:
                return preview_text(text, codes, tags), None
            except ValidationError as exc:
                return None, exc

        self.read_in_background(fetch, self._show_preview, group="preview")

    def _show_preview(self, result) -> None:
        cost, error = result
        preview = self.query_one("#preview", Static)
        if error is not None:
            said = f"No preview: {error.message}" if error.field == "text" and self.values()["text"].strip() else ""
            preview.update(literal(said))
            return
        sample = f"Sample: {one_line(cost.sample, 300)}"
        if not cost.recipients:
            preview.update(literal(f"{sample}\nNo client matches: nothing to send"))
            return
        parts = (f"{cost.min_parts}" if cost.min_parts == cost.max_parts
                 else f"{cost.min_parts}–{cost.max_parts}")
        noun = "recipient" if cost.recipients == 1 else "recipients"
        preview.update(literal(f"{sample}\n{parts} SMS per recipient · "
                               f"{number(cost.total_sms)} SMS in all for {number(cost.recipients)} {noun}"))

    def _show_count(self) -> None:
        counted = count_sms(self.query_one("#text", TextArea).text)
        counter = self.query_one("#sms-counter", Static)
        counter.update(literal(counted.describe()))
        counter.set_class(counted.parts > 1, "several-parts")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("operator_codes", "tags"):
            if self._audience_timer is not None:
                self._audience_timer.stop()
            self._audience_timer = self.set_timer(0.3, self._count_audience)
            self._preview_soon()

    def _count_audience(self) -> None:
        self._audience_timer = None
        codes = self.query_one("#operator_codes", Input).value
        tags = self.query_one("#tags", Input).value

        def fetch():
            try:
                return preview_audience(codes, tags), None
            except ValidationError as exc:
                return None, exc

        self.read_in_background(fetch, self._show_audience, group="audience")

    def _show_audience(self, result) -> None:
        count, error = result
        for name in ("operator_codes", "tags"):
            line = self.query_one(f"#error-{name}", Static)
            line.update(literal(""))
            line.remove_class("shown")
        audience = self.query_one("#audience", Static)
        if error is not None:
            self.show_error(error.field, error.message)
            audience.update(literal(""))
            return
        noun = "client" if count == 1 else "clients"
        audience.update(literal(f"Matches {number(count)} {noun}"))
        audience.set_class(count == 0, "no-match")

    def values(self) -> dict:
        fields = {name: self.query_one(f"#{name}", Input).value for name in INPUTS}
        fields["text"] = self.query_one("#text", TextArea).text
        if self.dispatch is not None and fields["text"] == visible(self.dispatch.message_text, keep_newlines=True):
            fields["text"] = self.dispatch.message_text
        return fields

    def action_save(self) -> None:
        """Check every field and save in a worker; every problem is shown at once, beside its field."""
        if self.closed or self.busy("save"):
            return
        self.clear_errors()
        values, now = self.values(), self.app.clock()
        dispatch, started = self.dispatch, self.started

        def save():
            if dispatch is not None and started:
                return update_dispatch(dispatch.id, end=values["end"], now=now), "saved"
            problems = dispatch_problems(values["start"], values["end"], values["text"], values["timezone"],
                                         values["operator_codes"], values["tags"], values["window"], now=now,
                                         sender=values["sender"])
            if problems:
                return problems, "invalid"
            if dispatch is None:
                return create_dispatch(values["start"], values["end"], values["text"], values["timezone"],
                                       values["operator_codes"], values["tags"], values["window"],
                                       now=now, sender=values["sender"]), "created"
            return update_dispatch(dispatch.id, start=values["start"], end=values["end"], text=values["text"],
                                   timezone=values["timezone"], operator_codes=values["operator_codes"],
                                   tags=values["tags"], window=values["window"], sender=values["sender"],
                                   now=now), "saved"

        self.call_in_background(save, self._saved, group="save", failed=self._not_saved,
                                controls=self.query("#save"))

    def _saved(self, result) -> None:
        saved, verb = result
        if verb == "invalid":
            self._show_problems(saved)
            return
        self._draft = self.values()
        when = local_time(saved.start_at, saved.timezone)
        self.notify(f"Dispatch {dispatch_label(saved)} {verb}; starts {when} {saved.timezone}.",
                    title=verb.capitalize(), markup=False)
        self.dismiss(saved)

    def _not_saved(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self._show_problems([error])
        else:
            self.show_error("form", str(error))

    def _show_problems(self, problems: list[ValidationError]) -> None:
        first = None
        for problem in problems:
            target = self.show_error(problem.field, problem.message)
            if first is None and target is not None and not target.disabled:
                first = target
        if first is not None:
            first.focus()

    def action_back(self) -> None:
        """Leave; a draft with changes is dropped only when the operator says so."""
        if self.closed or self.values() == self._draft:
            self.dismiss(None)
            return
        what = "this new dispatch" if self.dispatch is None else "your changes"
        self.app.push_screen(ConfirmScreen(f"Drop {what}? What you typed is lost.", yes="Drop",
                                           no="Keep editing"),
                             lambda drop: drop and self.dismiss(None))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        getattr(self, f"action_{event.button.id}")()

    def action_test_send(self) -> None:
        """Send the saved text to one phone now, in a dialog that shows what became of it."""
        if self.dispatch is not None:
            self.app.push_screen(TestSendScreen(self.dispatch), lambda _none: self.refresh_dispatch())

    def refresh_dispatch(self) -> None:
        """Read the dispatch again (its status moves while it sends) and its latest test sends."""
        if self.dispatch is None:
            return
        dispatch_id = self.dispatch.id

        def fetch():
            try:
                return get_dispatch(dispatch_id), testsend.list_test_sends(dispatch_id)[:TEST_SENDS_SHOWN]
            except NotFound:
                return None, []

        def apply(result):
            dispatch, tests = result
            if dispatch is not None and dispatch.status != self.dispatch.status:
                self.dispatch_changed(dispatch, "refreshed")
            self._show_test_sends(tests)

        self.read_in_background(fetch, apply, group="dispatch")

    def _show_test_sends(self, tests: list) -> None:
        lines = [outcome_line(test, self.app.consumer_state) for test in tests]
        shown = self.query_one("#test-sends", Static)
        shown.update(literal("\n".join(lines)))
        shown.display = bool(lines)
