"""Benchmark: the HTTP API on waitress, next to a bare Falcon endpoint on the same server.

    python bench/api.py [--messages 1000000] [--clients 4000] [--threads 8] [--reports 400]

Builds the reports benchmark's database (`reports.build`: 1,000,000 messages in 20
dispatches), makes a token, then starts `serve` mode of this script in a subprocess: the
project's own app (token auth, the per-request database connection) on waitress with 8
threads, plus `/bench/bare`, a Falcon endpoint doing no work behind the same middleware.
From 8 client threads, each on its own keep-alive connection, it times in the same run:

- GET /bench/bare (the baseline, requests per second),
- POST /api/v1/clients/ creating `--clients` new clients (clients per second),
- GET /api/v1/dispatch-reports/ over every message (reports per second),

and prints each figure, the baseline and the ratio, and next to each the server's CPU time per
request (user and system, from /proc) and its ratio to the bare endpoint's: on a machine others
share, their load moves a rate far more than the CPU a request takes. Targets: 1,000 clients/s
and 0.5x the bare endpoint. Exits 1 when the clients target is missed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_CLIENTS_PER_S = 1000.0
TARGET_RATIO = 0.5
BARE = "/bench/bare"


def serve(db: str, threads: int) -> None:
    """The server side, in its own process: the API plus the bare endpoint."""
    from tui_notifier.api.app import ApiOptions, make_app
    from tui_notifier.api.server import make_server, serve as run
    from tui_notifier.db import close_database, open_database

    open_database(db, pool=threads)
    close_database()

    class Bare:
        public = True

        def on_get(self, req, resp):
            resp.media = {}

    options = ApiOptions(auth=True)
    app = make_app(options)
    app.add_route(BARE, Bare())
    server = make_server("127.0.0.1", 0, threads, options, app=app)
    print(server.effective_port, flush=True)
    run(server)


def hammer(port: int, threads: int, requests: list[tuple[str, str, bytes | None]], headers: dict) -> tuple[float, int]:
    """Send every request from `threads` keep-alive connections; (seconds, failures)."""
    lock = threading.Lock()
    position = iter(range(len(requests)))
    failures = [0]

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            method, path, body = requests[index]
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status >= 300:
                with lock:
                    failures[0] += 1
        conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - started, failures[0]


def cpu_meter(pid: int):
    """A function giving the CPU seconds (user and system) process `pid` spent since its last call:
    on a machine others share, a figure their load moves far less than a rate."""
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    last = [used()]

    def spent() -> float:
        now = used()
        since, last[0] = now - last[0], now
        return since

    return spent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--dispatches", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4000, help="clients to create through the API")
    parser.add_argument("--bare", type=int, default=8000, help="requests to the bare endpoint")
    parser.add_argument("--reports", type=int, default=400, help="report requests")
    parser.add_argument("--threads", type=int, default=8, help="client threads and server threads")
    parser.add_argument("--serve", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.threads)
        return 0

    sys.path.insert(0, str(Path(__file__).parent))
    from reports import build

    from tui_notifier.core import tokens
    from tui_notifier.db import close_database

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        db = Path(tmp) / "api.db"
        built = build(db, args.messages, args.dispatches)
        token = tokens.create_token("bench")[1]
        close_database()
        print(f"built {args.messages:,} messages over {args.dispatches} dispatches in {built:.1f} s")
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(db), "--threads", str(args.threads)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline())
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
            hammer(port, args.threads, [("GET", BARE, None)] * 200, headers)
            spent = cpu_meter(server.pid)
            bare_s, bare_bad = hammer(port, args.threads, [("GET", BARE, None)] * args.bare, headers)
            bare_cpu = spent()
            creates = [("POST", "/api/v1/clients/",
                        json.dumps({"phone": f"795{n:08d}", "tag": "bench"}).encode())
                       for n in range(args.clients)]
            clients_s, clients_bad = hammer(port, args.threads, creates, headers)
            clients_cpu = spent()
            reports_s, reports_bad = hammer(port, args.threads,
                                            [("GET", "/api/v1/dispatch-reports/", None)] * args.reports, headers)
            reports_cpu = spent()
        finally:
            server.terminate()
            server.wait(30)

    bare_rate = args.bare / bare_s
    clients_rate = args.clients / clients_s
    reports_rate = args.reports / reports_s
    bare_us = bare_cpu * 1e6 / args.bare
    print(f"\nbaseline  GET {BARE} (no work, same middleware): {bare_rate:8.0f} req/s"
          f"  ({args.bare} requests, {bare_bad} failed)  server CPU {bare_us:5.0f} us/request")
    for name, rate, bad, count, cpu in (
            ("POST /api/v1/clients/", clients_rate, clients_bad, args.clients, clients_cpu),
            ("GET /api/v1/dispatch-reports/", reports_rate, reports_bad, args.reports, reports_cpu)):
        us = cpu * 1e6 / count
        print(f"{name:32s} {rate:8.1f} /s  ratio {rate / bare_rate:5.2f}x  ({count} requests, {bad} failed)"
              f"  server CPU {us:5.0f} us/request, ratio {bare_us / us:4.2f}x")
    verdict = "ok" if clients_rate >= TARGET_CLIENTS_PER_S else "MISSED"
    print(f"\nclients with {args.threads} threads: {clients_rate:.0f}/s (target {TARGET_CLIENTS_PER_S:.0f}/s: "
          f"{verdict}); target ratio {TARGET_RATIO}x the bare endpoint")
    return 0 if clients_rate >= TARGET_CLIENTS_PER_S and not (clients_bad or reports_bad or bare_bad) else 1


if __name__ == "__main__":
    sys.exit(main())
