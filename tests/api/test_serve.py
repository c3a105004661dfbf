"""`tui-notifier serve` as an operator runs it: it says where it listens, answers, and stops
cleanly on SIGTERM and on Ctrl-C."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import pytest
import requests


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {json.dumps(str(tmp_path / 'n.db'))}\n"
                    f"queue:\n  path: {json.dumps(str(tmp_path / 'q.db'))}\n"
                    "consumer:\n  embedded: false\n", encoding="utf-8")
    return path


def start(config_file, *args):
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_notifier", "--config", str(config_file), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"serving the API on (http://\S+?)/api/v1/", line)
        if found:
            return process, found.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    pytest.fail(f"serve did not start: {process.stderr.read()}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_then_stops_cleanly_on_a_signal(config_file, stop):
    process, base = start(config_file, "--no-auth", "--threads", "2")
    try:
        assert requests.get(f"{base}/api/v1/dispatch-reports/", timeout=30).json() == []
        process.send_signal(stop)
        assert process.wait(30) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()


def test_serve_without_auth_is_refused_off_loopback(config_file):
    out = subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(config_file), "serve",
                          "--host", "0.0.0.0", "--port", "0", "--no-auth"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 1
    assert out.stderr.startswith("tui-notifier: error: refusing to serve without auth on 0.0.0.0")
    assert len(out.stderr.splitlines()) == 1
