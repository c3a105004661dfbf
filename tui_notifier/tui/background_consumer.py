"""Start `tui-notifier consumer` as a process of its own that outlives the dashboard."""
from __future__ import annotations

import os
import subprocess
import sys

from tui_notifier.config import Config


def consumer_command(config: Config) -> list[str]:
    """The command line of a consumer on the same config as this dashboard."""
    command = [sys.executable, "-m", "tui_notifier"]
    if config.source and os.path.isfile(config.source):
        command += ["--config", os.path.abspath(config.source)]
    return command + ["consumer"]


def start_background_consumer(config: Config) -> int:
    """Start a consumer in its own session (a closed terminal does not stop it); its pid.
    It logs where `logging.file` says, as every consumer does."""
    process = subprocess.Popen(consumer_command(config), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, close_fds=True)
    return process.pid
