"""The CLI and the dashboard work the same against PostgreSQL, with consumers on Redis."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from textual.widgets import DataTable

from tests.tui.conftest import settle
from tui_notifier.clock import utcnow
from harness import add_clients, wait_for
from tui_notifier.tui.app import NotifierApp


def cli(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(stack.config_path), *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_the_cli_loads_clients_creates_a_dispatch_and_reports_it_on_postgresql(stack, tmp_path):
    stack.configure(consumer={"embedded": False})
    stack.consumer()
    rows = "".join(f"- {{phone: '+7 900 000-{i:02d}-00', tag: vip, timezone: Europe/Moscow}}\n"
                   for i in range(30))
    (tmp_path / "clients.yaml").write_text(rows, encoding="utf-8")

    loaded = cli(stack, "clients", "load", str(tmp_path / "clients.yaml"), "--json")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["created"] == 30
    start = utcnow()
    created = cli(stack, "dispatches", "create", "--start", start.isoformat(),
                  "--end", (start + dt.timedelta(minutes=5)).isoformat(), "--text", "Hi", "--tag", "vip")
    assert created.returncode == 0, created.stderr
    dispatch_id = created.stdout.strip()

    def report():
        """The report as the CLI prints it: a process each time, so asked twice a second."""
        out = cli(stack, "report", dispatch_id, "--json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    wait_for(lambda: report()["completed"] == 30, timeout=20, interval=0.5, what="all 30 sent")
    listed = json.loads(cli(stack, "clients", "list", "--tag", "vip", "--json").stdout)
    assert len(listed) == 30 and listed[0]["timezone"] == "Europe/Moscow"


async def test_the_dashboard_reads_postgresql_and_sees_the_external_consumer_on_redis(stack):
    config = stack.configure(consumer={"embedded": False})
    add_clients(120, tag="[b]vip[/b]")
    stack.consumer()
    app = NotifierApp(config)
    async with app.run_test(size=(140, 32)) as pilot:
        await settle(pilot, 3)
        header = " ".join(str(w.render()) for w in app.screen.query("StatusHeader Static"))
        assert "db postgresql://" in header and "consumer external" in header
        table = app.screen.query_one("#clients-table", DataTable)
        assert table.row_count > 0
        assert "[b]vip[/b]" in [str(c) for c in table.get_row_at(0)]
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ReportsScreen"
