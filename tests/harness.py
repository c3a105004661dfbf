"""The emulator and a consumer as child processes, with a config for both: what the tests and
the benchmarks run the real engine against."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tui_notifier.config import load_config
from tui_notifier.db import database
from tui_notifier.models import Client
from tui_notifier.delivery.store import leases


PROGRAM = (sys.executable, "-m", "tui_notifier")
"""The command that starts the program."""


def _command(*args: str, program: tuple[str, ...] = PROGRAM) -> list[str]:
    return [*program, *args]


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns something true; its value, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:g} s")
        time.sleep(interval)


class EmulatorProcess:
    """`tui-notifier sandbox-gateway` on a free port, driven over HTTP."""

    def __init__(self, *options: str, log_path: str | os.PathLike | None = None):
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(_command("sandbox-gateway", "--port", "0", *options),
                                        stdout=subprocess.PIPE, stderr=self._log)
        line = self.process.stdout.readline().decode()
        if "http://" not in line:
            self.stop()
            raise RuntimeError(f"the sandbox gateway did not start: {line!r}")
        self.url = line.split()[-1]

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stats(self, ids: bool = False) -> dict:
        return self._call("GET", "/_emulator/stats" + ("?ids=1" if ids else ""))

    def faults(self, **changes) -> dict:
        return self._call("POST", "/_emulator/faults", changes)

    def reset(self) -> dict:
        return self._call("POST", "/_emulator/reset", {})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        if self._log is not subprocess.DEVNULL:
            self._log.close()


def write_config(path: str | os.PathLike, settings: dict):
    """Write `settings` as the YAML config file and return it loaded (a Config)."""
    Path(path).write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return load_config(str(path))


class ConsumerProcess:
    """`tui-notifier consumer` in a child process logging to a file; `program` is the command
    that starts the program (a benchmark may start it through a bootstrap of its own)."""

    def __init__(self, config_path: str | os.PathLike, log_path: str | os.PathLike,
                 workers: int | None = None, options: tuple[str, ...] = (),
                 program: tuple[str, ...] = PROGRAM):
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "ab")
        args = ["--config", str(config_path), "consumer", *options]
        if workers:
            args += ["--workers", str(workers)]
        self.process = subprocess.Popen(_command(*args, program=program), stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until its heartbeat is in the database (the database must be open here). A start takes
        half a CPU-second, which a machine running the whole suite may spread over many."""
        def ready():
            if not self.alive():
                raise RuntimeError(f"the consumer exited with {self.process.returncode}:\n{self.log()}")
            return any(c.pid == self.pid for c in leases.consumers(fresh_seconds=5))

        try:
            wait_for(ready, timeout, what="consumer heartbeat")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; its log so far:\n{self.log()}") from None

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def sent(self) -> int:
        """Messages its log says it sent (the summary line of each write counts them)."""
        return sum(int(n) for n in re.findall(r" results: sent=(\d+)", self.log()))

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait: the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        self.process.kill()
        self.process.wait()
        self._log.close()


def add_clients(count: int, timezones=("UTC",), operator_code: str = "900", tag: str = "",
                first: int = 0) -> None:
    """Insert `count` clients quickly (phones 7{operator}{number}); zones are dealt round-robin."""
    rows = [{"phone": f"7{operator_code}{first + i:07d}", "operator_code": operator_code, "tag": tag,
             "timezone": timezones[i % len(timezones)]} for i in range(count)]
    with database.atomic():
        for start in range(0, len(rows), 2000):
            Client.insert_many(rows[start:start + 2000]).execute()
