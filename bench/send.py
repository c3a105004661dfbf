"""Sending throughput: the engine against a bare pool of `requests` threads.

20,000 clients, the emulator answering in 20 ms, default settings (probe gateway). Timed
from creating the dispatch to the emulator having accepted every message. The baseline, in
the same run and against the same emulator: 32 threads with a `requests.Session` each,
posting the same 20,000 bodies. Prints both rates, the ratio, and the repeats.

    python bench/send.py [--clients N] [--latency-ms MS]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tui_notifier.clock import utcnow
from tui_notifier.core.dispatches import create_dispatch
from tui_notifier.db import close_database, open_database
from tui_notifier.delivery import service
from tui_notifier.delivery.harness import ConsumerProcess, EmulatorProcess, add_clients, wait_for, write_config

TEXT = "Your order has shipped"


def baseline(url: str, count: int, threads: int = 32, trust_env: bool = True) -> float:
    """Messages per second of a bare thread pool, one requests.Session per thread."""
    local = threading.local()

    def post(i: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.trust_env = trust_env
        phone = 79000000000 + i
        response = session.post(f"{url}/send/{i}", json={"id": i, "phone": phone, "text": TEXT}, timeout=10)
        assert response.status_code == 200 and response.json()["code"] == 0

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, range(1, count + 1)))
    return count / (time.perf_counter() - started)


def engine(emulator: EmulatorProcess, workdir: Path, count: int) -> tuple[float, dict]:
    config = write_config(workdir / "config.yaml", {
        "database": str(workdir / "bench.db"),
        "queue": {"path": str(workdir / "queue.db")},
        "gateway": {"kind": "probe", "url": emulator.url, "token": "bench-token"},
    })
    open_database(config.database_url)
    add_clients(count)
    service.connect(config)
    consumer = ConsumerProcess(workdir / "config.yaml", workdir / "consumer.log")
    try:
        consumer.wait_ready()
        started = time.perf_counter()
        create_dispatch(utcnow(), utcnow() + _dt.timedelta(hours=1), TEXT)
        wait_for(lambda: emulator.stats()["accepted"] >= count, timeout=600, interval=0.05,
                 what="every message accepted")
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        return count / elapsed, emulator.stats()
    finally:
        consumer.terminate()
        close_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        workdir = Path(tmp)
        emulator = EmulatorProcess("--latency-ms", str(args.latency_ms))
        try:
            base = baseline(emulator.url, args.clients)
            tuned = baseline(emulator.url, args.clients, trust_env=False)
            emulator.reset()
            rate, stats = engine(emulator, workdir, args.clients)
        finally:
            emulator.stop()
    repeats = len(stats["repeats"])
    print(f"clients {args.clients}, emulator latency {args.latency_ms:g} ms, default settings")
    print(f"baseline  (32 threads, default requests.Session each): {base:8.0f} msg/s")
    print(f"baseline  (same, Session with trust_env=False):        {tuned:8.0f} msg/s")
    print(f"engine    (create dispatch -> all accepted):           {rate:8.0f} msg/s")
    print(f"ratio engine/baseline: {rate / base:.2f}   engine/tuned baseline: {rate / tuned:.2f}")
    print(f"accepted {stats['accepted']}, repeats {repeats}")
    print(json.dumps({"baseline": round(base), "baseline_tuned": round(tuned), "engine": round(rate),
                      "ratio": round(rate / base, 3), "ratio_tuned": round(rate / tuned, 3),
                      "repeats": repeats}))


if __name__ == "__main__":
    main()
