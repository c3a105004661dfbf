"""The distributed stack: consumers sharing a private Redis queue and a private PostgreSQL
database (tests/servers.py starts both from the system's binaries, or the tests skip)."""
from __future__ import annotations

import uuid

import pytest

import servers
from stack import Stack


@pytest.fixture
def scale_base(postgres_server, redis_server) -> dict:
    """Config keys for a fresh database and a queue of its own on the shared servers."""
    name = f"scale_{uuid.uuid4().hex[:12]}"
    return {
        "database": servers.create_database(postgres_server, name),
        "queue": {"backend": "redis", "url": redis_server.url, "name": name},
        "sending": {"concurrency": 16, "batch_size": 200},
    }


@pytest.fixture
def stack(tmp_path, scale_base):
    s = Stack(tmp_path, base=scale_base)
    yield s
    s.stop()
