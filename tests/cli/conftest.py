"""The CLI run for real: a subprocess of `python -m tui_notifier` (or the `tui-notifier` script)
against a config file and a SQLite database in the test's temporary directory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    @property
    def reason(self) -> str:
        """The one line a failed command leaves on stderr."""
        lines = self.err.splitlines()
        assert len(lines) == 1, f"expected a one-line reason on stderr, got {self.err!r}"
        assert lines[0].startswith("tui-notifier: error: "), lines[0]
        return lines[0]


def console_script() -> str:
    beside_python = Path(sys.executable).parent / "tui-notifier"
    found = str(beside_python) if beside_python.exists() else shutil.which("tui-notifier")
    if not found:
        pytest.skip("the tui-notifier console script is not installed")
    return found


@pytest.fixture
def database_url(db_path) -> str:
    """The CLI suite is about the command line: one SQLite file, which `db` seeds and the CLI reads."""
    return str(db_path)


@pytest.fixture
def cli_env(tmp_path) -> dict:
    """The environment of each run: no config of the user's, user dirs inside the test's directory."""
    env = {k: v for k, v in os.environ.items() if k != "TUI_NOTIFIER_CONFIG"}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
               PYTHONIOENCODING="utf-8", COLUMNS="200")
    return env


@pytest.fixture
def config_file(tmp_path, db_path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database: {json.dumps(str(db_path))}\n"
        f"queue:\n  path: {json.dumps(str(tmp_path / 'queue.db'))}\n"
        "consumer:\n  embedded: false\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli(config_file, cli_env):
    """Run `python -m tui_notifier --config CFG ARGS...`; `script=True` runs the console script instead."""

    def run(*args, config: Path | None = config_file, env: dict | None = None, script: bool = False) -> Result:
        command = [console_script()] if script else [sys.executable, "-m", "tui_notifier"]
        if config is not None:
            command += ["--config", str(config)]
        command += [str(a) for a in args]
        proc = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                              env=env or cli_env, timeout=60, stdin=subprocess.DEVNULL)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
