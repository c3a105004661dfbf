"""Help (`?` or F1): what each status means, how a dispatch goes from composing to delivered,
and the keys of the screen the operator was on."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from tui_notifier.tui.widgets.literal import literal

FLOW = (
    "1. Compose (Dispatches, n): a text, a start and an end, which clients (operator codes, tags) "
    "and, if you like, a send window in each client's local time. Saved, it is scheduled.",
    "2. At its start a consumer makes one message per matching client and the dispatch is running. "
    "The dashboard runs a consumer itself unless told not to (the header says which: embedded, "
    "external or none); with none, nothing is sent.",
    "3. Each message is sent to the gateway when it is due and its client's window is open; what "
    "the gateway fumbles is retried with back-off until the dispatch's end.",
    "4. The gateway's delivery reports turn sent messages into delivered (or failed). Reports (3) "
    "follows it live; Enter drills into the messages and one message's history.",
    "5. At its end whatever is still unsent becomes timeout and the dispatch is finished; pause, "
    "resume and cancel work at any time before.",
)

DISPATCH_STATUSES = (
    ("scheduled", "waiting for its start (or for a consumer, when none is alive)"),
    ("running", "its messages are being sent; 'waiting for the send window' when no client's window is open"),
    ("paused", "nothing is sent until it is resumed; its end still applies"),
    ("finished", "every message has its outcome, or its end has come"),
    ("cancelled", "stopped for good; messages not yet sent became cancelled"),
)

MESSAGE_STATUSES = (
    ("created", "waiting to be sent (due now, at a retry time, or when the window opens)"),
    ("sending", "taken by a consumer, the request is on its way"),
    ("sent", "the gateway accepted it; its delivery report is awaited"),
    ("delivered", "the gateway reports it reached the phone"),
    ("failed", "the gateway refused it for good, or reported it undelivered"),
    ("timeout", "the dispatch's end came before it could be sent"),
    ("cancelled", "the dispatch was cancelled before it was sent"),
)


def _table(rows) -> Content:
    width = max(len(name) for name, _ in rows)
    return Content("\n").join(
        Content.assemble(Content.styled(name.ljust(width), "bold"), "  ", literal(meaning))
        for name, meaning in rows)


def screen_title(screen: Screen) -> str:
    """`the Dispatches screen`, from the class name."""
    name = type(screen).__name__.removesuffix("Screen")
    words = "".join(f" {ch}" if ch.isupper() else ch for ch in name).strip()
    return f"the {words} screen"


def keys_of(screen: Screen) -> list[tuple[str, str]]:
    """(key, what it does) for the bindings of `screen` and the app's (not those of the
    widget in focus: arrows and paging are as everywhere)."""
    app = screen.app
    seen, keys = set(), []
    for active in screen.active_bindings.values():
        binding = active.binding
        if active.node not in (screen, app) or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        keys.append((app.get_key_display(binding), binding.description))
    return keys


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss(None)", "Close"),
    ]

    def __init__(self, keys: list[tuple[str, str]], where: str):
        super().__init__()
        self.keys = keys
        self.where = where

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="help"):
            yield Label("Help", classes="dialog-title")
            yield Label(literal(f"Keys of {self.where}"), classes="section-title")
            yield Static(_table(self.keys) if self.keys else literal("none"), id="help-keys")
            yield Label("From composing to delivered", classes="section-title")
            yield Static(literal("\n".join(FLOW)), id="help-flow")
            yield Label("Dispatch statuses", classes="section-title")
            yield Static(_table(DISPATCH_STATUSES), id="help-dispatch-statuses")
            yield Label("Message statuses", classes="section-title")
            yield Static(_table(MESSAGE_STATUSES), id="help-message-statuses")
            yield Static(literal("↑ ↓ PgUp PgDn scroll · Esc, q or ? closes"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#dialog").focus()
