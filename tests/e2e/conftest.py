"""The whole engine as real processes over SQLite: see tests/stack.py."""
from __future__ import annotations

import pytest

from stack import Stack


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    s.stop()
