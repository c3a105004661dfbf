"""Hostile input to the command line: each is refused with one line saying what was wrong and
where, exit 1 or 2, no traceback, and nothing written."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from hostile import HOSTILE_CONFIGS


def run(args, config, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(config), *args],
                          capture_output=True, env=env, timeout=60, stdin=subprocess.DEVNULL)


def one_line_error(proc: subprocess.CompletedProcess, codes=(1, 2)) -> str:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in codes, (proc.returncode, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tui-notifier: error: "), err
    assert len(lines[0]) < 400
    return lines[0]


def dispatch_rows(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM dispatch").fetchone()[0]


CREATE = ["dispatches", "create", "--start", "2030-01-01T09:00", "--end", "2030-01-01T18:00", "--text", "Hi"]


def test_an_argument_that_is_not_utf8_is_refused_naming_it(config_file, cli_env, db_path):
    proc = run([b"clients", b"add", b"7900\xff\xfe1234567"], config_file, cli_env)
    line = one_line_error(proc, codes=(2,))
    assert line == "tui-notifier: error: an argument is not valid UTF-8: 7900\\xff\\xfe1234567"
    assert not db_path.exists()


@pytest.mark.parametrize("name", sorted(HOSTILE_CONFIGS))
def test_a_config_that_makes_no_sense_is_refused_when_it_loads(name, tmp_path, cli_env, db_path):
    text, expected = HOSTILE_CONFIGS[name]
    config = tmp_path / "hostile.yaml"
    config.write_text(f"database: {json.dumps(str(db_path))}\n" + text, encoding="utf-8")
    line = one_line_error(run(CREATE, config, cli_env))
    assert f"hostile.yaml: {expected}" in line
    assert not db_path.exists()


def test_a_config_file_of_100_mb_is_refused_unread(tmp_path, cli_env, db_path):
    config = tmp_path / "huge.yaml"
    with config.open("wb") as out:
        out.truncate(100 * 1024 * 1024)
    line = one_line_error(run(CREATE, config, cli_env))
    assert "a config file is at most" in line
    assert not db_path.exists()


def test_a_database_path_under_a_file_is_refused(tmp_path, cli_env):
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {json.dumps(str(blocker / 'app.db'))}\n", encoding="utf-8")
    line = one_line_error(run(["clients", "list"], config, cli_env))
    assert "plain-file" in line
    assert blocker.read_text() == "not a folder"


def test_a_database_in_a_folder_nobody_may_write_is_refused(tmp_path, cli_env):
    config = tmp_path / "config.yaml"
    config.write_text('database: "/proc/tui-notifier/app.db"\n', encoding="utf-8")
    line = one_line_error(run(["clients", "list"], config, cli_env))
    assert "/proc/tui-notifier/app.db" in line


def test_a_corrupt_queue_file_is_refused_before_anything_is_written(cli, config_file, cli_env, db_path, tmp_path):
    assert cli("clients", "add", "79001234567").code == 0
    (tmp_path / "queue.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    line = one_line_error(run(CREATE, config_file, cli_env))
    assert "queue.path" in line and "queue.db" in line
    assert dispatch_rows(db_path) == 0


def test_a_log_file_that_cannot_be_opened_stops_the_consumer_with_one_line(tmp_path, cli_env, db_path):
    folder = tmp_path / "logs-are-a-folder"
    folder.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {json.dumps(str(db_path))}\n"
                      f"queue: {{path: {json.dumps(str(tmp_path / 'queue.db'))}}}\n"
                      f"logging: {{file: {json.dumps(str(folder))}}}\n", encoding="utf-8")
    line = one_line_error(run(["consumer"], config, cli_env))
    assert "logging.file: cannot write" in line
