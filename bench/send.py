"""Sending throughput: the engine against a bare aiohttp client, at three gateway latencies.

One run, one emulator process (`tui-notifier sandbox-gateway`) on loopback:
1. the emulator's own capacity: a bare aiohttp client with 256 requests in flight at 0 ms
   (after a warm-up), the ceiling of every figure below;
2. at 0, 20 and 200 ms emulator latency, default settings (probe gateway): the end-to-end
   rate of a real consumer process (dispatch created -> last message accepted by the
   emulator) and its CPU-seconds per 10,000 messages, next to a bare aiohttp client with the
   same requests in flight (`sending.concurrency`) posting the same bodies, and the ratio;
3. 200 ms at concurrency 1,024 from one consumer, the same way.

With `--rounds N` every row is measured N times, the bare client and the engine taking turns,
and the medians are printed (a machine others share moves single figures by a third).

    python bench/send.py [--clients N] [--big-clients N] [--rounds N]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import PROGRAM, ConsumerProcess, EmulatorProcess, add_clients, wait_for, write_config  # noqa: E402
from tui_notifier.clock import utcnow  # noqa: E402
from tui_notifier.config import SendingConfig  # noqa: E402
from tui_notifier.core.dispatches import create_dispatch  # noqa: E402
from tui_notifier.db import close_database, open_database  # noqa: E402
from tui_notifier.delivery.queue import connect, disconnect  # noqa: E402
from tui_notifier.models import Message  # noqa: E402

TEXT = "Your order has shipped"
TOKEN = "bench-token"
CAPACITY_IN_FLIGHT = 256


def bare(url: str, count: int, in_flight: int) -> tuple[float, float]:
    """(messages per second, CPU-seconds per 10,000) of a bare aiohttp client: one session,
    `in_flight` requests at once, each a probe send of its own id."""

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=in_flight)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with aiohttp.ClientSession(connector=connector, headers=headers,
                                         cookie_jar=aiohttp.DummyCookieJar()) as session:
            ids = iter(range(1, count + 1))

            async def worker() -> None:
                for i in ids:
                    body = json.dumps({"id": i, "phone": 79000000000 + i, "text": TEXT}).encode()
                    async with session.post(f"{url}/send/{i}", data=body,
                                            headers={"Content-Type": "application/json"}) as response:
                        answer = await response.read()
                        assert response.status == 200 and json.loads(answer)["code"] == 0

            await asyncio.gather(*(worker() for _ in range(in_flight)))

    cpu, started = time.process_time(), time.perf_counter()
    asyncio.run(run())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return count / elapsed, cpu / count * 10_000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def engine(emulator: EmulatorProcess, workdir: Path, count: int, sending: dict,
           workers: int | None = None, database: str | None = None, program: tuple[str, ...] = PROGRAM,
           check: Callable[[int], None] | None = None) -> tuple[float, float, int]:
    """(messages per second, consumer CPU-seconds per 10,000, repeats) of one consumer started
    by `program`, on `database` (an empty one; by default a SQLite file in `workdir`);
    `check(count)` looks at the database once every result is recorded."""
    workdir.mkdir()
    config = write_config(workdir / "config.yaml", {
        "database": database or str(workdir / "bench.db"),
        "queue": {"path": str(workdir / "queue.db")},
        "gateway": {"kind": "probe", "url": emulator.url, "token": TOKEN},
        "sending": sending,
        "logging": {"level": "INFO"},
    })
    open_database(config.database_url)
    add_clients(count)
    connect(config)
    consumer = ConsumerProcess(workdir / "config.yaml", workdir / "consumer.log", workers=workers, program=program)
    try:
        consumer.wait_ready()
        emulator.reset()
        cpu = cpu_seconds(consumer.pid)
        started = time.perf_counter()
        create_dispatch(utcnow(), utcnow() + _dt.timedelta(hours=1), TEXT)
        wait_for(lambda: emulator.stats()["accepted"] >= count, timeout=900, interval=0.05,
                 what="every message accepted")
        elapsed = time.perf_counter() - started
        wait_for(lambda: Message.select().where(Message.status == "sent").count() >= count,
                 timeout=120, interval=0.1, what="every result recorded")
        cpu = cpu_seconds(consumer.pid) - cpu
        if check is not None:
            check(count)
        return count / elapsed, cpu / count * 10_000, len(emulator.stats()["repeats"])
    finally:
        consumer.terminate()
        disconnect()
        close_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000, help="messages per latency (default 10,000)")
    parser.add_argument("--big-clients", type=int, default=20_000,
                        help="messages of the 200 ms / 1,024 run (default 20,000)")
    parser.add_argument("--rounds", type=int, default=1, help="measurements of each row, medians printed (default 1)")
    args = parser.parse_args()
    default_in_flight = SendingConfig().concurrency
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        emulator = EmulatorProcess("--token", TOKEN)
        try:
            bare(emulator.url, 2_000, CAPACITY_IN_FLIGHT)
            capacity, _ = bare(emulator.url, 20_000, CAPACITY_IN_FLIGHT)
            print(f"emulator capacity: {capacity:,.0f} requests/s (bare aiohttp client, "
                  f"{CAPACITY_IN_FLIGHT} in flight, 0 ms)", flush=True)
            runs = [(latency, default_in_flight, args.clients, {}, None) for latency in (0, 20, 200)]
            runs.append((200, 1024, args.big_clients, {"concurrency": 1024, "batch_size": 512}, 4))
            for n, (latency, in_flight, count, sending, workers) in enumerate(runs):
                emulator.faults(latency_ms=latency)
                rounds = []
                for r in range(args.rounds):
                    emulator.reset()
                    base_rate, base_cpu = bare(emulator.url, count, in_flight)
                    rate, cpu, repeats = engine(emulator, Path(tmp) / f"run{n}.{r}", count, sending, workers)
                    rounds.append((rate, cpu, base_rate, base_cpu, rate / base_rate, repeats))
                    if args.rounds > 1:
                        print(f"     round {r + 1}: engine {rate:7,.0f} msg/s ({cpu:4.2f})  bare {base_rate:7,.0f} msg/s "
                              f"({base_cpu:4.2f})  ratio {rate / base_rate:4.2f}", flush=True)
                rate, cpu, base_rate, base_cpu, ratio = (statistics.median(r[i] for r in rounds) for i in range(5))
                repeats = sum(r[5] for r in rounds)
                row = {"latency_ms": latency, "in_flight": in_flight, "messages": count, "rounds": args.rounds,
                       "engine": round(rate), "bare": round(base_rate), "ratio": round(ratio, 2),
                       "engine_cpu_s_per_10k": round(cpu, 2), "bare_cpu_s_per_10k": round(base_cpu, 2),
                       "repeats": repeats}
                rows.append(row)
                print(f"{latency:>4} ms, {in_flight:>5} in flight, {count:>6} msgs: engine {rate:7,.0f} msg/s "
                      f"({cpu:4.2f} CPU-s/10k)  bare aiohttp {base_rate:7,.0f} msg/s ({base_cpu:4.2f} CPU-s/10k)"
                      f"  ratio {ratio:4.2f}  repeats {repeats}", flush=True)
        finally:
            emulator.stop()
    print(json.dumps({"emulator_capacity": round(capacity), "runs": rows}))


if __name__ == "__main__":
    main()
