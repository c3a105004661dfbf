"""Benchmark: the reports over 10,000,000 messages in 200 dispatches, next to the bare GROUP BY.

    python bench/reports.py [--messages 10000000] [--dispatches 200] [--repeat 7] [--db PATH]

Builds a fresh SQLite database through the real `open_database` (so the tables and indexes are
the ones the models define), makes N/D clients (a recursive CTE) and D dispatches, then every
message with one `INSERT ... SELECT` over the clients crossed with the dispatches, its status
spread over every status (a different mix per dispatch). The message indexes are dropped for the
fill and made again from the models afterwards, which is faster than filling them row by row;
then the status counters are counted from the messages, as for a database an older version wrote.

Then it times, warm, the best of `--repeat` runs of
- `core.reports.all_reports()` (what the report of every dispatch, the CLI and the API read),
- `core.reports.dispatch_report(one)`,
- the Reports screen's background read behind its once-a-second refresh (`read_figures`, from
  the read before it, as the screen does): steady, while the dispatch in view changes, and
  while it changes on a read that also reads its most frequent errors again (every 5 s),
each next to bare SQL on the same table in the same run (see ALL_BASELINES and ONE_BASELINES:
the GROUP BY the reports ran before the counters), and prints the ratios and the targets
(20 ms, 2 ms and 10 ms at 10,000,000 messages). `--messages` smaller for a quick run.
Exits 1 when a target is missed at the full size.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core import reports
from tui_notifier.db import close_database, database, open_database
from tui_notifier.models import Dispatch, Message, MessageStatus, to_millis

TARGET_ALL_MS = 20.0
TARGET_ONE_MS = 2.0
TARGET_REFRESH_MS = 10.0
FULL_SIZE = 10_000_000
FULL_DISPATCHES = 200

# Share of messages in each status, in percent: a realistic mix where every status occurs.
STATUS_MIX = (
    (MessageStatus.CREATED, 10), (MessageStatus.SENDING, 2), (MessageStatus.SENT, 20),
    (MessageStatus.DELIVERED, 50), (MessageStatus.FAILED, 8), (MessageStatus.TIMEOUT, 6),
    (MessageStatus.CANCELLED, 4),
)


def status_case(bucket_sql: str) -> str:
    """A SQL CASE giving a status for a bucket 0..99, following STATUS_MIX."""
    parts, upper = [], 0
    for status, share in STATUS_MIX:
        upper += share
        parts.append(f"WHEN {bucket_sql} < {upper} THEN '{status}'")
    return "CASE " + " ".join(parts) + " END"


def build(path: Path, messages: int, dispatches: int) -> float:
    """Fill a fresh database; return the seconds it took."""
    started = time.perf_counter()
    open_database(str(path))
    clients = -(-messages // dispatches)
    now = utcnow()
    with database.atomic():
        database.execute_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO client (id, phone, operator_code, tag, timezone, attributes) "
            "SELECT i, printf('79%09d', i), printf('9%02d', i % 30), 'group-' || (i % 50), "
            "CASE i % 3 WHEN 0 THEN 'UTC' WHEN 1 THEN 'Europe/Moscow' ELSE 'Asia/Vladivostok' END, '{}' FROM n",
            (clients,),
        )
        Dispatch.insert_many([
            {"id": uuid.uuid4(), "start_at": now, "end_at": now, "message_text": f"Campaign {k}",
             "operator_codes": [], "tags": [], "status": "running", "created_at": now, "updated_at": now}
            for k in range(dispatches)
        ]).execute()
    index_names = [row[0] for row in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'message' AND sql IS NOT NULL")]
    for name in index_names:
        database.execute_sql(f'DROP INDEX "{name}"')
    bucket = "((c.id * 37 + d.k * 53 + (c.id / 7) * d.k) % 100)"
    with database.atomic():
        database.execute_sql(
            "WITH d AS (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS k FROM dispatch) "
            "INSERT INTO message (dispatch_id, client_id, phone, timezone, status, attempts, created_at, last_error) "
            f"SELECT d.id, c.id, c.phone, c.timezone, {status_case(bucket)}, 1, ?, '' "
            "FROM d CROSS JOIN client AS c "
            "WHERE (d.k - 1) * ? + c.id <= ? "
            "ORDER BY d.k, c.id",
            (to_millis(now), clients, messages),
        )
    Message._schema.create_indexes(safe=True)
    counts.rebuild()
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


# Bare SQL on the same table and connection: the cheapest count SQLite can do (it walks the pages
# of the smallest index without reading rows), a scan that reads every row once, and the very
# aggregation the report runs, without the core around it.
ALL_BASELINES = (
    "SELECT COUNT(*) FROM message",
    "SELECT COUNT(status) FROM message",
    "SELECT dispatch_id, status, COUNT(*) FROM message GROUP BY dispatch_id, status",
)
ONE_BASELINES = (
    "SELECT COUNT(*) FROM message WHERE dispatch_id = ?",
    "SELECT status, COUNT(*) FROM message WHERE dispatch_id = ? GROUP BY status",
)


def best_ms(action, repeat: int) -> tuple[float, float]:
    """(best, median) wall time of `action` in milliseconds over `repeat` warm runs."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def scalar(sql: str, *params):
    return database.execute_sql(sql, params).fetchone()[0]


def refresh_reads(one: Dispatch, repeat: int) -> dict[str, tuple[float, float]]:
    """The Reports screen's background read, each from the one before it as the screen reads:
    steady (nothing changed since), and with the dispatch in view changing before each read (a
    claim's move of its counters)."""
    from tui_notifier.tui.screens.reports import read_figures

    selected = one.id.hex
    last = read_figures(selected, utcnow())

    def steady():
        nonlocal last
        last = read_figures(selected, utcnow(), last)

    tally = counts.Tally()

    def changing():
        nonlocal last
        with database.atomic():
            tally.move(one.id, MessageStatus.CREATED, MessageStatus.SENDING)
            tally.apply()
        last = read_figures(selected, utcnow(), last)

    def changing_errors_due():
        last.errors_at = None
        changing()

    return {"refresh read (steady)": best_ms(steady, repeat),
            "refresh read (dispatch in view changing)": best_ms(changing, repeat),
            "refresh read (dispatch in view changing, its errors due)": best_ms(changing_errors_due, repeat),
            "first refresh read (everything)": best_ms(lambda: read_figures(selected, utcnow()), repeat)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=FULL_SIZE, help="messages in all (default 10,000,000)")
    parser.add_argument("--dispatches", type=int, default=FULL_DISPATCHES)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each query; the best counts")
    parser.add_argument("--db", type=Path, help="database file to build (default: a temporary one)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        path = args.db or Path(tmp) / "reports.db"
        if path.exists():
            parser.error(f"{path} exists; give a new file")
        built = build(path, args.messages, args.dispatches)
        total = scalar("SELECT COUNT(*) FROM message")
        one = Dispatch.select().order_by(Dispatch.id).first()
        print(f"built {total:,} messages over {args.dispatches} dispatches in {built:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")

        found = reports.all_reports()
        assert sum(r.total for r in found) == total, "all_reports lost messages"
        assert len({status for r in found for status in r.counts}) == len(MessageStatus.ALL), "a status is missing"
        assert counts.verify() == [], "the counters disagree with the messages"

        key = one.id.hex
        measured = {
            "all_reports()": best_ms(reports.all_reports, args.repeat),
            "dispatch_report(one)": best_ms(lambda: reports.dispatch_report(one.id), args.repeat),
            **refresh_reads(one, args.repeat),
        }
        all_baselines = [(sql, best_ms(lambda sql=sql: database.execute_sql(sql).fetchall(), args.repeat))
                         for sql in ALL_BASELINES]
        one_baselines = [(sql, best_ms(lambda sql=sql: database.execute_sql(sql, (key,)).fetchall(), args.repeat))
                         for sql in ONE_BASELINES]
        close_database()

    full = args.messages == FULL_SIZE and args.dispatches == FULL_DISPATCHES
    targets = {"all_reports()": (TARGET_ALL_MS, all_baselines), "dispatch_report(one)": (TARGET_ONE_MS, one_baselines),
               "refresh read (steady)": (TARGET_REFRESH_MS, all_baselines),
               "refresh read (dispatch in view changing)": (TARGET_REFRESH_MS, all_baselines),
               "refresh read (dispatch in view changing, its errors due)": (None, all_baselines),
               "first refresh read (everything)": (None, all_baselines)}
    missed = False
    for name, (target, baselines) in targets.items():
        best, median = measured[name]
        if target is None:
            verdict = "no target"
        else:
            verdict = ("ok" if best <= target else "MISSED") if full else "scaled run, target not applied"
            verdict = f"target {target:.0f} ms at {FULL_SIZE:,}: {verdict}"
        print(f"\n{name}: best {best:.2f} ms, median {median:.2f} ms ({verdict})")
        for sql, (base_best, _) in baselines:
            print(f"  baseline {base_best:9.2f} ms  ratio {best / base_best:8.4f}x  {sql}")
        missed |= full and target is not None and best > target
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
