"""tui_notifier: a terminal-first SMS campaign manager."""

__version__ = "0.1.0"
