"""`tui-notifier tokens create|list|revoke`: credentials of the HTTP API."""
from __future__ import annotations

from tui_notifier.cli.output import print_json, print_table


def register(subparsers) -> None:
    tokens = subparsers.add_parser("tokens", help="tokens of the HTTP API",
                                   description="Make, list and revoke tokens of the HTTP API. Only a "
                                               "token's hash is stored: it is printed once, at creation.")
    commands = tokens.add_subparsers(dest="tokens_command", metavar="COMMAND", required=True)
    p = commands.add_parser("create", help="make a token and print it once")
    p.add_argument("name", help="who uses it; the audit names its writes after it")
    p.add_argument("--read-only", action="store_true", help="it may read but not change anything")
    p.set_defaults(handler=run_create)
    p = commands.add_parser("list", help="the tokens by name (never their text)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_list)
    p = commands.add_parser("revoke", help="delete a token: requests with it get 401 at once")
    p.add_argument("name")
    p.set_defaults(handler=run_revoke)


def run_create(args, ctx) -> int:
    from tui_notifier.core import tokens

    ctx.open_database()
    _token, text = tokens.create_token(args.name, read_only=args.read_only)
    print(text)
    return 0


def run_list(args, ctx) -> int:
    from tui_notifier.clock import isoformat_z
    from tui_notifier.core import tokens

    ctx.open_database()
    rows = [{"name": t.name, "read_only": t.read_only, "created_at": isoformat_z(t.created_at),
             "last_used_at": isoformat_z(t.last_used_at)} for t in tokens.list_tokens()]
    if args.json:
        print_json(rows)
    else:
        print_table(["name", "access", "created", "last used"],
                    [[r["name"], "read-only" if r["read_only"] else "read-write", r["created_at"],
                      r["last_used_at"] or "never"] for r in rows])
    return 0


def run_revoke(args, ctx) -> int:
    from tui_notifier.core import tokens

    ctx.open_database()
    tokens.revoke_token(args.name)
    print(f"revoked {args.name}")
    return 0
