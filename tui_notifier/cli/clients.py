"""`tui-notifier clients load|export|list|add|update|delete`."""
from __future__ import annotations

import argparse
import sys

from tui_notifier.cli.output import attribute_arg, count_arg, print_json, print_table
from tui_notifier.core.text import visible


def register(subparsers) -> None:
    clients = subparsers.add_parser("clients", help="the client directory",
                                    description="Manage the client directory.")
    commands = clients.add_subparsers(dest="clients_command", metavar="COMMAND", required=True)

    p = commands.add_parser("load", help="bulk-load clients from a YAML or CSV file",
                            description="Load clients from YAML (a list of mappings, or a mapping "
                                        "with a `clients:` list; keys phone, tag, timezone, operator_code) "
                                        "or CSV (a header row naming those columns). The file is read as a "
                                        "stream, so its size does not matter. Every row is checked; by "
                                        "default nothing is written when any row is bad.")
    p.add_argument("file", help="the YAML or CSV file")
    p.add_argument("--format", choices=("yaml", "csv"),
                   help="the file's format (default: csv for a .csv or .tsv file, else yaml)")
    p.add_argument("--skip-invalid", action="store_true", help="load the good rows, report the bad ones")
    p.add_argument("--on-conflict", choices=("update", "skip", "error"), default="update",
                   help="a phone already in the directory: update it (default), skip it, or count it as an error")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.set_defaults(handler=run_load)

    p = commands.add_parser("export", help="write clients as CSV, YAML or JSON",
                            description="Write the clients matching the filters in id order, in a "
                                        "form `clients load` reads back.")
    p.add_argument("--format", choices=("csv", "yaml", "json"), default="csv")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    _filter_options(p)
    p.set_defaults(handler=run_export)

    p = commands.add_parser("list", help="list or search clients",
                            description="List clients in id order; every given filter must match.")
    _filter_options(p)
    p.add_argument("--limit", type=count_arg(1), default=None, help="at most this many (default: all)")
    p.add_argument("--offset", type=count_arg(0), default=0)
    p.add_argument("--count", action="store_true", help="print only how many match")
    p.add_argument("--json", action="store_true", help="print the clients as JSON with every field")
    p.set_defaults(handler=run_list)

    p = commands.add_parser("add", help="add one client",
                            description="Add a client; prints its id (the whole client with --json).")
    p.add_argument("phone", help="e.g. 79001234567, +7 900 123-45-67, 8 (900) 1234567")
    _client_options(p)
    p.set_defaults(handler=run_add)

    p = commands.add_parser("update", help="change a client's fields")
    p.add_argument("id", type=int)
    p.add_argument("--phone")
    _client_options(p)
    p.set_defaults(handler=run_update)

    p = commands.add_parser("delete", help="delete clients by id")
    p.add_argument("ids", type=int, nargs="+", metavar="ID")
    p.set_defaults(handler=run_delete)


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phone", default="", metavar="PREFIX", help="phone prefix, any common form")
    p.add_argument("--tag", help="exact tag")
    p.add_argument("--operator", metavar="CODE", help="operator code")
    p.add_argument("--search", default="", metavar="TEXT",
                   help="free text: digits match a phone prefix, words a tag")


def _filter_of(args):
    from tui_notifier.core import clients

    return clients.ClientFilter(phone_prefix=args.phone, tag=args.tag, operator_code=args.operator,
                                text=args.search)


def _client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tag", help="free text, trimmed")
    p.add_argument("--timezone", help="a pytz common time zone (default UTC)")
    p.add_argument("--operator", metavar="CODE", help="3-digit operator code (default: from the phone)")
    p.add_argument("--attr", action="append", type=attribute_arg, default=[], metavar="NAME=VALUE",
                   help="an attribute for placeholders like {NAME} in a text; repeat for more; "
                        "an empty VALUE removes it")
    p.add_argument("--json", action="store_true", help="print the client as JSON")


def _print_client(client, as_json: bool) -> None:
    if as_json:
        print_json(client.as_dict())
    else:
        print(client.id)


def run_add(args, ctx) -> int:
    from tui_notifier.core import clients

    ctx.open_database()
    client = clients.add_client(args.phone, operator_code=args.operator, tag=args.tag,
                                timezone=args.timezone, attributes=dict(args.attr))
    _print_client(client, args.json)
    return 0


def run_update(args, ctx) -> int:
    from tui_notifier.core import clients

    ctx.open_database()
    changes = {name: value for name, value in (
        ("phone", args.phone), ("tag", args.tag), ("timezone", args.timezone),
        ("operator_code", args.operator)) if value is not None}
    if args.attr:
        changes["set_attributes"] = dict(args.attr)
    client = clients.update_client(args.id, **changes)
    _print_client(client, args.json)
    return 0


def run_delete(args, ctx) -> int:
    from tui_notifier.core import clients
    from tui_notifier.db import database

    ctx.open_database()
    with database.atomic():
        for client_id in args.ids:
            clients.delete_client(client_id)
    return 0


def run_list(args, ctx) -> int:
    from tui_notifier.core import clients

    ctx.open_database()
    flt = _filter_of(args)
    if args.count:
        print(clients.count_clients(flt))
        return 0
    found = clients.list_clients(flt, limit=args.limit, offset=args.offset)
    if args.json:
        print_json([c.as_dict() for c in found])
    else:
        print_table(["id", "phone", "operator", "tag", "timezone", "attributes"],
                    [[c.id, c.phone, c.operator_code, c.tag, c.timezone,
                      ", ".join(f"{k}={v}" for k, v in (c.attributes or {}).items())] for c in found])
    return 0


def run_load(args, ctx) -> int:
    from tui_notifier.core import loader

    ctx.open_database()
    with _progress_bar(enabled=sys.stderr.isatty() and not args.json) as progress:
        result = loader.load_clients_file(args.file, on_conflict=args.on_conflict,
                                          skip_invalid=args.skip_invalid, progress=progress,
                                          format=args.format)
    for error in result.errors:
        print(visible(error), file=sys.stderr)
    if result.errors_left_out:
        print(f"{visible(args.file)}: and {result.errors_left_out} more problem(s) not listed", file=sys.stderr)
    if args.json:
        print_json(result.as_json())
    else:
        print(f"created {result.created}, updated {result.updated}, "
              f"skipped {result.skipped}, failed {result.failed}")
    if result.failed and not result.written:
        print(f"tui-notifier: error: {visible(args.file)}: {result.failed} bad row(s), nothing was loaded "
              "(fix them, or use --skip-invalid)", file=sys.stderr)
        return 1
    return 0


def run_export(args, ctx) -> int:
    from tui_notifier.cli import Failure
    from tui_notifier.core.export import export_clients

    ctx.open_database()
    flt = _filter_of(args)
    if args.output is None:
        export_clients(sys.stdout, flt, args.format)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            count = export_clients(out, flt, args.format)
    except OSError as exc:
        raise Failure(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    print(f"exported {count} client(s) to {visible(args.output)}", file=sys.stderr)
    return 0


class _progress_bar:
    """A rich progress bar on stderr while loading, only when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress

        self._progress = Progress(transient=True, console=Console(stderr=True))
        self._progress.start()
        self._task = self._progress.add_task("loading clients", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False
