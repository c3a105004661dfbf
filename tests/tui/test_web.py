"""The dashboard in a real headless Chromium, served by `tui-notifier web`: the page, keys,
a client added through it, no request to any other host, and no dashboard process left
after SIGTERM."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from servers import free_port
from tests.tui.conftest import make_app, settle
from tui_notifier.db import close_database, open_database
from tui_notifier.models import Client

# The page's xterm.js terminal draws on canvases; this hook keeps a handle on it so the test
# can read the screen's text from its buffer.
HOOK = """Object.defineProperty(Object.prototype, "terminal", {configurable: true, get() { return undefined; },
  set(v) { Object.defineProperty(this, "terminal", {value: v, writable: true, configurable: true, enumerable: true});
           if (v && v.buffer && v.options) window.__xterm = v; }});"""
SCREEN = """const t = window.__xterm; if (!t) return null; const b = t.buffer.active, out = [];
for (let y = 0; y < t.rows; y++) out.push(b.getLine(b.viewportY + y).translateToString(true)); return out.join("\\n");"""
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,900")


def chromedriver() -> str:
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed (it is in the test extra)")
    driver = shutil.which("chromedriver")
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or driver is None:
        pytest.skip("headless Chromium is missing: install Debian's chromium and chromium-driver")
    return driver


def children_of(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(p) for p in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@pytest.fixture
def web(tmp_path):
    """`tui-notifier web` on 127.0.0.1 over a fresh SQLite file; the config asks for an embedded
    consumer, which the browser's dashboards must not run."""
    db = tmp_path / "notifier.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {json.dumps(str(db))}\nqueue:\n  path: {json.dumps(str(tmp_path / 'queue.db'))}\n"
                      "consumer:\n  embedded: true\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TUI_NOTIFIER_CONFIG"}
    output = tmp_path / "web.out"
    port = free_port()
    with output.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "tui_notifier", "--config", str(config), "web",
                                   "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL,
                                  cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: server.poll() is not None or f"the dashboard is at {url} " in output.read_text(), 30,
                 "the server to listen")
        assert server.poll() is None, output.read_text()
        yield server, url + "/", db
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(10)


@pytest.fixture
def chromium(tmp_path, monkeypatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    monkeypatch.setenv("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(chromedriver()), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    try:
        yield driver
    finally:
        driver.quit()


def screen_of(driver, needle: str, timeout: float = 30) -> str:
    return wait_for(lambda: (s := driver.execute_script(SCREEN)) and needle in s and s, timeout,
                    f"{needle!r} on the page's terminal")


def requested_hosts(driver) -> set[str]:
    """The hosts of every network request and websocket the browser made (its own chrome:
    pages aside)."""
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        url = params.get("request", {}).get("url") or (params.get("url") if "webSocket" in message["method"] else None)
        if url and urlsplit(url).scheme in ("http", "https", "ws", "wss"):
            hosts.add(urlsplit(url).hostname)
    return hosts


def count_clients(db: Path, phone: str) -> int:
    open_database(str(db))
    try:
        return Client.select().where(Client.phone == phone).count()
    finally:
        close_database()


def test_a_browser_tab_runs_the_dashboard_adds_a_client_and_sigterm_leaves_no_process(web, chromium):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    server, url, db = web
    chromium.get(url)
    screen = screen_of(chromium, "No clients yet")
    assert "1 Clients" in screen and "consumer none (browser: none embedded)" in screen

    chromium.find_element(By.CSS_SELECTOR, "#terminal").click()
    ActionChains(chromium).send_keys("a").perform()
    screen_of(chromium, "Operator code")
    ActionChains(chromium).send_keys("79001234567").perform()
    screen_of(chromium, "79001234567")
    ActionChains(chromium).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
    wait_for(lambda: count_clients(db, "79001234567") == 1, 30, "the client in the database")
    screen = screen_of(chromium, "Clients 1")
    assert "79001234567" in screen

    assert requested_hosts(chromium) == {"127.0.0.1"}

    tabs = children_of(server.pid)
    assert len(tabs) == 1
    server.send_signal(signal.SIGTERM)
    assert server.wait(15) == 0
    assert [pid for pid in tabs if alive(pid)] == []


async def test_a_browser_dashboard_never_runs_an_embedded_consumer_and_says_so(tui_config):
    tui_config.consumer.embedded = True
    app = make_app(tui_config, browser=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.consumer is None
        assert str(app.screen.query_one("#consumer-label").render()) == "consumer none (browser: none embedded)"
