"""The dashboard in a browser: textual-serve runs one dashboard process per browser tab.

The page is our own (`templates/app_index.html`): the stock one loads a web font from
another host, ours takes the font, the terminal script and its CSS from this server only.
Each tab's dashboard runs with `TUI_NOTIFIER_BROWSER=1`, so it never runs an embedded
consumer (a tab closed mid-send would stop sending); the header says so. On SIGTERM or
Ctrl-C every tab's process is asked to quit, killed if it does not within a few seconds, and
the server exits: no dashboard process is left behind.
"""
from __future__ import annotations

import asyncio
import ipaddress
import shlex
import sys
from pathlib import Path

BROWSER_ENV = "TUI_NOTIFIER_BROWSER"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STOP_SECONDS = 3.0


def is_loopback(host: str) -> bool:
    """True when only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def app_command(config_path: str | None) -> str:
    """The shell command each tab runs: this Python's dashboard on the same config, with no
    embedded consumer; `exec` makes the dashboard the process the server tracks and stops."""
    command = f"{BROWSER_ENV}=1 exec {shlex.quote(sys.executable)} -m tui_notifier"
    if config_path:
        command += f" --config {shlex.quote(str(Path(config_path).resolve()))}"
    return command


def serve(config_path: str | None, host: str, port: int, public_url: str | None = None,
          title: str = "tui-notifier") -> None:
    """Serve the dashboard until SIGTERM or Ctrl-C (needs the `web` extra: textual-serve)."""
    from textual_serve import server as ts_server
    from textual_serve.app_service import AppService

    live: set[AppService] = set()

    async def stop_app(service: AppService) -> None:
        """Ask a tab's dashboard to quit; kill it when it does not, and always reap it."""
        try:
            await asyncio.wait_for(AppService.stop(service), STOP_SECONDS)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - the process goes either way
            pass
        process = service._process
        if process is not None and process.returncode is None:
            try:
                process.kill()
            except ProcessLookupError:
                pass
            await process.wait()
        live.discard(service)

    class TabApp(AppService):
        """One tab's dashboard process, remembered until it is stopped."""

        async def start(self, width: int, height: int) -> None:
            live.add(self)
            await super().start(width, height)

        async def stop(self) -> None:
            await stop_app(self)

    class DashboardServer(ts_server.Server):
        async def on_startup(self, app) -> None:
            print(f"tui-notifier web: the dashboard is at {self.public_url} (Ctrl-C or SIGTERM stops it)",
                  flush=True)

        async def on_shutdown(self, app) -> None:
            """Runs before aiohttp waits on open websockets: stop every tab's process first."""
            services = list(live)
            await asyncio.gather(*(stop_app(s) for s in services))
            for service in services:
                try:
                    await service.remote_close()
                except Exception:  # noqa: BLE001 - the browser may be gone already
                    pass

    ts_server.AppService = TabApp
    DashboardServer(app_command(config_path), host=host, port=port, title=title, public_url=public_url,
                    templates_path=str(TEMPLATES)).serve()
