"""The emulator serving from a thread of the test process, and engine configs aimed at it."""
from __future__ import annotations

import pytest

from tui_notifier.config import Config
from tui_notifier.delivery.emulator import Emulator

TOKEN = "tok-3f9a1c77e2"


@pytest.fixture
def token() -> str:
    """The probe token the emulator wants."""
    return TOKEN


@pytest.fixture
def emulator():
    server = Emulator(seed=7).start()
    server.faults.token = TOKEN
    yield server
    server.stop()


@pytest.fixture
def engine_config(database_url, tmp_path, emulator) -> Config:
    """Probe gateway at the emulator, quick retries, small batches."""
    cfg = Config(database=database_url)
    cfg.queue.path = str(tmp_path / "queue.db")
    cfg.gateway.kind = "probe"
    cfg.gateway.url = emulator.url
    cfg.gateway.token = TOKEN
    cfg.gateway.timeout = 1.0
    cfg.sending.concurrency = 8
    cfg.sending.batch_size = 50
    cfg.sending.retry.base_delay = 0.2
    cfg.sending.retry.max_delay = 1.0
    cfg.consumer.tick_seconds = 1.0
    return cfg
