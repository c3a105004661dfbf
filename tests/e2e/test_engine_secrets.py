"""Secrets never get out: a gateway that answers 401 echoing the credentials it was sent, and
URLs with `user:password@`, leave no password, token or URL credential, plain, base64 or
URL-encoded, in the consumer's log, the database file, or the command line's reports."""
from __future__ import annotations

import base64
import subprocess
import sys
from urllib.parse import quote, quote_plus

from harness import add_clients, wait_for

TOKEN = "tok/s3cr3t+Zz9=q"
LOGIN, PASSWORD = "acme-login", "pa ss/w0rd+%x"
QUEUE_PASSWORD = "r3dis-Pw-7"


def forms(secret: str) -> dict[str, str]:
    return {"plain": secret, "url-encoded": quote(secret, safe=""), "form-encoded": quote_plus(secret),
            "base64": base64.b64encode(secret.encode()).decode()}


def leaks(stack, secrets: dict[str, str], outputs: dict[str, str]) -> list[str]:
    """Every (where, which secret, which form) found in the log, the database files and the outputs."""
    places = {"consumer log": stack.consumers[0].log()}
    for path in stack.tmp.glob("app.db*"):
        places[path.name] = path.read_bytes().decode("utf-8", "replace")
    places.update(outputs)
    return [f"{where}: {name} {form}" for where, text in places.items()
            for name, secret in secrets.items() for form, value in forms(secret).items() if value in text]


def cli(stack, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(stack.config_path), *args],
                          capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def reports_of(stack, dispatch_id) -> dict[str, str]:
    return {" ".join(args): cli(stack, *args) for args in (
        ("report", "--json"), ("report", str(dispatch_id), "--messages", "--format", "csv"),
        ("dispatches", "show", str(dispatch_id)), ("audit", "--json"))}


def test_a_probe_gateway_echoing_a_wrong_token_leaks_it_nowhere(stack):
    stack.configure(gateway={"token": TOKEN},
                    queue={"url": f"redis://:{QUEUE_PASSWORD}@127.0.0.1:6390/0"})
    add_clients(5)
    stack.consumer()
    d = stack.dispatch()
    paused = stack.wait_status(d.id, "paused", timeout=20)

    assert "the gateway refused our credentials (HTTP 401" in paused.status_reason
    assert "Bearer ***" in paused.status_reason
    found = leaks(stack, {"token": TOKEN, "queue password": QUEUE_PASSWORD}, reports_of(stack, d.id))
    assert found == []


def test_a_hyber_gateway_echoing_basic_credentials_leaks_them_nowhere(stack):
    stack.start_emulator("--login", LOGIN, "--password", "the-right-one")
    stack.configure(gateway={"kind": "hyber", "url": stack.emulator.url, "dr_url": stack.emulator.url,
                             "client_id": "acme", "login": LOGIN, "password": PASSWORD, "token": ""})
    add_clients(5)
    stack.consumer()
    d = stack.dispatch()
    stack.wait_status(d.id, "paused", timeout=20)

    found = leaks(stack, {"password": PASSWORD, "login:password": f"{LOGIN}:{PASSWORD}"}, reports_of(stack, d.id))
    assert found == []


def test_a_gateway_url_with_credentials_is_logged_without_them(stack):
    stack.start_emulator()
    stack.configure(gateway={"url": stack.emulator.url.replace("http://", f"http://{LOGIN}:{quote(PASSWORD, safe='')}@")})
    consumer = stack.consumer()
    wait_for(lambda: "gateway probe at" in consumer.log(), timeout=10, what="the start line")

    line = next(line for line in consumer.log().splitlines() if "gateway probe at" in line)
    assert "gateway probe at http://127.0.0.1:" in line and LOGIN not in line
    assert leaks(stack, {"login": LOGIN, "password": PASSWORD}, {}) == []
