"""`tui-notifier consumer`: the delivery engine in the foreground."""
from __future__ import annotations

from tui_notifier.cli.output import count_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "consumer", help="run the delivery engine in the foreground",
        description="Run the Huey consumer that sends due messages. Logs go to stderr and to "
                    "logging.file; SIGTERM or Ctrl-C finishes the requests in flight and exits 0.")
    p.add_argument("--workers", type=count_arg(1), metavar="N",
                   help="Huey worker threads (default: consumer.workers)")
    p.add_argument("--metrics-port", type=count_arg(0, 65535), metavar="N",
                   help="serve Prometheus metrics on this port (needs the [metrics] extra)")
    p.add_argument("--metrics-addr", default="127.0.0.1", metavar="ADDR",
                   help="address the metrics server binds to (default 127.0.0.1; 0.0.0.0 for all)")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from tui_notifier.cli import Failure
    from tui_notifier.delivery.consumer import Consumer
    from tui_notifier.delivery.logs import setup_logging

    setup_logging(ctx.config, stderr=True)
    ctx.open_database(wake_engine=True)
    metrics = None
    if args.metrics_port is not None:
        metrics = _serve_metrics(ctx, args.metrics_port, args.metrics_addr, Failure)
    Consumer(ctx.config, kind="external", workers=args.workers, metrics=metrics).run()
    _leave()
    return 0


def _leave() -> None:
    """Exit at once, everything being written and closed: tearing the interpreter's modules
    down would cost a busy machine half a second of the `gateway.timeout` + 2 s a stop may take."""
    import logging
    import os
    import sys

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _serve_metrics(ctx, port: int, addr: str, failure):
    import logging

    from tui_notifier.delivery.metrics import Metrics, MetricsError
    from tui_notifier.delivery.queue import make_huey, queue_identity

    try:
        metrics = Metrics(make_huey(ctx.config), queue_identity(ctx.config))
        bound = metrics.serve(port, addr)
    except MetricsError as exc:
        raise failure(str(exc)) from None
    logging.getLogger("tui_notifier.consumer").info("metrics at http://%s:%d/metrics", addr, bound)
    return metrics
