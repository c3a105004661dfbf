"""A load streams: ten times the rows costs no more memory (each load in a process of its own)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

LOAD = textwrap.dedent("""
    import resource, sys
    from tui_notifier.db import open_database
    from tui_notifier.core.loader import load_clients_file
    open_database(sys.argv[1])
    result = load_clients_file(sys.argv[2])
    assert result.written and result.created == int(sys.argv[3]), result.as_json()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def write_rows(path, rows: int, kind: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        if kind == "csv":
            out.write("phone,tag,timezone\n")
            out.writelines(f"7900{i:07d},tag{i % 50},Europe/Moscow\n" for i in range(rows))
        else:
            out.write("clients:\n")
            out.writelines(f'  - phone: "+7 900 {i:07d}"\n    tag: tag{i % 50}\n    timezone: Europe/Moscow\n'
                           for i in range(rows))


def peak_kib(tmp_path, rows: int, kind: str) -> int:
    data = tmp_path / f"{rows}.{kind}"
    write_rows(data, rows, kind)
    done = subprocess.run([sys.executable, "-c", LOAD, str(tmp_path / f"{rows}-{kind}.db"), str(data), str(rows)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("kind", ["yaml", "csv"])
def test_peak_memory_stays_flat_from_20000_to_200000_rows(tmp_path, kind):
    small = peak_kib(tmp_path, 20_000, kind)
    large = peak_kib(tmp_path, 200_000, kind)

    assert large - small < 30 * 1024, f"{kind}: {small} KiB at 20,000 rows, {large} KiB at 200,000"
