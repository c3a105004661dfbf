"""The Huey queue a config names: SqliteHuey in a file of its own (the default) or RedisHuey.

The queue file is never the application database: SqliteHuey makes tables named `task`,
`kv`, `schedule` and `counter`, and its own write traffic should not contend with ours.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from huey import RedisHuey, SqliteHuey
from huey.exceptions import ConfigurationError


class QueueError(Exception):
    """The configured queue cannot be used."""


def queue_identity(config) -> str:
    """A name for the queue shared by every process that uses it (no password in it)."""
    q = config.queue
    if q.backend == "redis":
        parts = urlsplit(q.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"redis:{urlunsplit((parts.scheme, host, parts.path, '', ''))}#{q.name}"
    return f"sqlite:{Path(config.queue_path).expanduser().resolve()}#{q.name}"


def make_huey(config):
    q = config.queue
    if q.backend == "redis":
        try:
            return RedisHuey(q.name, url=q.url, results=False, utc=True)
        except ConfigurationError:
            raise QueueError("queue.backend redis needs the redis client: pip install 'tui_notifier[redis]'") from None
    path = Path(config.queue_path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(q.name, filename=str(path), results=False, utc=True, timeout=15)
