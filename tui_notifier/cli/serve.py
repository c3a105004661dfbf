"""`tui-notifier serve`: the HTTP API in the foreground (extra `[api]`)."""
from __future__ import annotations

import importlib.util
import sys

from tui_notifier.cli.output import count_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="serve the HTTP API (seeds 000-003) in the foreground",
        description="Serve the HTTP API on waitress. Defaults come from the config's api: section. "
                    "SIGTERM or Ctrl-C answers the requests in flight and exits 0.")
    p.add_argument("--host", help="address to bind (default api.host, 127.0.0.1)")
    p.add_argument("--port", type=count_arg(0, 65535), help="port (default api.port, 8000; 0 picks a free one)")
    p.add_argument("--threads", type=count_arg(1), help="worker threads (default api.threads, 8)")
    p.add_argument("--no-auth", action="store_true",
                   help="serve without tokens (refused unless bound to a loopback address)")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from tui_notifier.cli import Failure

    if importlib.util.find_spec("falcon") is None or importlib.util.find_spec("waitress") is None:
        raise Failure("the HTTP API needs its extra: pip install 'tui_notifier[api]'")
    import logging

    from tui_notifier.api.app import ApiOptions
    from tui_notifier.api.server import ServeError, make_server, serve

    cfg = ctx.config.api
    host = args.host or cfg.host
    port = cfg.port if args.port is None else args.port
    options = ApiOptions(auth=not args.no_auth and cfg.auth == "token", max_body_size=cfg.max_body_size)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    threads = args.threads or cfg.threads
    ctx.open_database(wake_engine=True, pool=threads)
    try:
        server = make_server(host, port, threads, options)
    except ServeError as exc:
        raise Failure(str(exc)) from None

    def ready(server):
        shown = f"[{host}]" if ":" in host else host
        auth = "token auth" if options.auth else "NO AUTH"
        print(f"serving the API on http://{shown}:{server.effective_port}/api/v1/ ({auth}; "
              f"docs at /docs)", file=sys.stderr, flush=True)

    serve(server, on_ready=ready)
    print("stopped", file=sys.stderr, flush=True)
    return 0
