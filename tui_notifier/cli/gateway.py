"""`tui-notifier sandbox-gateway`: a local stand-in for the probe and hyber APIs, with faults."""
from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sandbox-gateway", help="serve both provider APIs locally, with switchable faults",
        description="Serve the probe API (POST /send/ID) and the hyber API (POST /CLIENT_ID, "
                    "GET /CLIENT_ID/api/dr/...) on 127.0.0.1. GET /_emulator/stats shows what was "
                    "accepted (repeats of one message id included); POST /_emulator/faults with a "
                    "JSON object switches faults while it runs.")
    p.add_argument("--port", type=int, default=8800, help="port on 127.0.0.1 (0: any free port; default 8800)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="time to answer each send")
    p.add_argument("--fail-rate", type=float, default=0.0, help="share of sends answered 500/502/503")
    p.add_argument("--malformed-rate", type=float, default=0.0,
                   help="share of accepted sends answered 200 with a broken body")
    p.add_argument("--hang-rate", type=float, default=0.0, help="share of sends never answered")
    p.add_argument("--hang-seconds", type=float, default=30.0, help="how long a hanging send hangs")
    p.add_argument("--down-for", type=float, default=0.0, metavar="SECONDS",
                   help="refuse every connection for this long after starting")
    p.add_argument("--token", default="", help="probe: the Bearer token required (default: none)")
    p.add_argument("--login", default="", help="hyber: the Basic auth login required (default: none)")
    p.add_argument("--password", default="", help="hyber: the Basic auth password")
    p.add_argument("--dr-delay", type=float, default=2.0,
                   help="hyber: seconds after a send when its delivery report is final")
    p.add_argument("--undelivered-rate", type=float, default=0.0,
                   help="hyber: share of messages reported as not delivered")
    p.add_argument("--drip-rate", type=float, default=0.0,
                   help="share of accepted sends whose answer is sent a byte at a time")
    p.add_argument("--drip-seconds", type=float, default=0.5, help="seconds between two dripped bytes")
    p.add_argument("--throttle-rate", type=float, default=0.0,
                   help="share of sends answered 429 (or --throttle-status) with a Retry-After")
    p.add_argument("--throttle-status", type=int, choices=(429, 503), default=429,
                   help="the status of a throttled send (default 429)")
    p.add_argument("--retry-after", type=float, default=1.0, metavar="SECONDS",
                   help="the wait a throttled send's Retry-After asks for")
    p.add_argument("--retry-after-format", choices=("seconds", "date"), default="seconds",
                   help="Retry-After as a number of seconds or as an HTTP date")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the fault draws, so a run's faults repeat (default: random)")
    p.add_argument("--stats-file", metavar="PATH", help="write the final stats as JSON here on exit")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from tui_notifier.cli import Failure
    from tui_notifier.delivery.emulator import Emulator, Faults

    for name in ("fail_rate", "malformed_rate", "hang_rate", "undelivered_rate", "drip_rate", "throttle_rate"):
        value = getattr(args, name)
        if not 0 <= value <= 1:
            raise Failure(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
    faults = Faults(latency_ms=args.latency_ms, fail_rate=args.fail_rate,
                    malformed_rate=args.malformed_rate, hang_rate=args.hang_rate,
                    hang_seconds=args.hang_seconds, token=args.token, login=args.login,
                    password=args.password, dr_delay=args.dr_delay,
                    undelivered_rate=args.undelivered_rate, drip_rate=args.drip_rate,
                    drip_seconds=args.drip_seconds, throttle_rate=args.throttle_rate,
                    throttle_status=args.throttle_status, retry_after=args.retry_after,
                    retry_after_format=args.retry_after_format)
    if args.down_for:
        faults.update({"down_for": args.down_for})
    try:
        emulator = Emulator(args.port, faults, seed=args.seed)
    except OSError as exc:
        raise Failure(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    print(f"sandbox gateway listening on {emulator.url}", flush=True)
    print(f"  probe: gateway.url: {emulator.url}", flush=True)
    print(f"  hyber: gateway.url: {emulator.url}  gateway.dr_url: {emulator.url}", flush=True)
    print(f"  stats: GET {emulator.url}/_emulator/stats", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.socket.close()
        if args.stats_file:
            with open(args.stats_file, "w", encoding="utf-8") as fh:
                json.dump(emulator.stats.snapshot(with_ids=True), fh)
    print("sandbox gateway stopped", file=sys.stderr)
    return 0
