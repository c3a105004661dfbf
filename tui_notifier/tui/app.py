"""The dashboard application: Clients, Dispatches and Reports one keystroke apart.

`run_app(config)` is what a bare `tui-notifier` runs: it opens the database, connects the
engine (so dispatch changes wake the consumer) and, with `consumer.embedded`, runs the Huey
consumer inside this process for as long as the dashboard is open; a dashboard in a browser
tab (`browser`, set by `tui-notifier web`) never does.
"""
from __future__ import annotations

import datetime as _dt
import importlib
import importlib.util
import logging
import os
from typing import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from tui_notifier.clock import utcnow
from tui_notifier.config import Config
from tui_notifier.core.dispatches import list_dispatches
from tui_notifier.core.text import visible
from tui_notifier.db import describe, open_database
from tui_notifier.models import DispatchStatus
from tui_notifier.tui.screens.audit import AuditScreen
from tui_notifier.tui.screens.clients import ClientsScreen
from tui_notifier.tui.screens.dispatch_actions import dispatch_label
from tui_notifier.tui.screens.dispatches import DispatchesScreen
from tui_notifier.tui.background_consumer import start_background_consumer
from tui_notifier.tui.screens.help import HelpScreen, keys_of, screen_title
from tui_notifier.tui.screens.quit import BACKGROUND, QUIT, QuitScreen
from tui_notifier.tui.screens.reports import ReportsScreen
from tui_notifier.tui.screens.stoplist import StopListScreen
from tui_notifier.tui.web import BROWSER_ENV
from tui_notifier.tui.widgets.background import BackgroundReads


SERVICE = "tui_notifier.delivery.consumer"


def delivery_service():
    """The engine's consumer module (connect, EmbeddedConsumer, consumer_state), or None while
    this install has no engine."""
    if importlib.util.find_spec(SERVICE) is None:
        return None
    return importlib.import_module(SERVICE)


class NotifierApp(BackgroundReads, App):
    """`clock` gives "now" to every screen (fixed in snapshot tests); `watch_seconds` is how
    often the header and the started/finished toasts follow the database."""

    CSS_PATH = "app.tcss"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    """A short terminal (80×24) gets borderless, one-line form controls (see app.tcss)."""
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    """A narrow terminal (80 columns) gets buttons as wide as their labels, so a row of them fits."""
    TITLE = "tui-notifier"
    MODES = {"clients": ClientsScreen, "dispatches": DispatchesScreen, "reports": ReportsScreen,
             "audit": AuditScreen, "stoplist": StopListScreen}
    DEFAULT_MODE = "clients"
    BINDINGS = [
        Binding("1", "show('clients')", "Clients"),
        Binding("2", "show('dispatches')", "Dispatches"),
        Binding("3", "show('reports')", "Reports"),
        Binding("f2", "show('clients')", "Clients", show=False),
        Binding("f3", "show('dispatches')", "Dispatches", show=False),
        Binding("f4", "show('reports')", "Reports", show=False),
        Binding("4", "show('audit')", "Audit", show=False),
        Binding("5", "show('stoplist')", "Stop list", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False, priority=True),
        Binding("escape", "hide_keys", "Close the keys", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    GLOBAL_COMMANDS = [
        ("Clients", "Show the client directory", "clients", ""),
        ("Dispatches", "Show every dispatch", "dispatches", ""),
        ("Reports", "Show live reports", "reports", ""),
        ("Audit", "Who changed what, and when (key 4)", "audit", ""),
        ("Stop list", "Phones never sent to (key 5)", "stoplist", ""),
        ("Stop a phone", "Add a phone to the stop list", "stoplist", "add"),
        ("Add a client", "Open an empty client form", "clients", "add"),
        ("Load clients from a YAML or CSV file", "Bulk-load a directory file", "clients", "load"),
        ("Search clients", "By phone, operator code or tag", "clients", "search"),
        ("New dispatch", "Compose a dispatch", "dispatches", "new"),
    ]

    consumer_state = reactive("none")
    unattended = reactive(0)
    """Dispatches running or due to start while no consumer is alive (the banner shows them)."""

    def __init__(self, config: Config, *, clock: Callable[[], _dt.datetime] = utcnow,
                 watch_seconds: float | None = 1.0, browser: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.browser = browser
        self.clock = clock
        self.watch_seconds = watch_seconds
        self.database_label = describe(config.database_url)
        self.service = delivery_service()
        self.consumer = None
        self._statuses: dict[str, str] | None = None
        self.work = (0, 0)
        self.background_pid: int | None = None
        """(running, due to start) dispatches, as the last read of the database found them."""

    def on_mount(self) -> None:
        if self.config.consumer.embedded and self.service is not None and not self.browser:
            self.consumer = self.service.EmbeddedConsumer(self.config)
            self.consumer.start()
        if self.watch_seconds:
            self.set_interval(self.watch_seconds, self.follow)
        self.follow()

    def on_unmount(self) -> None:
        self.stop_consumer()

    def stop_consumer(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            consumer.stop()

    def follow(self) -> None:
        """Read the consumer state and the dispatch statuses, for the header and the toasts."""
        service, config = self.service, self.config

        def fetch():
            state = service.consumer_state(config) if service is not None else "none"
            return state, [(d.id.hex, d.status, d) for d in list_dispatches()]

        self.read_in_background(fetch, self._followed, group="follow")

    def _followed(self, result) -> None:
        state, dispatches = result
        self.consumer_state = state
        now = self.clock()
        running = sum(1 for _key, status, _d in dispatches if status == DispatchStatus.RUNNING)
        due = sum(1 for _key, status, d in dispatches
                  if status == DispatchStatus.SCHEDULED and d.start_at <= now < d.end_at)
        self.work = (running, due)
        self.unattended = running + due if state == "none" else 0
        before, self._statuses = self._statuses, {key: status for key, status, _d in dispatches}
        if before is None:
            return
        for key, status, dispatch in dispatches:
            previous = before.get(key, DispatchStatus.SCHEDULED)
            if previous == status:
                continue
            if status == DispatchStatus.RUNNING and previous == DispatchStatus.SCHEDULED:
                self.notify(f"Dispatch {dispatch_label(dispatch)} started.", title="Started", markup=False)
            elif status == DispatchStatus.FINISHED:
                self.notify(f"Dispatch {dispatch_label(dispatch)} finished.", title="Finished", markup=False)

    def notify(self, message: str, *, title: str = "", markup: bool = True, **kwargs) -> None:
        """A toast; one shown literally (`markup=False`) has its control characters written out."""
        if not markup:
            message, title = visible(message, keep_newlines=True), visible(title)
        super().notify(message, title=title, markup=markup, **kwargs)

    async def action_quit(self) -> None:
        """Quit; while this dashboard's own consumer has dispatches to send, ask first."""
        if self.consumer is None or not any(self.work) or isinstance(self.screen, QuitScreen):
            await super().action_quit()
            return
        self.push_screen(QuitScreen(*self.work), self._quit_answered)

    def _quit_answered(self, answer: str | None) -> None:
        if answer == QUIT:
            self.exit()
        elif answer == BACKGROUND:
            pid = self.background_pid = start_background_consumer(self.config)
            self.exit(message=f"Sending goes on in a background tui-notifier consumer (pid {pid}); "
                              f"stop it with: kill {pid}")

    def action_help(self) -> None:
        """What each status means, the flow from composing to delivered, this screen's keys."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        self.push_screen(HelpScreen(keys_of(screen), screen_title(screen)))

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "hide_keys":
            return bool(self.screen.query("HelpPanel"))
        return True

    def action_hide_keys(self) -> None:
        """Escape closes the Keys panel (opened from the command palette)."""
        self.action_hide_help_panel()

    async def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            await self.switch_mode(mode)

    async def action_go(self, mode: str, action: str = "") -> None:
        """Show `mode`'s screen, then run one of its actions (for the command palette)."""
        await self.action_show(mode)
        base = self.MODES[mode]
        while len(self.screen_stack) > 1 and not isinstance(self.screen, base):
            await self.pop_screen()
        if action:
            await self.screen.run_action(action)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action: the global ones, then the bindings of the screen in view."""
        offered = set()
        for title, help_text, mode, action in self.GLOBAL_COMMANDS:
            offered.add((mode, action))
            yield SystemCommand(title, help_text, lambda mode=mode, action=action: self.action_go(mode, action))
        for binding in getattr(type(screen), "BINDINGS", []):
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if (self.current_mode, binding.action) in offered or screen.check_action(binding.action, ()) is not True:
                continue
            key = binding.key.split(",")[0]
            yield SystemCommand(binding.description, f"{binding.description} (key {key}) on this screen",
                                lambda action=binding.action: screen.run_action(action))
        yield from super().get_system_commands(screen)


def _log_to_file_only(config: Config) -> None:
    """The dashboard owns the terminal: logs go only to `logging.file`, if one is set."""
    if importlib.util.find_spec("tui_notifier.delivery.logs") is not None:
        from tui_notifier.delivery.logs import setup_logging

        setup_logging(config, stderr=False)
    if not config.logging.file:
        logging.getLogger().addHandler(logging.NullHandler())


def run_app(config: Config) -> int:
    """Open the configured database, connect the engine and run the dashboard until quit."""
    _log_to_file_only(config)
    open_database(config.database_url)
    service = delivery_service()
    if service is not None:
        service.connect(config)
    app = NotifierApp(config, browser=os.environ.get(BROWSER_ENV) == "1")
    app.run()
    return app.return_code or 0
