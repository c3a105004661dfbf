"""`tui-notifier stoplist add|remove|list|load`: phones never to be sent to."""
from __future__ import annotations

import sys

from tui_notifier.cli import Failure
from tui_notifier.cli.output import count_arg, print_json, print_table


def register(subparsers) -> None:
    stoplist = subparsers.add_parser("stoplist", help="phones never to be sent to",
                                     description="The stop list: a phone on it gets no message from any "
                                                 "dispatch; adding one cancels its unsent messages at once.")
    commands = stoplist.add_subparsers(dest="stoplist_command", metavar="COMMAND", required=True)

    p = commands.add_parser("add", help="stop phones (any common form) and cancel their unsent messages")
    p.add_argument("phones", nargs="+", metavar="PHONE")
    p.add_argument("--reason", default="", help="why, e.g. 'replied STOP' (one line)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_add)

    p = commands.add_parser("remove", help="take phones off the stop list")
    p.add_argument("phones", nargs="+", metavar="PHONE")
    p.set_defaults(handler=run_remove)

    p = commands.add_parser("list", help="the stopped phones in order")
    p.add_argument("--phone", default="", metavar="PREFIX", help="phone prefix, any common form")
    p.add_argument("--limit", type=count_arg(1), default=None, help="at most this many (default: all)")
    p.add_argument("--count", action="store_true", help="print only how many")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_list)

    p = commands.add_parser("load", help="stop every phone of a file",
                            description="A file of phones, one per line, each optionally followed by "
                                        "`,reason`. Every line is checked first: one bad line and "
                                        "nothing is written.")
    p.add_argument("file")
    p.add_argument("--reason", default="", help="the reason of lines that give none")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_load)


def _said(added: int, already: int, cancelled: int) -> str:
    return f"stopped {added} phone(s), {already} already stopped; cancelled {cancelled} unsent message(s)"


def run_add(args, ctx) -> int:
    from tui_notifier.core import stoplist

    ctx.open_database()
    result = stoplist.add_phones(args.phones, args.reason)
    if args.json:
        print_json(vars(result))
    else:
        print(_said(result.added, result.already, result.cancelled))
    return 0


def run_remove(args, ctx) -> int:
    from tui_notifier.core import stoplist

    ctx.open_database()
    removed = stoplist.remove_phones(args.phones)
    print(f"removed {removed} phone(s) from the stop list")
    return 0


def run_list(args, ctx) -> int:
    from tui_notifier.clock import isoformat_z
    from tui_notifier.core import stoplist

    ctx.open_database()
    if args.count:
        print(stoplist.count_stopped())
        return 0
    entries = stoplist.list_stopped(args.phone, limit=args.limit)
    rows = [{"phone": e.phone, "reason": e.reason, "since": isoformat_z(e.created_at)} for e in entries]
    if args.json:
        print_json(rows)
    else:
        print_table(["phone", "since", "reason"], [[r["phone"], r["since"], r["reason"]] for r in rows])
    return 0


def run_load(args, ctx) -> int:
    from tui_notifier.core import stoplist

    ctx.open_database()
    result = stoplist.load_stoplist_file(args.file, args.reason)
    for error in result.errors:
        print(error, file=sys.stderr)
    if result.errors:
        raise Failure(f"{args.file}: {len(result.errors)} bad line(s), nothing was stopped")
    if args.json:
        print_json({k: v for k, v in vars(result).items() if k != "errors"})
    else:
        print(_said(result.added, result.already, result.cancelled))
    return 0
