"""`tui-notifier consumer`: the delivery engine in the foreground."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "consumer", help="run the delivery engine in the foreground",
        description="Run the Huey consumer that sends due messages. Logs go to stderr and to "
                    "logging.file; SIGTERM or Ctrl-C finishes the requests in flight and exits 0.")
    p.add_argument("--workers", type=int, metavar="N",
                   help="Huey worker threads (default: consumer.workers)")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from tui_notifier.delivery.logs import setup_logging
    from tui_notifier.delivery.runtime import ConsumerRuntime

    if args.workers is not None and args.workers < 1:
        from tui_notifier.cli import Failure

        raise Failure("--workers must be at least 1")
    setup_logging(ctx.config, stderr=True)
    ctx.open_database(wake_engine=True)
    ConsumerRuntime(ctx.config, kind="external", workers=args.workers).run()
    return 0
