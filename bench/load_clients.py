"""Benchmark: `tui-notifier clients load` of N clients against a bare C-YAML parse of the same file.

    python bench/load_clients.py [--n 100000]

Makes a YAML file of N clients (every common phone form, tags, time zones, some operator
codes), loads it into a fresh SQLite database through the real command line (Python start-up
and imports included), then loads it again (every phone already present: all updates), and
times `yaml.load(f, Loader=yaml.CSafeLoader)` of the same file as the baseline.
Targets: the first load under 10 s for 100,000 clients (scaled for other N), and within
2x the bare parse.
Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import gc
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TARGET_SECONDS = 10.0
TARGET_RATIO = 2.0
TIMEZONES = ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "UTC", "Europe/Samara",
             "Asia/Vladivostok")


def make_file(path: Path, n: int) -> None:
    """N clients under a `clients:` key, phones in the four common forms."""
    lines = ["clients:\n"]
    for i in range(n):
        digits = str(79000000000 + i)
        form = i % 4
        if form == 0:
            phone = digits
        elif form == 1:
            phone = f'"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:]}"'
        elif form == 2:
            phone = f'"8 ({digits[1:4]}) {digits[4:]}"'
        else:
            phone = f'"{digits}"'
        lines.append(f"  - phone: {phone}\n    tag: group-{i % 50}\n    timezone: {TIMEZONES[i % len(TIMEZONES)]}\n")
        if i % 3 == 0:
            lines.append(f"    operator_code: '{digits[1:4]}'\n")
    path.write_text("".join(lines), encoding="utf-8")


def bare_parse(path: Path, collector: bool = True) -> float:
    """Seconds for one `yaml.load` with the C loader; `collector=False` pauses the cyclic GC."""
    if not collector:
        gc.disable()
    try:
        started = time.perf_counter()
        with open(path, "rb") as f:
            data = yaml.load(f, Loader=yaml.CSafeLoader)
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    del data
    gc.collect()
    return elapsed


def cli_load(config: Path, path: Path) -> float:
    """Seconds for `python -m tui_notifier --config CONFIG clients load FILE`, start-up included."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tui_notifier", "--config", str(config), "clients", "load", str(path)],
        capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"clients load failed ({done.returncode}):\n{done.stderr}")
    print(f"  cli: {done.stdout.strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="clients in the file (default 100000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        tmp = Path(tmp)
        yaml_path = tmp / "clients.yaml"
        db_path = tmp / "bench.db"
        config = tmp / "config.yaml"
        config.write_text(f"database: {db_path}\nqueue:\n  path: {tmp / 'queue.db'}\n", encoding="utf-8")

        make_file(yaml_path, args.n)
        size_mb = yaml_path.stat().st_size / 1e6
        print(f"{args.n:,} clients, {size_mb:.1f} MB of YAML")

        first = cli_load(config, yaml_path)
        with sqlite3.connect(db_path) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM client").fetchone()[0]
        if rows != args.n:
            sys.exit(f"expected {args.n} clients in the database, found {rows}")
        again = cli_load(config, yaml_path)
        parse = bare_parse(yaml_path)
        parse_no_gc = bare_parse(yaml_path, collector=False)

    ratio = first / parse
    print(f"clients load, fresh database     {first:7.2f} s  ({args.n / first:,.0f} clients/s)")
    print(f"clients load, all phones present {again:7.2f} s")
    print(f"bare yaml.load (CSafeLoader)     {parse:7.2f} s")
    print(f"bare yaml.load, cyclic GC paused {parse_no_gc:7.2f} s")
    print(f"ratio load / bare parse          {ratio:7.2f}x  (against the GC-paused parse: "
          f"{first / parse_no_gc:.2f}x)")

    scaled_target = TARGET_SECONDS * args.n / 100_000
    ok = first < scaled_target and ratio <= TARGET_RATIO
    print(f"targets: < {scaled_target:.1f} s and <= {TARGET_RATIO:.0f}x bare parse: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
