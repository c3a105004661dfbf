"""`tui-notifier`: the dashboard with no arguments, subcommands for everything scriptable.

Exit codes: 0 success, 1 the operation failed (a one-line reason on stderr), 2 bad usage.
Each command group lives in a module of this package with `register(subparsers)`; its
handlers take `(args, ctx)` and return the exit code.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import sys

from tui_notifier import __version__
from tui_notifier.config import Config, ConfigError, load_config

PROG = "tui-notifier"
COMMAND_MODULES = ("clients", "stoplist", "dispatches", "report", "consumer", "gateway", "web", "serve",
                   "tokens", "audit")


_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""What Python makes of bytes in an argument that are not UTF-8."""


class Failure(Exception):
    """The operation failed for a reason the operator should read; exits 1."""


class Context:
    """What a command handler needs: the config, and the database opened on demand."""

    def __init__(self, config: Config):
        self.config = config
        self._opened = False

    def open_database(self, wake_engine: bool = False, pool: int = 0) -> None:
        """Open the configured database; with `wake_engine`, dispatch changes reach the consumer;
        `pool` keeps that many connections open for a server's threads."""
        if not self._opened:
            from tui_notifier.db import open_database

            open_database(self.config.database_url, pool)
            self._opened = True
        if wake_engine and importlib.util.find_spec("tui_notifier.delivery.queue"):
            from tui_notifier.delivery.queue import connect

            connect(self.config)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        from tui_notifier.core.text import visible

        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {visible(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A terminal-first SMS campaign manager. With no command, opens the dashboard.",
    )
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $TUI_NOTIFIER_CONFIG, else the user config dir)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(f"tui_notifier.cli.{name}"):
            importlib.import_module(f"tui_notifier.cli.{name}").register(subparsers)
    return parser


def _run_dashboard(config: Config, parser: argparse.ArgumentParser) -> int:
    if not importlib.util.find_spec("tui_notifier.tui.app"):
        parser.print_help()
        return 0
    from tui_notifier.tui.app import run_app

    return run_app(config) or 0


def main(argv: list[str] | None = None) -> int:
    import peewee

    from tui_notifier.core.errors import CoreError
    from tui_notifier.core.text import visible
    from tui_notifier.db import DatabaseError, describe
    from tui_notifier.redact import remember

    argv = sys.argv[1:] if argv is None else argv
    for argument in argv:
        if _UNDECODABLE.search(argument):
            readable = argument.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            print(f"{PROG}: error: an argument is not valid UTF-8: {visible(readable[:80])}", file=sys.stderr)
            return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        remember(config)
        from tui_notifier.core import audit

        audit.act_as(audit.os_user(), "dashboard" if args.command is None else "cli")
        if args.command is None:
            return _run_dashboard(config, parser)
        return args.handler(args, Context(config)) or 0
    except (ConfigError, CoreError, DatabaseError, Failure) as exc:
        print(f"{PROG}: error: {visible(exc)}", file=sys.stderr)
        return 1
    except peewee.DatabaseError as exc:
        print(f"{PROG}: error: database {visible(describe(config.database_url))}: {visible(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
