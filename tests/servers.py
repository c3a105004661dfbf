"""Private Redis and PostgreSQL servers for the tests, started from the system's binaries.

Each lives in a temporary directory on a free port and is stopped when the test session ends.
Where a binary is missing the caller skips with the reason.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    workdir: str

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _halt(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def restart(self, down_for: float = 0.0) -> None:
        """Stop it (everything queued is lost: no persistence), wait, start it on the same port."""
        self._halt()
        time.sleep(down_for)
        self.process = _launch_redis(self.port, self.workdir)

    def stop(self) -> None:
        self._halt()
        shutil.rmtree(self.workdir, ignore_errors=True)


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def start_redis() -> RedisServer:
    binary = redis_binary()
    if binary is None:
        raise FileNotFoundError("redis-server is not installed")
    workdir = tempfile.mkdtemp(prefix="notifier-redis-")
    port = free_port()
    return RedisServer(port, _launch_redis(port, workdir), workdir)


def _launch_redis(port: int, workdir: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _wait_port(port)
    return process


def postgres_bindir() -> str | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    found = shutil.which("initdb")
    return os.path.dirname(os.path.realpath(found)) if found else None


@dataclass
class PostgresServer:
    port: int
    datadir: str
    bindir: str
    run_as: str | None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _cmd(self, *args: str) -> list[str]:
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *command] if self.run_as else command

    def _start(self) -> None:
        root = os.path.dirname(self.datadir)
        options = (f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(self._cmd("pg_ctl", "-D", self.datadir, "-o", options, "-l",
                                 os.path.join(root, "log"), "-w", "start"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_port(self.port)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop it as an operator would (`-m fast`: every session is ended), wait, start it again."""
        subprocess.run(self._cmd("pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(down_for)
        self._start()

    def stop(self) -> None:
        subprocess.run(self._cmd("pg_ctl", "-D", self.datadir, "-m", "immediate", "stop"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(os.path.dirname(self.datadir), ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb + pg_ctl into a temp dir; as root the server runs as the `postgres` user."""
    bindir = postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL (initdb, pg_ctl) is not installed")
    run_as = None
    root = tempfile.mkdtemp(prefix="notifier-pg-")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise FileNotFoundError("running as root and there is no `postgres` user") from None
        run_as = "postgres"
        shutil.chown(root, user="postgres")
    datadir = os.path.join(root, "data")
    port = free_port()
    server = PostgresServer(port, datadir, bindir, run_as)
    subprocess.run(server._cmd("initdb", "-D", datadir, "-U", "postgres", "-A", "trust",
                               "-E", "UTF8", "--no-sync"),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server._start()
    return server


def create_database(server: PostgresServer, name: str) -> str:
    import psycopg2

    conn = psycopg2.connect(server.url())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return server.url(name)


class Inbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[tuple[list[str], str]] = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"

    def start(self) -> "Inbox":
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def running(start, what: str):
    """A fixture's body: the server `start` makes, stopped afterwards; the test skips when
    this machine cannot run it."""
    try:
        server = start()
    except (FileNotFoundError, OSError) as exc:
        pytest.skip(f"no {what} here: {exc}")
    yield server
    server.stop()
