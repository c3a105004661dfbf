"""Scale-out: throughput of 1, 2 and 3 consumers sharing a Redis queue and a PostgreSQL database.

Each run gets a fresh database and queue on the same private servers (started from the
system's `redis-server` and PostgreSQL binaries, as the tests do), 20,000 clients, the
emulator answering in 50 ms and every consumer at the same fixed concurrency. Timed from
creating the dispatch to the emulator having accepted every message. The one-consumer run is
the baseline; prints each rate, its ratio to one consumer, and the repeats.
Target: 2 consumers at least 1.6x one.

The default concurrency (16) keeps each consumer bound by the gateway's latency, which is
what scaling out is for. On a small machine where the consumers, the emulator, Redis and
PostgreSQL share two cores, a higher one measures the CPU instead (`--concurrency 32`).

    python bench/scale.py [--clients N] [--latency-ms MS] [--concurrency N] [--consumers 1,2,3]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import servers  # noqa: E402

from tui_notifier.clock import utcnow  # noqa: E402
from tui_notifier.core.dispatches import create_dispatch  # noqa: E402
from tui_notifier.db import close_database, open_database  # noqa: E402
from tui_notifier.delivery.queue import connect, disconnect  # noqa: E402
from harness import (ConsumerProcess, EmulatorProcess, add_clients,  # noqa: E402
                                           wait_for, write_config)

TEXT = "Your order has shipped"
TARGET_TWO = 1.6


def run(n: int, args, pg, redis, workdir: Path) -> tuple[float, dict]:
    """Messages per second of `n` consumers, and the emulator's account of what it accepted."""
    name = f"bench_scale_{n}_{uuid.uuid4().hex[:8]}"
    emulator = EmulatorProcess("--latency-ms", str(args.latency_ms), log_path=workdir / f"emulator-{n}.log")
    config_path = workdir / f"config-{n}.yaml"
    config = write_config(config_path, {
        "database": servers.create_database(pg, name),
        "queue": {"backend": "redis", "url": redis.url, "name": name},
        "gateway": {"kind": "probe", "url": emulator.url, "token": "bench-token"},
        "sending": {"concurrency": args.concurrency},
    })
    open_database(config.database_url)
    add_clients(args.clients)
    connect(config)
    consumers = [ConsumerProcess(config_path, workdir / f"consumer-{n}-{i}.log") for i in range(n)]
    try:
        for consumer in consumers:
            consumer.wait_ready()
        started = time.perf_counter()
        create_dispatch(utcnow(), utcnow() + _dt.timedelta(hours=1), TEXT)
        wait_for(lambda: emulator.stats()["accepted"] >= args.clients, timeout=900, interval=0.05,
                 what="every message accepted")
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        return args.clients / elapsed, emulator.stats()
    finally:
        for consumer in consumers:
            consumer.terminate()
        emulator.stop()
        disconnect()
        close_database()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=16, help="sending.concurrency of each consumer")
    parser.add_argument("--consumers", default="1,2,3", help="comma-separated consumer counts; 1 comes first")
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.consumers.split(",")} | {1})

    pg, redis = servers.start_postgres(), servers.start_redis()
    rates, repeats = {}, {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            for n in counts:
                rate, stats = run(n, args, pg, redis, Path(tmp))
                rates[n], repeats[n] = rate, len(stats["repeats"])
                if stats["accepted"] != args.clients:
                    print(f"{n} consumers: accepted {stats['accepted']} of {args.clients}", file=sys.stderr)
    finally:
        redis.stop()
        pg.stop()

    print(f"clients {args.clients}, emulator latency {args.latency_ms:g} ms, concurrency "
          f"{args.concurrency} per consumer, Redis queue, PostgreSQL database")
    for n in counts:
        print(f"{n} consumer{'s' if n > 1 else ' '}: {rates[n]:8.0f} msg/s   ratio to one: "
              f"{rates[n] / rates[1]:.2f}   repeats {repeats[n]}")
    ideal = 1000 / args.latency_ms * args.concurrency
    print(f"(one consumer's ceiling at this latency and concurrency: {ideal:.0f} msg/s)")
    print(json.dumps({"rates": {n: round(r) for n, r in rates.items()},
                      "ratios": {n: round(rates[n] / rates[1], 3) for n in counts},
                      "repeats": repeats}))
    missed = 2 in rates and rates[2] / rates[1] < TARGET_TWO
    if missed:
        print(f"target missed: 2 consumers at {rates[2] / rates[1]:.2f}x one (target {TARGET_TWO}x)")
    return 1 if missed or any(repeats.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
