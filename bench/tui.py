"""Benchmark: the dashboard, headless, over 1,000,000 clients and 1,000,000 messages in 20 dispatches.

    python bench/tui.py [--clients 1000000] [--messages 1000000] [--dispatches 20]
                        [--opens 5] [--pages 50] [--refreshes 10] [--size 120x40] [--db PATH]

Builds a fresh SQLite database through the real `open_database`: the messages, their 20
dispatches and the first clients with `bench/reports.py`'s `build` (one `INSERT ... SELECT`,
message indexes made after the fill), then the rest of the clients with one recursive-CTE
`INSERT ... SELECT` (phones 79XXXXXXXXX, operator codes 900-929, every pytz common time zone,
tags `group-N` and some empty), the client indexes dropped for the fill and made again from
the model afterwards.

Then it runs the real `NotifierApp` (no embedded consumer) with `run_test` inside
`asyncio.run` and measures, warm (one throwaway launch first):

* open: from creating the app to the first frame that paints the clients table with the
  rows of its first page, the median of `--opens` launches. A page "lands" when
  `PagedTable._show` has put it in the table; "painted" is the end of the first frame
  (`App._display`) in which the table's `render_line` drew the first row of that page.
  Baselines in the same run: the same launch on an empty database (table painted empty),
  and the first-page query as bare SQL through the `sqlite3` module.
* page-down: `pagedown` pressed `--pages` times with the clients table focused; the mean
  time from the key press to the new page's rows in the table and to the frame that
  paints them. Baseline: one page as bare SQL (`id > ? ORDER BY id LIMIT n`).
* pause: on the Reports screen, `p` on the selected dispatch; the time from the key press to
  the frame that shows it `paused` (the core call runs in a worker, then the screen reads its
  figures again). Baseline: the core's `pause_dispatch` called directly.
* reports refresh: key 3, then the screen's once-a-second refreshes: the first (it fills the
  table) apart, then `--refreshes` more. The target figure is the UI thread's CPU time
  (`time.thread_time()` on the event-loop thread) from the end of one refresh to the end of
  the next, divided by the refreshes: everything a refresh costs the UI thread. Shown as parts
  of it: `ReportsScreen.show_figures` (the figures copied into the widgets) and the frames
  that follow it (`Screen._on_timer_update`: layout and render). Also shown: the background
  `read_figures` time, and how many refreshes were started, read and shown. Baselines: the
  UI thread of the idle clients screen over the same second (3 s watched), and the messages
  GROUP BY dispatch, status as bare SQL.
  The timing wrappers are put on these methods by this script only.

Targets (at 1,000,000 clients and messages): open under 1 s, a page under 100 ms (key to
painted), a report refresh under 100 ms of UI-thread time (all of it, as above).
Exits 1 when a target is missed at the full size.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pytz

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reports as reports_bench  # noqa: E402  (bench/reports.py: build, best_ms, baselines)

from tui_notifier.config import Config  # noqa: E402
from tui_notifier.db import close_database, database, open_database  # noqa: E402
from tui_notifier.models import Client  # noqa: E402

TARGET_OPEN_MS = 1000.0
TARGET_PAGE_MS = 100.0
TARGET_REFRESH_MS = 100.0
FULL_SIZE = 1_000_000
WAIT_LIMIT = 60.0  # seconds before a step that never lands is reported as a failure
IDLE_SECONDS = 3.0  # the idle clients screen watched for the UI-thread baseline
GROUP_BY_SQL = reports_bench.ALL_BASELINES[2]


# --- data ------------------------------------------------------------------------------------

def add_clients(total: int) -> int:
    """Fill the client table up to `total` rows (ids after the ones `build` made); return how
    many were added."""
    first = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM client").fetchone()[0] + 1
    if first > total:
        return 0
    zones = list(pytz.common_timezones)
    database.execute_sql("CREATE TEMP TABLE bench_zone (k INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    database.execute_sql(
        "INSERT INTO bench_zone (k, name) VALUES " + ", ".join("(?, ?)" for _ in zones),
        [value for pair in enumerate(zones) for value in pair],
    )
    index_names = [row[0] for row in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'client' AND sql IS NOT NULL")]
    for name in index_names:
        database.execute_sql(f'DROP INDEX "{name}"')
    with database.atomic():
        database.execute_sql(
            "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO client (id, phone, operator_code, tag, timezone, attributes) "
            "SELECT i, printf('79%09d', i), printf('9%02d', i % 30), "
            "CASE WHEN i % 7 = 0 THEN '' ELSE 'group-' || (i % 50) END, z.name, '{}' "
            "FROM n JOIN bench_zone AS z ON z.k = i % ?",
            (first, total, len(zones)),
        )
    database.execute_sql("DROP TABLE bench_zone")
    Client._schema.create_indexes(safe=True)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return total - first + 1


def build(path: Path, clients: int, messages: int, dispatches: int) -> float:
    started = time.perf_counter()
    reports_bench.build(path, messages, dispatches)
    add_clients(clients)
    return time.perf_counter() - started


# --- instruments (this script's wrappers; the app is not changed) -----------------------------

class Probe:
    """Timestamps (time.perf_counter) of what the app does, written by the wrappers below."""

    def __init__(self):
        self.reset()
        self.frames: list[tuple[object, float, float]] = []  # (screen, start, seconds)
        self.reads: list[float] = []  # read_figures seconds, in the worker thread
        self.shows: list[tuple[float, float, float]] = []  # show_figures: start, seconds, UI CPU after
        self.refreshes = 0  # refresh_figures calls
        self.paused_key: str | None = None  # the dispatch paused by a key press, watched on Reports
        self.paused_shown: float | None = None  # show_figures with it paused
        self.paused_painted: float | None = None  # ... and the frame after it

    def reset(self) -> None:
        self.landed_at: float | None = None  # the latest page put in the table
        self.painted_at: float | None = None  # ... and the frame that painted it
        self.first_landed: float | None = None  # the first page since reset
        self.first_painted: float | None = None  # the first frame painting a page since reset
        self.pages = 0
        self.first_rows = 0
        self.want: str | None = None
        self.seen = False

    def page_shown(self, table) -> None:
        self.landed_at = time.perf_counter()
        self.painted_at = None
        self.pages += 1
        if self.first_landed is None:
            self.first_landed = self.landed_at
            self.first_rows = len(table.rows_shown)
        self.want = table.rows_shown[0].phone if table.rows_shown else None
        self.seen = self.want is None

    def line_drawn(self, strip) -> None:
        if self.want is not None and not self.seen and self.want in strip.text:
            self.seen = True

    def frame_done(self) -> None:
        if self.seen and self.painted_at is None and self.landed_at is not None:
            self.painted_at = time.perf_counter()
            if self.first_painted is None:
                self.first_painted = self.painted_at


PROBE = Probe()


def instrument() -> None:
    from textual.screen import Screen

    from tui_notifier.tui.screens import reports as reports_screen
    from tui_notifier.tui.widgets.paged_table import PagedTable

    show = PagedTable._show

    def timed_show(self, rows, cursor):
        show(self, rows, cursor)
        if self.id == "clients-table":
            PROBE.page_shown(self)

    render_line = PagedTable.render_line

    def drawn_line(self, y):
        strip = render_line(self, y)
        if self.id == "clients-table":
            PROBE.line_drawn(strip)
        return strip

    on_timer_update = Screen._on_timer_update

    def timed_frame(self):
        started = time.perf_counter()
        on_timer_update(self)
        PROBE.frames.append((self, started, time.perf_counter() - started))

    read_figures = reports_screen.read_figures

    def timed_read(selected, now, previous=None):
        started = time.perf_counter()
        figures = read_figures(selected, now, previous)
        PROBE.reads.append(time.perf_counter() - started)
        return figures

    show_figures = reports_screen.ReportsScreen.show_figures

    def timed_show_figures(self, figures):
        started = time.perf_counter()
        show_figures(self, figures)
        PROBE.shows.append((started, time.perf_counter() - started, time.thread_time()))
        if PROBE.paused_key and PROBE.paused_shown is None and any(
                r.dispatch.id.hex == PROBE.paused_key and r.dispatch.status == "paused" for r in figures.reports):
            PROBE.paused_shown = time.perf_counter()

    refresh_figures = reports_screen.ReportsScreen.refresh_figures

    def counted_refresh(self):
        PROBE.refreshes += 1
        refresh_figures(self)

    PagedTable._show = timed_show
    PagedTable.render_line = drawn_line
    Screen._on_timer_update = timed_frame
    reports_screen.read_figures = timed_read
    reports_screen.ReportsScreen.show_figures = timed_show_figures
    reports_screen.ReportsScreen.refresh_figures = counted_refresh


def make_app(config: Config):
    from tui_notifier.tui.app import NotifierApp

    app = NotifierApp(config)
    display = app._display

    def displayed(screen, renderable):
        display(screen, renderable)
        if renderable is not None:
            PROBE.frame_done()
            if PROBE.paused_shown is not None and PROBE.paused_painted is None:
                PROBE.paused_painted = time.perf_counter()

    app._display = displayed
    return app


async def until(condition, what: str, step: float = 0.002) -> None:
    """Let the app run until `condition()` holds."""
    deadline = time.perf_counter() + WAIT_LIMIT
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"gave up after {WAIT_LIMIT:.0f} s waiting for {what}")
        await asyncio.sleep(step)


async def quiet(app) -> None:
    """Wait for every background read started so far (a count of the directory, say)."""
    await app.workers.wait_for_complete()
    await asyncio.sleep(0.05)
    await app.workers.wait_for_complete()


# --- the three measurements -----------------------------------------------------------------

async def launch(config: Config, size: tuple[int, int]) -> dict:
    """One launch: seconds from creating the app to the first page landed and painted."""
    PROBE.reset()
    started = time.perf_counter()
    app = make_app(config)
    async with app.run_test(size=size) as pilot:
        await until(lambda: PROBE.first_painted is not None, "the clients table to be painted")
        figures = {"landed": PROBE.first_landed - started, "painted": PROBE.first_painted - started}
        await quiet(app)
        await until(lambda: PROBE.painted_at is not None, "the clients table to settle")
        figures["settled"] = PROBE.painted_at - started
        figures["pages"] = PROBE.pages
        figures["first_rows"] = PROBE.first_rows
        table = app.screen.query_one("#clients-table")
        figures["page_size"] = table.page_size
        figures["rows"] = len(table.rows_shown)
        await pilot.pause()
    return figures


async def page_down(config: Config, size: tuple[int, int], pages: int, refreshes: int) -> dict:
    """Page down `pages` times, then switch to the reports and watch `refreshes` refreshes."""
    PROBE.reset()
    app = make_app(config)
    result: dict = {"landed": [], "painted": []}
    async with app.run_test(size=size) as pilot:
        await until(lambda: PROBE.first_painted is not None, "the clients table to be painted")
        await quiet(app)
        await until(lambda: PROBE.painted_at is not None, "the clients table to settle")
        table = app.screen.query_one("#clients-table")
        if not table.has_focus:
            table.focus()
            await pilot.pause()
        per_page = len(table.rows_shown)
        result["per_page"] = per_page
        pages = min(pages, max(table.total // per_page - 1, 1))  # a small directory has fewer
        for k in range(pages):
            before = table.start_index
            PROBE.reset()
            started = time.perf_counter()
            await pilot.press("pagedown")
            await until(lambda: PROBE.painted_at is not None, f"page {k + 1} to be painted")
            if PROBE.pages != 1 or table.start_index != before + per_page:
                raise SystemExit(f"page {k + 1}: {PROBE.pages} pages shown, starting at row "
                                 f"{table.start_index}; expected 1 page starting at {before + per_page}")
            result["landed"].append(PROBE.landed_at - started)
            result["painted"].append(PROBE.painted_at - started)
        result["last_first_id"] = table.rows_shown[0].id

        await quiet(app)
        await asyncio.sleep(0.5)
        cpu_started, wall_started = time.thread_time(), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS)
        result["idle_cpu_per_s"] = (time.thread_time() - cpu_started) / (time.perf_counter() - wall_started)

        PROBE.frames.clear()
        PROBE.reads.clear()
        PROBE.shows.clear()
        PROBE.refreshes = 0
        await pilot.press("3")
        # One more than asked: the first refresh fills the table, the steady ones follow it.
        await until(lambda: len(PROBE.shows) >= refreshes + 2,
                    f"{refreshes + 2} report refreshes to be shown", step=0.02)
        result["shows"] = list(PROBE.shows)
        result["reads"] = list(PROBE.reads)
        result["refreshes"] = PROBE.refreshes
        screen = app.screen
        result["frames"] = [(start, seconds) for owner, start, seconds in PROBE.frames if owner is screen]
        result["report_rows"] = screen.query_one("#reports-table").row_count

        # Pause from the Reports screen: the core call runs in a worker, the screen reads again.
        reports_table = screen.query_one("#reports-table")
        reports_table.focus()
        await pilot.pause()
        PROBE.paused_key = screen._cursor_key()
        started = time.perf_counter()
        await pilot.press("p")
        await until(lambda: PROBE.paused_painted is not None, "the reports to show the dispatch paused",
                    step=0.002)
        result["pause_shown"] = PROBE.paused_shown - started
        result["pause_painted"] = PROBE.paused_painted - started
        result["paused_key"] = PROBE.paused_key
    return result


def frames_after(shows: list[tuple[float, float, float]], frames: list[tuple[float, float]]) -> list[float]:
    """For each show_figures but the last, the seconds of the frames of the reports screen that
    started after it and before the next one."""
    return [sum(seconds for f_start, seconds in frames if start + took <= f_start < shows[i + 1][0])
            for i, (start, took, _cpu) in enumerate(shows[:-1])]


# --- bare SQL baselines --------------------------------------------------------------------

def pause_baseline(paused_key: str, repeat: int) -> float:
    """The core's resume and pause of the same dispatch called directly, no dashboard: the best
    pause of `repeat`, in ms."""
    from tui_notifier.core.dispatches import pause_dispatch, resume_dispatch

    best = float("inf")
    for _ in range(repeat):
        resume_dispatch(paused_key)
        started = time.perf_counter()
        pause_dispatch(paused_key)
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def bare(conn: sqlite3.Connection, sql: str, params, repeat: int) -> float:
    best, _median = reports_bench.best_ms(lambda: conn.execute(sql, params).fetchall(), repeat)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=FULL_SIZE, help="clients in all (default 1,000,000)")
    parser.add_argument("--messages", type=int, default=FULL_SIZE, help="messages in all (default 1,000,000)")
    parser.add_argument("--dispatches", type=int, default=20)
    parser.add_argument("--opens", type=int, default=5, help="timed launches; the median counts")
    parser.add_argument("--pages", type=int, default=50, help="page-downs; the mean counts")
    parser.add_argument("--refreshes", type=int, default=10, help="report refreshes; the mean counts")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each bare query; the best counts")
    parser.add_argument("--size", default="120x40", help="terminal size, COLUMNSxROWS (default 120x40)")
    parser.add_argument("--db", type=Path, help="database file to build (default: a temporary one)")
    args = parser.parse_args(argv)
    try:
        size = tuple(int(part) for part in args.size.lower().split("x"))
        assert len(size) == 2 and min(size) > 10
    except (ValueError, AssertionError):
        parser.error("--size must look like 120x40")
    per_dispatch = -(-args.messages // args.dispatches)
    if args.clients < per_dispatch:
        parser.error(f"--clients must be at least --messages / --dispatches ({per_dispatch:,}): "
                     "every dispatch sends to that many clients")

    started = time.perf_counter()
    from tui_notifier.tui.app import NotifierApp  # noqa: F401  (import time, shown apart)
    from tui_notifier.tui.screens.reports import ReportsScreen
    imported = time.perf_counter() - started
    instrument()

    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        tmp = Path(tmp)
        path = args.db or tmp / "tui.db"
        if path.exists():
            parser.error(f"{path} exists; give a new file")
        built = build(path, args.clients, args.messages, args.dispatches)
        n_clients = database.execute_sql("SELECT COUNT(*) FROM client").fetchone()[0]
        n_messages = database.execute_sql("SELECT COUNT(*) FROM message").fetchone()[0]
        close_database()
        print(f"built {n_clients:,} clients and {n_messages:,} messages over {args.dispatches} dispatches "
              f"in {built:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        print(f"dashboard import {imported * 1000:.0f} ms (once per process, not in the figures below)")

        def config(db: Path) -> Config:
            cfg = Config(database=str(db))
            cfg.queue.path = str(tmp / "queue.db")
            cfg.consumer.embedded = False
            return cfg

        empty_db = tmp / "empty.db"
        open_database(str(empty_db))
        empty_cfg = config(empty_db)
        asyncio.run(launch(empty_cfg, size))  # warm-up: first CSS parse, lazy imports
        empty_opens = [asyncio.run(launch(empty_cfg, size)) for _ in range(args.opens)]
        close_database()

        open_database(str(path))
        full_cfg = config(path)
        gc.collect()
        opens = [asyncio.run(launch(full_cfg, size)) for _ in range(args.opens)]
        run = asyncio.run(page_down(full_cfg, size, args.pages, args.refreshes))
        close_database()
        open_database(str(path))
        base_pause = pause_baseline(run["paused_key"], args.repeat)
        close_database()

        page_size = opens[-1]["page_size"]
        conn = sqlite3.connect(path)
        first_sql, first_params = Client.select().order_by(Client.id).limit(page_size).sql()
        middle = n_clients // 2
        page_sql, page_params = (Client.select().where(Client.id > middle)
                                 .order_by(Client.id).limit(page_size).sql())
        base_first = bare(conn, first_sql, first_params, args.repeat)
        base_page = bare(conn, page_sql, page_params, args.repeat)
        base_count = bare(conn, "SELECT COUNT(*) FROM client", (), args.repeat)
        base_group = bare(conn, GROUP_BY_SQL, (), args.repeat)
        conn.close()

    full = args.clients == FULL_SIZE and args.messages == FULL_SIZE
    missed = False

    def verdict(value: float, target: float) -> str:
        nonlocal missed
        if not full:
            return "scaled run, target not applied"
        missed |= value > target
        return "ok" if value <= target else "MISSED"

    def baseline(ms: float, value: float, what: str) -> None:
        print(f"  baseline {ms:9.2f} ms  ratio {value / ms:9.2f}x  {what}")

    def ms(values):
        return [v * 1000 for v in values]

    painted = ms(o["painted"] for o in opens)
    landed = ms(o["landed"] for o in opens)
    empty_painted = statistics.median(ms(o["painted"] for o in empty_opens))
    open_ms = statistics.median(painted)
    print(f"\nopen to clients table painted ({opens[-1]['first_rows']} rows, {args.opens} launches): "
          f"median {open_ms:.1f} ms, best {min(painted):.1f}, worst {max(painted):.1f}; "
          f"first page in the table at {statistics.median(landed):.1f} ms "
          f"(target {TARGET_OPEN_MS:.0f} ms at {FULL_SIZE:,}: {verdict(open_ms, TARGET_OPEN_MS)})")
    baseline(empty_painted, open_ms, "the same launch on an empty database (median, table painted empty)")
    baseline(base_first, open_ms, f"first page, bare SQL: {first_sql.replace('?', str(page_size))}")
    settled = [o for o in opens if o["pages"] > 1]
    if settled:
        print(f"  {len(settled)} of {len(opens)} launches read the first page again once laid out "
              f"({settled[-1]['rows']} rows, {settled[-1]['pages']} pages shown); that one painted at median "
              f"{statistics.median(ms(o['settled'] for o in settled)):.1f} ms")
    print(f"  (the open also counts the directory off the UI thread; bare SELECT COUNT(*) FROM client "
          f"{base_count:.2f} ms)")

    page_painted, page_landed = ms(run["painted"]), ms(run["landed"])
    page_ms = statistics.mean(page_painted)
    print(f"\npage-down ({len(page_painted)} pages of {run['per_page']} rows, down to client "
          f"{run['last_first_id']:,}): mean {page_ms:.1f} ms key to painted, "
          f"median {statistics.median(page_painted):.1f}, worst {max(page_painted):.1f}; key to rows in "
          f"the table mean {statistics.mean(page_landed):.1f} ms "
          f"(target {TARGET_PAGE_MS:.0f} ms at {FULL_SIZE:,}: {verdict(page_ms, TARGET_PAGE_MS)})")
    baseline(base_page, page_ms, "one page, bare SQL: "
             + page_sql.replace("?", str(middle), 1).replace("?", str(page_size), 1))

    shows, reads = run["shows"], run["reads"]
    first_show, steady = shows[0], shows[1:]
    cycles = len(steady) - 1
    # Everything the UI thread did from the end of one steady refresh to the end of the next.
    per_refresh = (steady[-1][2] - steady[0][2]) * 1000 / cycles
    copy = ms(took for _start, took, _cpu in steady)
    after = ms(frames_after(steady, run["frames"]))
    read_ms = ms(reads)
    idle_ms = max(run["idle_cpu_per_s"] * 1000 * ReportsScreen.REFRESH_SECONDS, 0.01)
    print(f"\nreports refresh ({cycles} refreshes after the first, {run['report_rows']} dispatches): "
          f"UI thread {per_refresh:.1f} ms per refresh, all included "
          f"(target {TARGET_REFRESH_MS:.0f} ms at {FULL_SIZE:,}: {verdict(per_refresh, TARGET_REFRESH_MS)})")
    print(f"  of which show_figures (figures copied into the widgets): mean {statistics.mean(copy):.1f} ms, "
          f"worst {max(copy):.1f}")
    print(f"  of which frames after it (layout and render of the screen): mean {statistics.mean(after):.1f} ms, "
          f"worst {max(after):.1f}")
    print(f"  the first refresh, which fills the table: show_figures {first_show[1] * 1000:.1f} ms")
    print(f"  background read_figures: mean {statistics.mean(read_ms):.1f} ms, worst {max(read_ms):.1f} "
          f"({run['refreshes']} refreshes started, {len(reads)} reads finished, {len(shows)} shown: "
          f"{len(reads) - len(shows)} finished reads superseded by a newer one and dropped)")
    baseline(idle_ms, per_refresh, f"UI thread of the idle clients screen over {ReportsScreen.REFRESH_SECONDS:.0f} s "
             "(header and dispatch watch)")
    baseline(base_group, per_refresh, f"UI thread against bare SQL: {GROUP_BY_SQL}")
    baseline(base_group, statistics.mean(read_ms), "background read against the same bare SQL")

    pause_ms = run["pause_painted"] * 1000
    print(f"\npause on Reports (key p, the core call in a worker): {pause_ms:.1f} ms from the key press to "
          f"the frame showing the dispatch paused; figures with it paused in the screen at "
          f"{run['pause_shown'] * 1000:.1f} ms")
    baseline(base_pause, pause_ms, "the core's pause_dispatch called directly (best)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
