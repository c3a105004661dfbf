"""Quitting with work in flight: the dashboard's own consumer does not leave a dispatch unsent
without asking, can hand it to a background consumer, and due work with no consumer alive is
named on Dispatches and Reports with how to start one."""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.tui.conftest import make_app, seed_clients, seed_reports, settle, wait_until
from tui_notifier.clock import utcnow
from tui_notifier.config import load_config
from tui_notifier.core.dispatches import create_dispatch, get_dispatch
from tui_notifier.core.reports import dispatch_report
from tui_notifier.db import open_database
from tui_notifier.tui.screens.clients import ClientsScreen
from tui_notifier.tui.screens.quit import QuitScreen
from tui_notifier.tui.widgets.consumer_banner import ConsumerBanner

service = pytest.importorskip("tui_notifier.delivery.queue")


def rendered(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())



async def test_due_work_without_a_consumer_gets_a_banner_saying_how_to_start_one(tui_config):
    seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.consumer_state == "none" and app.unattended == 1
        for key in ("2", "3"):
            await pilot.press(key)
            await settle(pilot)
            banner = app.screen.query_one(ConsumerBanner)
            assert banner.display
            assert "1 dispatch is due" in rendered(app.screen, "#consumer-banner")
            assert "tui-notifier consumer" in rendered(app.screen, "#consumer-banner")


@pytest.fixture
def file_config(tmp_path, monkeypatch):
    """A config file (a background consumer reads the same one), with a slow sandbox."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database: {tmp_path / 'notifier.db'}\n"
        f"queue: {{path: {tmp_path / 'queue.db'}}}\n"
        "consumer: {tick_seconds: 0.5}\n"
        "sending: {concurrency: 1}\n"
        "gateway: {sandbox: {latency_ms: 40, dr_delay: 0.2}, dr_poll_interval: 0.2, timeout: 2.0}\n")
    config = load_config(str(path))
    open_database(config.database_url)
    service.connect(config)
    yield config
    service.disconnect()


async def test_quit_with_a_dispatch_sending_asks_and_stay_keeps_the_dashboard(file_config):
    seed_clients(200)
    slow = create_dispatch(utcnow(), "2099-01-01T00:00", "Slow one")
    app = make_app(file_config, clock=utcnow)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.work[0] == 1 and dispatch_report(slow.id).done > 0, 20, "sending")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        assert "1 dispatch sending" in rendered(app.screen, "#question")
        await pilot.press("escape")
        assert isinstance(app.screen, ClientsScreen) and app.is_running
        await pilot.press("ctrl+q", "q")
        await wait_until(pilot, lambda: not app.is_running, 20, "the app quit")
    assert get_dispatch(slow.id).status == "running"
    assert dispatch_report(slow.id).count("created") > 0, "left unsent, as chosen"


async def test_quit_can_hand_the_sending_to_a_background_consumer(file_config):
    seed_clients(60)
    dispatch = create_dispatch(utcnow(), "2099-01-01T00:00", "Handed over")
    app = make_app(file_config, clock=utcnow)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.work[0] == 1, 20, "sending")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("b")
        await wait_until(pilot, lambda: not app.is_running, 30, "the app quit")
    pid = app.background_pid
    assert pid is not None
    try:
        deadline = time.monotonic() + 60
        while get_dispatch(dispatch.id).status != "finished":
            assert time.monotonic() < deadline, "the background consumer finished the dispatch"
            time.sleep(0.2)
        assert dispatch_report(dispatch.id).count("created", "sending") == 0
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
