"""Fixtures every test area shares: a real database per test, on SQLite and on PostgreSQL.

`db` runs each test that takes it twice: on a fresh SQLite file, and on a private PostgreSQL
server started from the system's binaries (skipped with the reason where they are missing).
Tests about SQLite's own storage settings are marked `sqlite_only`.
"""
from __future__ import annotations

import os

import pytest

import servers
from tui_notifier.config import Config
from tui_notifier.db import close_database, open_database
from tui_notifier.models import ALL_MODELS


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about SQLite's own storage; not run on PostgreSQL")


LONG_FIRST = ("tests/scale/", "tests/e2e/", "tests/core/test_loader_memory.py", "tests/tui/", "tests/delivery/")
"""The areas whose tests take tens of seconds (real consumers, gateways, dashboards), longest first."""


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: two workers per core. Many tests spend most of their time waiting on real
    processes (a dispatch's end, a server's restart, a rate limit), so a second worker per core
    works while the first waits. `PYTEST_XDIST_AUTO_NUM_WORKERS` still says otherwise."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    if chosen.isdigit():
        return int(chosen)
    return 2 * len(os.sched_getaffinity(0))


def pytest_collection_modifyitems(config, items):
    """Hand the long tests out first. The workers take tests in this order a couple at a time
    (`--maxschedchunk`), so the short ones fill in at the end and no long test starts last
    while the other worker has nothing left to do."""
    def rank(item) -> int:
        path = item.nodeid
        return next((at for at, prefix in enumerate(LONG_FIRST) if path.startswith(prefix)), len(LONG_FIRST))

    items.sort(key=rank)


@pytest.fixture(scope="session")
def postgres_server():
    yield from servers.running(servers.start_postgres, "PostgreSQL")


@pytest.fixture(scope="session")
def redis_server():
    yield from servers.running(servers.start_redis, "Redis")


@pytest.fixture(scope="session")
def postgres_url(postgres_server):
    return servers.create_database(postgres_server, "notifier_tests")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "notifier.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, db_path):
    if request.param == "sqlite":
        return str(db_path)
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about SQLite's own storage")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url):
    """An empty database, opened and bound to the models for this test."""
    database = open_database(database_url)
    if not database_url.endswith(".db"):
        tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
        database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield database
    close_database()


@pytest.fixture
def config(tmp_path, db_path) -> Config:
    cfg = Config(database=str(db_path))
    cfg.queue.path = str(tmp_path / "queue.db")
    return cfg


@pytest.fixture
def smtp():
    """A running SMTP server on 127.0.0.1 whose `messages` the test reads."""
    inbox = servers.Inbox().start()
    yield inbox
    inbox.stop()
