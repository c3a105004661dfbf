"""Fixtures every test area shares: a real SQLite database in a temporary directory."""
from __future__ import annotations

import pytest

from tui_notifier.config import Config
from tui_notifier.db import close_database, open_database


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "notifier.db"


@pytest.fixture
def db(db_path):
    """An empty database file, opened and bound to the models for this test."""
    database = open_database(str(db_path))
    yield database
    close_database()


@pytest.fixture
def config(tmp_path, db_path) -> Config:
    cfg = Config(database=str(db_path))
    cfg.queue.path = str(tmp_path / "queue.db")
    return cfg
