"""`tui-notifier web`: the dashboard in a browser, one dashboard process per tab."""
from __future__ import annotations

import importlib.util
import sys
from urllib.parse import urlsplit


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "web", help="serve the dashboard to web browsers",
        description="Serve the dashboard over HTTP (needs the [web] extra). Every browser tab gets "
                    "its own dashboard process, which never runs an embedded consumer: run "
                    "`tui-notifier consumer` to send. There is no login: by default only this "
                    "machine can connect.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; any other needs --public-url)")
    p.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--public-url", metavar="URL",
                   help="the http(s) address browsers open, e.g. https://dash.example.org; required "
                        "to listen on an address other machines can reach")
    p.set_defaults(handler=run, parser=p)


def _port(text: str) -> int:
    from tui_notifier.cli.output import count_arg

    return count_arg(1, 65535)(text)


def run(args, ctx) -> int:
    from tui_notifier.cli import Failure
    from tui_notifier.tui.web import is_loopback, serve

    if not is_loopback(args.host) and not args.public_url:
        args.parser.error(f"--host {args.host} lets other machines in and the dashboard has no login; "
                          "give --public-url URL (the address browsers open) to serve it anyway")
    if args.public_url:
        url = urlsplit(args.public_url)
        if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/"):
            args.parser.error(f"--public-url must be http(s)://HOST[:PORT], got {args.public_url!r}")
        print(f"tui-notifier: warning: there is no login: anyone who can open {args.public_url} "
              "can read and change the client directory and every dispatch", file=sys.stderr, flush=True)
    if importlib.util.find_spec("textual_serve") is None:
        raise Failure("the web dashboard needs textual-serve: pip install 'tui_notifier[web]'")
    ctx.open_database()  # a database the dashboards cannot open fails here, in one line, not in each tab
    source = ctx.config.source
    config_path = None if source.startswith("(") else source
    try:
        serve(config_path, args.host, args.port, public_url=args.public_url.rstrip("/") if args.public_url else None)
    except OSError as exc:
        raise Failure(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
