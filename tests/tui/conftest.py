"""Dashboard fixtures: a real SQLite file, deterministic data at a fixed "now", and helpers to
let the app's background reads land before looking."""
from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import pytest
from textual.worker import WorkerCancelled

from tui_notifier import counts
from tui_notifier.config import Config
from tui_notifier.db import close_database, database, open_database
from tui_notifier.models import Attempt, Client, DeliveryReport, Dispatch, Message

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
MARKUP_TAGS = ["[/]", "[@click=app.quit]x", "[b]bold[/b]", "[$accent]var", "vip"]
MARKUP_TEXT = "Sale [/] today [@click=app.quit]now [b]50%[/b]"
MARKUP_ERROR = "gateway said [/] no [@click=app.quit]x"


def fixed_clock() -> dt.datetime:
    return NOW


def dispatch_uuid(n: int) -> uuid.UUID:
    return uuid.UUID(f"{n:08x}-0000-4000-8000-000000000000")


@pytest.fixture
def tui_config(tmp_path, monkeypatch) -> Config:
    """A config on a relative database path (the header shows it; snapshots stay the same),
    with no embedded consumer: the non-live screens need no engine."""
    monkeypatch.chdir(tmp_path)
    cfg = Config(database="notifier.db")
    cfg.queue.path = "queue.db"
    cfg.consumer.embedded = False
    open_database(cfg.database_url)
    yield cfg
    close_database()


def make_app(config: Config, **kwargs):
    from tui_notifier.tui.app import NotifierApp

    kwargs.setdefault("clock", fixed_clock)
    app = NotifierApp(config, **kwargs)
    app.NOTIFICATION_TIMEOUT = 600  # tests read app._notifications; a slow machine must not expire them
    return app


async def settle(pilot, rounds: int = 2) -> None:
    """Wait until the background reads started so far have been shown. A read that a newer one
    of its group replaced (cancelled) has nothing to show; a failed one still fails the test."""
    for _ in range(rounds):
        await pilot.pause()
        await asyncio.gather(*(_finished(worker) for worker in list(pilot.app.workers)))
        await pilot.pause()


async def wait_until(pilot, predicate, timeout: float = 10, what: str = "the awaited change") -> None:
    """Let the app run (its timers, debounces and background reads) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await pilot.pause(0.05)


async def _finished(worker) -> None:
    try:
        await worker.wait()
    except WorkerCancelled:
        pass


def seed_clients(n: int = 40) -> list[Client]:
    """`n` clients; the tags cycle through markup-like text."""
    with database.atomic():
        return [
            Client.create(phone=f"7900{i:07d}", operator_code="900" if i % 2 else "916",
                          tag=MARKUP_TAGS[i % len(MARKUP_TAGS)],
                          timezone="Europe/Moscow" if i % 3 == 0 else "UTC")
            for i in range(n)
        ]


def seed_reports() -> dict[str, Dispatch]:
    """Dispatches in every status with messages, attempts and delivery reports at fixed times."""
    clients = seed_clients(30)
    minute = dt.timedelta(minutes=1)
    common = dict(created_at=NOW - 60 * minute, updated_at=NOW - 60 * minute)
    with database.atomic():
        running = Dispatch.create(
            id=dispatch_uuid(1), start_at=NOW - 10 * minute, end_at=NOW + 60 * minute,
            timezone="Europe/Moscow", message_text=MARKUP_TEXT, operator_codes=["900", "916"],
            tags=["[/]", "vip"], window_start="09:00", window_end="21:00", status="running",
            fanned_out_at=NOW - 10 * minute, **common)
        finished = Dispatch.create(
            id=dispatch_uuid(2), start_at=NOW - 120 * minute, end_at=NOW - 30 * minute,
            message_text="Finished greeting", status="finished", finished_at=NOW - 40 * minute,
            fanned_out_at=NOW - 120 * minute, **common)
        scheduled = Dispatch.create(
            id=dispatch_uuid(3), start_at=NOW + 24 * 60 * minute, end_at=NOW + 48 * 60 * minute,
            message_text="Tomorrow's news", tags=["[@click=app.quit]x"], **common)
        paused = Dispatch.create(
            id=dispatch_uuid(4), start_at=NOW - 5 * minute, end_at=NOW + 5 * 60 * minute,
            message_text="Paused one", status="paused", status_reason="paused by the operator",
            fanned_out_at=NOW - 5 * minute, **common)
        statuses = ["sent"] * 10 + ["delivered"] * 6 + ["failed"] * 4 + ["created"] * 8 + ["sending"] * 2
        for i, (client, status) in enumerate(zip(clients, statuses)):
            sent = status in ("sent", "delivered")
            Message.create(
                dispatch=running, client=client, phone=client.phone, timezone=client.timezone,
                status=status, attempts=1 if status != "created" else 0,
                created_at=NOW - 10 * minute, updated_at=NOW - dt.timedelta(seconds=i),
                sent_at=NOW - dt.timedelta(seconds=2 * i + 1) if sent else None,
                next_attempt_at=NOW + dt.timedelta(seconds=30) if status == "created" else None,
                last_error=MARKUP_ERROR if status == "failed" else ("timeout after 10 s" if i == 25 else ""),
                provider_id=f"prov-{i:04d}" if sent else None)
        for client in clients[:12]:
            Message.create(dispatch=finished, client=client, phone=client.phone, status="delivered",
                           attempts=1, created_at=NOW - 120 * minute, sent_at=NOW - 100 * minute)
        for client in clients[:6]:
            Message.create(dispatch=paused, client=client, phone=client.phone, status="created",
                           created_at=NOW - 5 * minute)
        first = Message.get(Message.dispatch == running, Message.status == "delivered")
        Attempt.create(message=first, at=NOW - 95 * dt.timedelta(seconds=1), outcome="transient",
                       http_status=503, error="[/] Service Unavailable [@click=app.quit]x", latency_ms=120)
        Attempt.create(message=first, at=NOW - 60 * dt.timedelta(seconds=1), outcome="sent",
                       http_status=200, latency_ms=35)
        DeliveryReport.create(message=first, status=-1, channel="sms", received_at=NOW - 50 * dt.timedelta(seconds=1),
                              raw='{"status": -1}')
        DeliveryReport.create(message=first, status=2, substatus=23, provider_status=0, channel="sms",
                              parts_total=1, parts_delivered=1, reported_at=NOW - 40 * dt.timedelta(seconds=1),
                              received_at=NOW - 30 * dt.timedelta(seconds=1), raw='{"status": 2}')
    counts.rebuild()
    return {"running": running, "finished": finished, "scheduled": scheduled, "paused": paused,
            "first_delivered": first}
