"""Fan-out: a dispatch to 1,000,000 matching clients gets its message rows, beside a bare INSERT.

    python bench/fanout.py [--clients 1000000] [--repeat 3]

Builds a SQLite database of N clients through the real `open_database` (the client fill is
bench/tui.py's), copies it, and in each copy creates one dispatch matching every client.
Times `delivery.store.messages.fan_out` (what the consumer runs when the dispatch starts: one
`INSERT … SELECT`, then the dispatch becomes `running`) in one copy, and the bare
`INSERT … SELECT` of the same rows through the `sqlite3` module in the other, as the
baseline. Best of `--repeat` (each repeat in fresh copies). Target: under 5 s at 1,000,000.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tui as tui_bench  # noqa: E402  (bench/tui.py: the fast client fill)

from tui_notifier.clock import utcnow  # noqa: E402
from tui_notifier.delivery.store import messages  # noqa: E402
from tui_notifier.core.dispatches import create_dispatch  # noqa: E402
from tui_notifier.db import close_database, database, open_database  # noqa: E402
from tui_notifier.models import Message, to_millis  # noqa: E402

TARGET_S = 5.0
FULL_SIZE = 1_000_000

BARE_INSERT = (
    "INSERT INTO message (dispatch_id, client_id, phone, timezone, status, attempts, next_attempt_at, "
    "created_at, last_error) SELECT ?, id, phone, timezone, 'created', 0, ?, ?, '' FROM client"
)


def engine_fan_out(path: Path) -> tuple[float, int]:
    open_database(str(path))
    try:
        now = utcnow()
        d = create_dispatch(now - _dt.timedelta(seconds=1), now + _dt.timedelta(hours=1), "Sale", now=now)
        started = time.perf_counter()
        result = messages.fan_out(d.id, now=now)
        elapsed = time.perf_counter() - started
        assert result.created == Message.select().count()
        return elapsed, result.created
    finally:
        close_database()


def bare_fan_out(path: Path) -> tuple[float, int]:
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        now = to_millis(utcnow())
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        created = conn.execute(BARE_INSERT, ("0" * 32, now, now)).rowcount
        conn.execute("COMMIT")
        return time.perf_counter() - started, created
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=FULL_SIZE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        source = Path(tmp) / "clients.db"
        started = time.perf_counter()
        open_database(str(source))
        tui_bench.add_clients(args.clients)
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        close_database()
        print(f"built {args.clients:,} clients in {time.perf_counter() - started:.1f} s")

        engine_s, bare_s = [], []
        for i in range(args.repeat):
            for runner, times in ((engine_fan_out, engine_s), (bare_fan_out, bare_s)):
                copy = Path(tmp) / f"run-{i}-{runner.__name__}.db"
                shutil.copyfile(source, copy)
                elapsed, created = runner(copy)
                assert created == args.clients, (runner.__name__, created)
                times.append(elapsed)
                copy.unlink()

    engine, bare = min(engine_s), min(bare_s)
    full = args.clients >= FULL_SIZE
    verdict = ("ok" if engine < TARGET_S else "MISSED") if full else "not judged below full size"
    print(f"fan-out of {args.clients:,} messages, best of {args.repeat}:")
    print(f"  delivery.store.messages.fan_out      {engine:6.2f} s   {args.clients / engine:10,.0f} rows/s"
          f"   (target {TARGET_S:g} s: {verdict})")
    print(f"  bare INSERT … SELECT      {bare:6.2f} s   {args.clients / bare:10,.0f} rows/s")
    print(f"  ratio fan_out / bare      {engine / bare:6.2f}x")
    return 1 if full and engine >= TARGET_S else 0


if __name__ == "__main__":
    sys.exit(main())
