"""What the status counters cost sending: the send benchmark with them and without them.

The end-to-end run of `bench/send.py` (a real consumer process, default settings, the probe
gateway against the emulator on loopback, dispatch created -> last message accepted), once with
the consumer as it is and once started through `bench/without_counters.py`, which makes the
counters' upkeep do nothing in that process alone. The two alternate (with, without, with,
without, ...) in one run, so the machine's other load falls on both alike; each run starts
from an empty database. At 0 and 20 ms emulator latency, on SQLite and (when its binaries are
here) on a private PostgreSQL server. For each: the rate and the consumer's CPU-seconds per
10,000 messages (median and range) with and without, and the ratio with/without: of the
medians, and of each pair of runs side by side (median and range).

Every run is checked: without, the counters table stays empty; with, the counters equal the
GROUP BY over the messages (every message `sent`).

    python bench/counters.py [--messages N] [--rounds N] [--latencies 0,20] [--sqlite-only]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import servers  # noqa: E402
from harness import PROGRAM, EmulatorProcess  # noqa: E402
from send import TOKEN, engine  # noqa: E402
from tui_notifier import counts  # noqa: E402
from tui_notifier.models import DispatchCount  # noqa: E402

WITHOUT = (sys.executable, str(Path(__file__).resolve().parent / "without_counters.py"))
MODES = {"with": PROGRAM, "without": WITHOUT}


def check_with(count: int) -> None:
    wrong = counts.verify()
    got = counts.read()
    if wrong or list(got.values()) != [{"sent": count}]:
        raise SystemExit(f"the counters disagree with the messages: {got} {wrong}")


def check_without(count: int) -> None:
    rows = DispatchCount.select().count()
    if rows:
        raise SystemExit(f"the run without counters wrote {rows} counter rows")


CHECKS = {"with": check_with, "without": check_without}


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):,.{digits}f} [{min(values):,.{digits}f}-{max(values):,.{digits}f}]"


def compare(emulator: EmulatorProcess, workdir: Path, backend: str, new_database, latency: int,
            messages: int, rounds: int) -> dict:
    """Alternate runs with and without counters; their figures and the ratios."""
    emulator.faults(latency_ms=latency)
    figures: dict = {mode: {"rate": [], "cpu": []} for mode in MODES}
    for n in range(rounds):
        for mode, program in MODES.items():
            rate, cpu, _ = engine(emulator, workdir / f"{backend}-{latency}-{n}-{mode}", messages, {},
                                  database=new_database(), program=program, check=CHECKS[mode])
            figures[mode]["rate"].append(rate)
            figures[mode]["cpu"].append(cpu)
    with_, without = figures["with"], figures["without"]
    ratios = {what: statistics.median(with_[what]) / statistics.median(without[what]) for what in ("rate", "cpu")}
    paired = {what: [a / b for a, b in zip(with_[what], without[what])] for what in ("rate", "cpu")}
    print(f"{backend:<10} {latency:>3} ms, {messages:,} msgs x {rounds}: "
          f"with {spread(with_['rate'], 0)} msg/s, {spread(with_['cpu'], 2)} CPU-s/10k; "
          f"without {spread(without['rate'], 0)} msg/s, {spread(without['cpu'], 2)} CPU-s/10k; "
          f"ratio with/without of the medians: rate {ratios['rate']:.3f}, CPU {ratios['cpu']:.3f}; "
          f"of each pair: rate {spread(paired['rate'], 3)}, CPU {spread(paired['cpu'], 3)}  ({load()})", flush=True)
    return {"database": backend, "latency_ms": latency, "messages": messages, "rounds": rounds,
            **{f"{mode}_{what}": [round(v, 3 if what == "cpu" else 1) for v in values]
               for mode, values_by in figures.items() for what, values in values_by.items()},
            "rate_ratio": round(ratios["rate"], 3), "cpu_ratio": round(ratios["cpu"], 3),
            "paired_rate_ratio": round(statistics.median(paired["rate"]), 3),
            "paired_cpu_ratio": round(statistics.median(paired["cpu"]), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages per run (default 10,000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs with and without each (default 5)")
    parser.add_argument("--latencies", default="0,20", help="emulator latencies in ms (default 0,20)")
    parser.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    args = parser.parse_args()
    latencies = [int(v) for v in args.latencies.split(",")]
    print(f"start: {load()}", flush=True)
    rows = []
    postgres = None
    with tempfile.TemporaryDirectory(prefix="bench-counters-") as tmp:
        emulator = EmulatorProcess("--token", TOKEN)
        try:
            backends = {"sqlite": lambda: None}
            if not args.sqlite_only:
                try:
                    postgres = servers.start_postgres()
                except (FileNotFoundError, OSError) as exc:
                    print(f"PostgreSQL left out: {exc}")
                else:
                    made = iter(range(1_000_000))
                    backends["postgresql"] = lambda: servers.create_database(postgres, f"bench{next(made)}")
            for backend, new_database in backends.items():
                for latency in latencies:
                    rows.append(compare(emulator, Path(tmp), backend, new_database, latency,
                                        args.messages, args.rounds))
        finally:
            emulator.stop()
            if postgres is not None:
                postgres.stop()
    print(json.dumps({"runs": rows}))


if __name__ == "__main__":
    main()
