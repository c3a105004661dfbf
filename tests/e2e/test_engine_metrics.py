"""`consumer --metrics-port`: Prometheus metrics of a real consumer sending to a faulty gateway."""
from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from servers import free_port
from harness import add_clients


def scrape(port: int) -> dict:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = sample.name + "".join(f"|{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[key] = sample.value
    return samples


def test_metrics_count_sends_retries_latency_and_read_totals_from_the_database(stack):
    stack.start_emulator("--fail-rate", "0.3")
    stack.configure()
    add_clients(60)
    port = free_port()
    stack.consumer("consumer", "--metrics-port", str(port))
    d = stack.dispatch()
    stack.wait_status(d.id, "finished", timeout=20)
    attempts = stack.attempts(d.id)
    retried = sum(1 for a in attempts if a.outcome != "sent")

    m = scrape(port)

    assert m["tui_notifier_sends_total|outcome=sent"] == 60
    assert m["tui_notifier_sends_total|outcome=retry"] == retried > 0
    assert m["tui_notifier_retries_total"] == retried
    assert m["tui_notifier_sends_total|outcome=failed"] == 0
    assert m["tui_notifier_gateway_latency_seconds_count"] == len(attempts)
    assert m["tui_notifier_messages|status=sent"] == 60
    assert m["tui_notifier_messages|status=created"] == 0
    assert m["tui_notifier_dispatches|status=finished"] == 1
    assert m["tui_notifier_consumers"] == 1
    assert m["tui_notifier_database_up"] == 1
    assert m["tui_notifier_queue_tasks|state=pending"] >= 0


def test_a_metrics_port_in_use_is_a_clear_error(stack, tmp_path):
    import socket
    import subprocess
    import sys

    stack.configure()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(stack.config_path),
                              "consumer", "--metrics-port", str(port)],
                             capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert f"metrics on 127.0.0.1:{port}" in run.stderr
