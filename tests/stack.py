"""One test's engine stack: `tui-notifier consumer` and `tui-notifier sandbox-gateway` as real
processes, its config and database, and the core in this process (which wakes the consumers
through the queue, as every face does). SQLite by default; `base` points it elsewhere
(PostgreSQL and Redis in tests/scale)."""
from __future__ import annotations

import copy
import datetime as dt

from tui_notifier.clock import utcnow
from tui_notifier.core import reports
from tui_notifier.core.dispatches import create_dispatch
from tui_notifier.db import close_database, open_database
from tui_notifier.delivery.queue import connect, disconnect
from harness import ConsumerProcess, EmulatorProcess, wait_for, write_config
from tui_notifier.models import Attempt, Dispatch, Message

TOKEN = "e2e-token-5b1d0c"


def _merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class Stack:
    """One test's emulator, config, database and consumers."""

    def __init__(self, tmp_path, base: dict | None = None):
        self.tmp = tmp_path
        self.base = base or {}
        self.emulator: EmulatorProcess | None = None
        self.consumers: list[ConsumerProcess] = []
        self.config = None
        self.config_path = tmp_path / "config.yaml"

    def start_emulator(self, *options: str) -> EmulatorProcess:
        self.emulator = EmulatorProcess("--latency-ms", "5", "--token", TOKEN, *options,
                                        log_path=self.tmp / "emulator.log")
        return self.emulator

    def configure(self, **changes):
        """Write the config (small batches, quick retries, a 1 s tick, then the stack's own
        `base` and the test's `changes`) and open its database."""
        if self.emulator is None:
            self.start_emulator()
        base = {
            "database": str(self.tmp / "app.db"),
            "queue": {"path": str(self.tmp / "queue.db")},
            "gateway": {"kind": "probe", "url": self.emulator.url, "token": TOKEN, "timeout": 1.0,
                        "dr_poll_interval": 0.3},
            "sending": {"concurrency": 8, "batch_size": 50, "lease_seconds": 10,
                        "retry": {"base_delay": 0.2, "factor": 2.0, "max_delay": 1.0, "jitter": 0.2}},
            "consumer": {"tick_seconds": 1},
        }
        self.config = write_config(self.config_path, _merge(_merge(base, self.base), changes))
        open_database(self.config.database_url)
        connect(self.config)
        return self.config

    def consumer(self, name: str = "consumer", *options: str) -> ConsumerProcess:
        return self.several(name, options=options)[0]

    def several(self, *names: str, options: tuple[str, ...] = ()) -> list[ConsumerProcess]:
        """Consumers started at once (each takes a while to start), every one ready on return."""
        processes = [ConsumerProcess(self.config_path, self.tmp / f"{name}.log", options=options)
                     for name in names]
        self.consumers.extend(processes)
        for process in processes:
            process.wait_ready()
        return processes

    def dispatch(self, start_in: float = 0.0, lasts: float = 60.0, **kwargs) -> Dispatch:
        now = utcnow()
        start = now + dt.timedelta(seconds=start_in)
        return create_dispatch(start, start + dt.timedelta(seconds=lasts), kwargs.pop("text", "Hello!"),
                               **kwargs)

    @staticmethod
    def counts(dispatch_id) -> dict:
        return {k: v for k, v in reports.dispatch_report(dispatch_id).counts.items() if v}

    @staticmethod
    def wait_status(dispatch_id, status: str, timeout: float) -> Dispatch:
        return wait_for(lambda: (d := Dispatch.get_by_id(dispatch_id)).status == status and d,
                        timeout, interval=0.1, what=f"dispatch {status}")

    @staticmethod
    def attempts(dispatch_id) -> list[Attempt]:
        return list(Attempt.select().join(Message).where(Message.dispatch == dispatch_id)
                    .order_by(Attempt.at))

    def unrecorded_requests(self) -> set[str]:
        """Messages the gateway got a request for more often than a consumer recorded starting
        one. A recorded start is the consumer's own clock when it let the request go; the
        gateway's clock of receipt also counts the way there, which a loaded machine stretches."""
        started: dict[str, int] = {}
        for (message_id,) in Attempt.select(Attempt.message).tuples():
            started[str(message_id)] = started.get(str(message_id), 0) + 1
        got = self.emulator.stats(ids=True)["ids"]
        return {message_id for message_id, times in got.items() if times > started.get(message_id, 0)}

    def stop(self) -> None:
        for process in self.consumers:
            if process.alive():
                process.kill()
        if self.emulator is not None:
            self.emulator.stop()
        disconnect()
        close_database()
