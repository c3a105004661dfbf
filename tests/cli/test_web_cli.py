"""`tui-notifier web`: only this machine may connect unless the operator names the public
address, and then it is told there is no login."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from servers import free_port

pytest.importorskip("textual_serve", reason="the web extra (textual-serve) is not installed")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "dash.example.org"])
def test_a_host_other_machines_can_reach_is_refused_without_a_public_url(cli, host):
    result = cli("web", "--host", host, "--port", "8099")
    assert result.code == 2 and result.out == ""
    assert result.err.splitlines()[-1] == (
        f"tui-notifier web: error: --host {host} lets other machines in and the dashboard has no login; "
        "give --public-url URL (the address browsers open) to serve it anyway")


def test_a_public_url_that_is_not_an_http_address_is_a_usage_error(cli):
    result = cli("web", "--public-url", "dash.example.org")
    assert result.code == 2 and "--public-url must be http(s)://HOST[:PORT]" in result.err


def test_with_a_public_url_it_serves_and_warns_there_is_no_login(config_file, cli_env, tmp_path):
    port = free_port()
    output = tmp_path / "web.out"
    with output.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_notifier", "--config", str(config_file), "web", "--port", str(port),
             "--public-url", f"http://127.0.0.1:{port}/"],
            stdout=out, stderr=subprocess.STDOUT, env=cli_env, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while "the dashboard is at" not in output.read_text() and server.poll() is None:
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        text = output.read_text()
        assert ("tui-notifier: warning: there is no login: anyone who can open "
                f"http://127.0.0.1:{port}/ can read and change") in text
        assert f"the dashboard is at http://127.0.0.1:{port} (" in text
        server.send_signal(signal.SIGTERM)
        assert server.wait(15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
