"""Against the real engine: the dashboard runs the consumer embedded, a composed dispatch goes
out through the sandbox gateway while the reports follow it to `finished`, and pause, resume
and cancel take effect on one that is sending."""
from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, TextArea

from tests.tui.conftest import make_app, seed_clients, settle, wait_until
from tui_notifier.clock import utcnow
from tui_notifier.core.dispatches import create_dispatch, get_dispatch, list_dispatches
from tui_notifier.core.reports import dispatch_report
from tui_notifier.models import MessageStatus
from tui_notifier.tui.screens.message import MessageScreen
from tui_notifier.tui.screens.messages import DispatchMessagesScreen

engine_queue = pytest.importorskip("tui_notifier.delivery.queue")


@pytest.fixture
def live_config(tui_config):
    cfg = tui_config
    cfg.consumer.embedded = True
    cfg.consumer.tick_seconds = 0.5
    cfg.gateway.sandbox.latency_ms = 1
    cfg.gateway.sandbox.dr_delay = 0.3
    cfg.gateway.dr_poll_interval = 0.2
    cfg.gateway.timeout = 2.0
    engine_queue.connect(cfg)
    return cfg



async def test_compose_a_dispatch_and_watch_it_go_out_to_finished(live_config):
    seed_clients(50)
    app = make_app(live_config, clock=utcnow)
    async with app.run_test(size=(130, 44)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.consumer_state == "embedded", 5, "consumer embedded")
        assert "consumer embedded" in str(app.screen.query_one("#consumer-label").render())
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#text", TextArea).text = "Live [/] hello"
        await pilot.press("ctrl+s")
        await settle(pilot)
        (dispatch,) = list_dispatches()
        await pilot.press("3")
        await settle(pilot)
        reports = app.screen
        seen_done = set()

        def finished():
            figures = reports.figures
            if figures and figures.reports:
                seen_done.add(figures.reports[0].done)
                return figures.reports[0].dispatch.status == "finished"
            return False

        await wait_until(pilot, finished, 30, "dispatch finished on the reports screen")
        await settle(pilot)
        row = [c.plain for c in reports.query_one("#reports-table", DataTable).get_row_at(0)]
        assert row[1:4] == ["finished", "50/50", "100"]
        assert max(seen_done) == 50
        await wait_until(pilot, lambda: "Finished" in [n.title for n in app._notifications], 3,
                         "the finished toast")
        assert "Created" in [n.title for n in app._notifications]
        report = dispatch_report(dispatch.id)
        assert report.count(*MessageStatus.COMPLETED) == 50

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DispatchMessagesScreen)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, MessageScreen)
        attempts = detail.query_one("#attempts", DataTable)
        assert attempts.row_count == 1 and attempts.get_row_at(0)[1].plain == "sent"
        await wait_until(pilot, lambda: detail.query_one("#delivery-reports", DataTable).row_count >= 1, 10,
                         "a delivery report")
    assert app.consumer is None


async def test_pause_resume_and_cancel_a_dispatch_that_is_sending(live_config):
    live_config.gateway.sandbox.latency_ms = 40
    live_config.sending.concurrency = 1
    seed_clients(300)
    slow = create_dispatch(utcnow(), "2099-01-01T00:00", "Slow one")
    app = make_app(live_config, clock=utcnow)
    async with app.run_test(size=(130, 44)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#dispatches-table", DataTable)

        def sent(dispatch) -> int:
            return dispatch_report(dispatch.id).done

        await wait_until(pilot, lambda: sent(slow) >= 5, 20, "sending started")
        table.move_cursor(row=table.get_row_index(slow.id.hex))
        await pilot.press("p")
        await settle(pilot)
        assert get_dispatch(slow.id).status == "paused"
        await pilot.pause(1.0)
        held = sent(slow)
        await pilot.pause(1.0)
        assert sent(slow) == held < 300

        doomed = create_dispatch(utcnow(), "2099-01-01T00:00", "Doomed one")
        await wait_until(pilot, lambda: sent(doomed) >= 5 and doomed.id.hex in app.screen.reports, 20,
                         "the other one sending")
        table.move_cursor(row=table.get_row_index(doomed.id.hex))
        await pilot.press("c", "y")
        await settle(pilot)
        assert get_dispatch(doomed.id).status == "cancelled"

        def settled_as_cancelled():
            counts = dispatch_report(doomed.id).counts
            return counts.get("cancelled", 0) > 0 and not counts.get("created")

        await wait_until(pilot, settled_as_cancelled, 10, "the cancelled dispatch's messages cancelled")

        table.move_cursor(row=table.get_row_index(slow.id.hex))
        await pilot.press("r")
        await settle(pilot)
        await wait_until(pilot, lambda: get_dispatch(slow.id).status == "finished", 60, "resumed dispatch finished")
        assert dispatch_report(slow.id).count(*MessageStatus.COMPLETED) == 300
        await asyncio.sleep(0)
