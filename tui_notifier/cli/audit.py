"""`tui-notifier audit`: who changed what, through which face, and when."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("audit", help="every write through any face, newest first",
                              description="List the audit trail: when, who (OS user, or the API "
                                          "token's name), which face, what, on which object.")
    p.add_argument("--since", metavar="ISO", type=_instant,
                   help="only entries at or after this time (ISO 8601; without an offset, UTC)")
    p.add_argument("--limit", type=int, default=None, help="at most this many (default: all)")
    p.add_argument("--json", action="store_true", help="a JSON list with every field")
    p.set_defaults(handler=run)


def _instant(text: str):
    from tui_notifier.core.dispatches import parse_instant
    from tui_notifier.core.errors import ValidationError

    try:
        return parse_instant(text, "UTC", "since")
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def run(args, ctx) -> int:
    from tui_notifier.cli.dispatches import one_line
    from tui_notifier.cli.output import print_json, print_table
    from tui_notifier.core import audit

    ctx.open_database()
    entries = audit.list_entries(since=args.since, limit=args.limit)
    if args.json:
        print_json([audit.entry_json(e) for e in entries])
        return 0
    rows = [audit.entry_json(e) for e in entries]
    print_table(["at", "who", "face", "action", "object", "detail"],
                [[r["at"], r["actor"], r["face"], r["action"],
                  f"{r['object_type']} {r['object_id']}".strip(), one_line(r["detail"], 60)] for r in rows])
    return 0
