"""Live reports and the drill-down: dispatch → its messages by status → one message's history."""
from __future__ import annotations

from textual.widgets import DataTable, ProgressBar, Select, Sparkline

from tests.tui.conftest import MARKUP_ERROR, make_app, seed_reports, settle, wait_until
from tui_notifier.tui.screens.message import MessageScreen
from tui_notifier.tui.screens.messages import DispatchMessagesScreen


def rendered(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def table_rows(screen, selector: str) -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_reports_on(pilot, key: str):
    app = pilot.app
    await pilot.press("3")
    await settle(pilot)
    table = app.screen.query_one("#reports-table", DataTable)
    table.move_cursor(row=table.get_row_index(key))
    await settle(pilot, 3)
    return app.screen


async def test_reports_show_progress_counts_rate_eta_and_top_errors(tui_config):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports_on(pilot, seeded["running"].id.hex)
        by_id = {row[0]: row for row in table_rows(screen, "#reports-table")}
        assert by_id["00000001"][1:6] == ["running", "20/30", "66", "0.5", "0:00:20"]
        assert by_id["00000002"][1:4] == ["finished", "12/12", "100"]
        assert by_id["00000003"][1:3] == ["scheduled", "—"]
        bar = screen.query_one("#report-progress", ProgressBar)
        assert (bar.progress, bar.total) == (20, 30)
        counts = rendered(screen, "#report-counts")
        assert "created 8 · sending 2 · sent 10 · delivered 6 · failed 4" in counts
        spark = screen.query_one("#rate-spark", Sparkline)
        assert len(spark.data) == 60 and sum(spark.data) == 16
        assert "0.5/s over the last 10 s" in rendered(screen, "#rate-line")
        assert "10 left · ETA 0:00:20" in rendered(screen, "#rate-line")
        assert table_rows(screen, "#top-errors") == [["4", MARKUP_ERROR], ["1", "timeout after 10 s"]]


async def test_reports_refresh_in_the_background_while_the_operator_types(tui_config):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports_on(pilot, seeded["running"].id.hex)
        first = screen.figures
        await wait_until(pilot, lambda: screen.figures is not first, what="a refresh of the figures")
        await settle(pilot)
        assert all(w.is_finished or w.state.name in ("RUNNING", "PENDING") for w in app.workers)
        assert not any(w.state.name == "ERROR" for w in app.workers)


async def test_drill_down_from_a_dispatch_to_its_messages_to_one_message_history(tui_config):
    seeded = seed_reports()
    app = make_app(tui_config)
    async with app.run_test(size=(130, 44)) as pilot:
        await open_reports_on(pilot, seeded["running"].id.hex)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DispatchMessagesScreen)
        assert "Messages 1–30 of 30" in rendered(screen, "#position")
        screen.query_one("#status-filter", Select).value = "failed"
        await settle(pilot, 3)
        failed = table_rows(screen, "#messages-table")
        assert [row[2] for row in failed] == ["failed"] * 4
        assert {row[6] for row in failed} == {MARKUP_ERROR}
        assert "Failed messages 1–4 of 4" in rendered(screen, "#position")
        screen.query_one("#status-filter", Select).value = "delivered"
        await settle(pilot, 3)
        table = screen.query_one("#messages-table", DataTable)
        assert table.get_row_at(0)[0].plain == str(seeded["first_delivered"].id)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, MessageScreen)
        fields = rendered(detail, "#message-fields")
        assert f"Message {seeded['first_delivered'].id} of dispatch 00000001" in fields
        assert "Status       delivered" in fields
        assert "Sent         2030-01-01 14:59:39" in fields
        attempts = table_rows(detail, "#attempts")
        assert attempts == [
            ["2030-01-01 14:58:25", "transient", "503", "120", "[/] Service Unavailable [@click=app.quit]x"],
            ["2030-01-01 14:59:00", "sent", "200", "35", ""],
        ]
        reports = table_rows(detail, "#delivery-reports")
        assert [r[2] for r in reports] == ["-1 no final status yet", "2 delivered"]
        assert reports[1][6] == "1/1"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query("#reports-table")
