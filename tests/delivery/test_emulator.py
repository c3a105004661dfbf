"""The emulator serves both provider APIs, switches faults while running, and reports what it
accepted, repeats of one message id included."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

from harness import EmulatorProcess, wait_for


class Answer:
    def __init__(self, status: int, body: bytes):
        self.status_code, self.body = status, body

    def json(self):
        return json.loads(self.body)


def call(url, body=None, headers=None, method="POST") -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read())


def post(url, body, headers=None) -> Answer:
    return call(url, body, headers)


def answers(url, body, headers) -> bool:
    try:
        post(url, body, headers)
    except (urllib.error.URLError, ConnectionError):
        return False
    return True


def test_stats_count_what_was_accepted_and_the_repeats(emulator, token):
    auth = {"Authorization": f"Bearer {token}"}
    for message_id in (1, 2, 2, 3, 3, 3):
        assert post(f"{emulator.url}/send/{message_id}",
                    {"id": message_id, "phone": 79001234567, "text": "x"}, auth).json() == {
            "code": 0, "message": "OK"}
    stats = call(f"{emulator.url}/_emulator/stats?ids=1", method="GET").json()
    assert (stats["requests"], stats["accepted"], stats["accepted_total"]) == (6, 3, 6)
    assert stats["repeats"] == {"2": 2, "3": 3} and stats["ids"] == {"1": 1, "2": 2, "3": 3}
    assert stats["first_request_at"] <= stats["last_request_at"]


def test_a_body_not_shaped_like_the_api_is_rejected_and_not_accepted(emulator, token):
    response = post(f"{emulator.url}/send/5", {"id": 5, "phone": "79001234567", "text": "x"},
                    {"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert emulator.stats.snapshot(False)["accepted"] == 0


def test_faults_switch_while_it_runs(emulator, token):
    auth = {"Authorization": f"Bearer {token}"}
    body = {"id": 1, "phone": 79001234567, "text": "x"}
    faults = post(f"{emulator.url}/_emulator/faults", {"fail_rate": 1}).json()
    assert faults["fail_rate"] == 1 and faults["token"] == "***"
    assert post(f"{emulator.url}/send/1", body, auth).status_code >= 500
    post(f"{emulator.url}/_emulator/faults", {"fail_rate": 0, "down_for": 30})
    assert not answers(f"{emulator.url}/send/1", body, auth), "the server answered while down"
    post(f"{emulator.url}/_emulator/faults", {"down_for": 0})
    wait_for(lambda: answers(f"{emulator.url}/send/1", body, auth), timeout=10, what="up again")
    assert post(f"{emulator.url}/send/1", body, auth).json()["code"] == 0
    assert post(f"{emulator.url}/_emulator/faults", {"bogus": 1}).status_code == 400


def test_reset_forgets_what_was_accepted(emulator, token):
    post(f"{emulator.url}/send/1", {"id": 1, "phone": 79001234567, "text": "x"},
         {"Authorization": f"Bearer {token}"})
    post(f"{emulator.url}/_emulator/reset", {})
    assert emulator.stats.snapshot(False)["accepted"] == 0


def test_the_command_serves_on_localhost_and_stops_on_sigterm(tmp_path):
    stats_file = tmp_path / "stats.json"
    server = EmulatorProcess("--latency-ms", "1", "--token", "abc", "--stats-file", str(stats_file))
    assert server.url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(f"{server.url}/send/4", method="POST",
                                     data=json.dumps({"id": 4, "phone": 79001234567, "text": "x"}).encode(),
                                     headers={"Authorization": "Bearer abc"})
    assert json.loads(urllib.request.urlopen(request, timeout=5).read())["code"] == 0
    assert server.stats()["accepted"] == 1
    server.process.terminate()
    assert server.process.wait(10) == 0
    assert json.loads(stats_file.read_text())["ids"] == {"4": 1}
    server.stop()


def test_the_command_rejects_a_rate_outside_0_to_1():
    out = subprocess.run([sys.executable, "-m", "tui_notifier", "sandbox-gateway", "--fail-rate", "2"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "between 0 and 1" in out.stderr
