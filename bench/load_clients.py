"""Benchmark: `tui-notifier clients load` of N clients from CSV and from YAML, beside a bare CSV load.

    python bench/load_clients.py [--n 1000000]

Writes the same N clients (every common phone form, tags, time zones, some operator codes)
as a CSV and a YAML file, loads each into a fresh SQLite database through the real command
line (Python start-up and imports included), then the CSV again (every phone present: all
updates). The baseline, in the same run: a bare `csv.reader` + `executemany` INSERT of the
same CSV (phones as written, nothing checked) into a fresh SQLite table with the same
unique phone index. Each load runs in a
process of its own, so its peak RSS is its own.
Targets: the CSV load within 2x the bare load; peak RSS under 150 MB for either format.
Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGET_RATIO = 2.0
TARGET_RSS_MB = 150
TIMEZONES = ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "UTC", "Europe/Samara",
             "Asia/Vladivostok")

BARE = textwrap.dedent("""
    import csv, sqlite3, sys
    conn = sqlite3.connect(sys.argv[1])
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("CREATE TABLE client (id INTEGER PRIMARY KEY, phone VARCHAR(11) NOT NULL UNIQUE, "
                 "operator_code VARCHAR(3) NOT NULL, tag VARCHAR(64) NOT NULL, timezone VARCHAR(64) NOT NULL)")
    with open(sys.argv[2], newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        with conn:
            conn.executemany("INSERT INTO client (phone, operator_code, tag, timezone) VALUES (?, ?, ?, ?)",
                             ((p, o or p[1:4], t, z) for p, t, z, o in rows))
""")


def clients(n: int):
    """(phone as written, tag, time zone, operator code or '') for N clients."""
    for i in range(n):
        digits = str(79000000000 + i)
        form = i % 4
        if form == 0:
            phone = digits
        elif form == 1:
            phone = f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
        elif form == 2:
            phone = f"8 ({digits[1:4]}) {digits[4:]}"
        else:
            phone = digits
        yield phone, f"group-{i % 50}", TIMEZONES[i % len(TIMEZONES)], digits[1:4] if i % 3 == 0 else ""


def make_files(csv_path: Path, yaml_path: Path, n: int) -> None:
    with open(csv_path, "w", encoding="utf-8") as c, open(yaml_path, "w", encoding="utf-8") as y:
        c.write("phone,tag,timezone,operator_code\n")
        y.write("clients:\n")
        for phone, tag, zone, code in clients(n):
            c.write(f'"{phone}",{tag},{zone},{code}\n')
            y.write(f'  - phone: "{phone}"\n    tag: {tag}\n    timezone: {zone}\n')
            if code:
                y.write(f"    operator_code: '{code}'\n")


def run(command: list[str]) -> tuple[float, float, str]:
    """Seconds, peak RSS in MB and stdout of `command`, run in a process of its own."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command[:6])} failed:\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="clients in each file (default 1000000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        tmp = Path(tmp)
        csv_path, yaml_path = tmp / "clients.csv", tmp / "clients.yaml"
        make_files(csv_path, yaml_path, args.n)
        print(f"{args.n:,} clients: {csv_path.stat().st_size / 1e6:.0f} MB of CSV, "
              f"{yaml_path.stat().st_size / 1e6:.0f} MB of YAML")

        def load(name: str, path: Path) -> tuple[float, float, str]:
            config = tmp / f"{name}.yaml"
            config.write_text(f"database: {tmp / (name + '.db')}\nqueue:\n  path: {tmp / (name + '-queue.db')}\n",
                              encoding="utf-8")
            return run([sys.executable, "-m", "tui_notifier", "--config", str(config), "clients", "load", str(path)])

        bare = run([sys.executable, "-c", BARE, str(tmp / "bare.db"), str(csv_path)])
        csv_first = load("csv", csv_path)
        csv_again = load("csv", csv_path)
        yaml_first = load("yaml", yaml_path)

    rows = [("bare csv + executemany (baseline)", bare), ("clients load CSV, fresh database", csv_first),
            ("clients load CSV, all phones present", csv_again), ("clients load YAML, fresh database", yaml_first)]
    for name, (seconds, rss, out) in rows:
        print(f"{name:38} {seconds:7.2f} s  {args.n / seconds:>10,.0f} rows/s  peak RSS {rss:6.0f} MB  {out}")
    ratio = csv_first[0] / bare[0]
    print(f"ratio CSV load / bare load             {ratio:7.2f}x  (YAML: {yaml_first[0] / bare[0]:.2f}x)")
    worst_rss = max(csv_first[1], csv_again[1], yaml_first[1])
    ok = ratio <= TARGET_RATIO and worst_rss < TARGET_RSS_MB
    print(f"targets: CSV <= {TARGET_RATIO:.0f}x bare, peak RSS < {TARGET_RSS_MB} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
