"""A local stand-in for both providers, with faults that can be switched on and off.

Serves on 127.0.0.1:
- probe: `POST /send/{id}` (Bearer token when one is set) -> `{"code": 0, "message": "OK"}`
- hyber: `POST /{client_id}` (Basic auth when a login is set) -> `{"message_id": "<uuid>"}`, and
  `GET /{client_id}/api/dr/{message_id}/simple|advanced` or `.../api/dr/external/{extra_id}/...`:
  status -1 for the first half of `dr_delay`, then 1 (in delivery), then 2 (delivered) or,
  for an `undelivered_rate` share, 5 (not delivered).
- `GET /_emulator/stats` what it accepted, repeats of one message id included
  (`?ids=1` adds the count per id); `POST /_emulator/faults` with a JSON object changes faults
  (`down_for` takes the server down for that many seconds from now); `POST /_emulator/reset`.

Faults on sends: `fail_rate` (500/502/503), `malformed_rate` (200 with a broken body; the
message *was* accepted, as with a real provider whose answer got mangled), `hang_rate` (no
answer for `hang_seconds`), `down` (connections are closed without an answer), `latency_ms`.
"""
from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONTROL = "/_emulator/"
MALFORMED_BODIES = (b'{"code": 0, "mess', b"<html><body>502 Bad Gateway</body></html>", b"OK", b"",
                    b'{"message_id": null}', b"[0]")


@dataclass
class Faults:
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    malformed_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    down_until: float = 0.0
    token: str = ""
    login: str = ""
    password: str = ""
    dr_delay: float = 2.0
    undelivered_rate: float = 0.0

    def update(self, changes: dict) -> None:
        known = {f.name: f.type for f in fields(self)}
        for key, value in changes.items():
            if key == "down_for":
                self.down_until = time.time() + float(value)
            elif key in known:
                setattr(self, key, str(value) if key in ("token", "login", "password") else float(value))
            else:
                raise KeyError(key)

    @property
    def down(self) -> bool:
        return time.time() < self.down_until

    def public(self) -> dict:
        data = asdict(self)
        for secret in ("token", "password"):
            data[secret] = "***" if data[secret] else ""
        data["down"] = self.down
        return data


@dataclass
class HyberMessage:
    extra_id: str
    phone: int
    accepted_at: float
    delivered: bool


class Stats:
    """What the emulator received and accepted; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.accepted: dict[str, int] = {}
        self.first_request_at: float | None = None
        self.last_request_at: float | None = None
        self.last_accepted_at: float | None = None
        self.report_requests = 0
        self.hyber: dict[str, HyberMessage] = {}
        self.by_extra_id: dict[str, str] = {}

    def request(self) -> None:
        now = time.time()
        with self.lock:
            self.requests += 1
            self.last_request_at = now
            if self.first_request_at is None:
                self.first_request_at = now

    def accept(self, message_id: str) -> None:
        with self.lock:
            self.accepted[message_id] = self.accepted.get(message_id, 0) + 1
            self.last_accepted_at = time.time()

    def snapshot(self, with_ids: bool) -> dict:
        with self.lock:
            data = {
                "requests": self.requests,
                "accepted": len(self.accepted),
                "accepted_total": sum(self.accepted.values()),
                "repeats": {k: v for k, v in self.accepted.items() if v > 1},
                "first_request_at": self.first_request_at,
                "last_request_at": self.last_request_at,
                "last_accepted_at": self.last_accepted_at,
                "report_requests": self.report_requests,
            }
            if with_ids:
                data["ids"] = dict(self.accepted)
        return data


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tui-notifier-sandbox"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    @property
    def emulator(self) -> "Emulator":
        return self.server.emulator  # type: ignore[attr-defined]

    # -- plumbing

    def _reply(self, status: int, body, content_type: str = "application/json") -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        head = (f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n\r\n")
        self.wfile.write(head.encode("latin-1") + payload)

    def _drop(self) -> None:
        """Close the connection without an answer, as a server going away does."""
        self.close_connection = True

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self):
        try:
            return json.loads(self._body() or b"null")
        except ValueError:
            return None

    # -- routing

    def do_GET(self):  # noqa: N802
        path = urlsplit(self.path)
        if path.path.startswith(CONTROL):
            if path.path == CONTROL + "stats":
                with_ids = parse_qs(path.query).get("ids", ["0"])[0] not in ("0", "")
                return self._reply(200, self.emulator.stats.snapshot(with_ids))
            if path.path == CONTROL + "faults":
                return self._reply(200, self.emulator.faults.public())
            return self._reply(404, {"error": "unknown control path"})
        parts = [p for p in path.path.split("/") if p]
        if len(parts) >= 5 and parts[1] == "api" and parts[2] == "dr":
            return self._report(parts)
        return self._reply(404, {"error_code": 404, "error_text": "not found"})

    def do_POST(self):  # noqa: N802
        path = urlsplit(self.path).path
        if path.startswith(CONTROL):
            return self._control(path)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "send":
            return self._send("probe", parts[1])
        if len(parts) == 1:
            return self._send("hyber", parts[0])
        self._body()
        return self._reply(404, {"code": 404, "message": "not found"})

    def _control(self, path: str) -> None:
        if path == CONTROL + "faults":
            changes = self._json_body()
            if not isinstance(changes, dict):
                return self._reply(400, {"error": "expected a JSON object"})
            try:
                self.emulator.faults.update(changes)
            except (KeyError, TypeError, ValueError) as exc:
                return self._reply(400, {"error": f"bad fault setting: {exc}"})
            return self._reply(200, self.emulator.faults.public())
        if path == CONTROL + "reset":
            self._body()
            self.emulator.stats.reset()
            return self._reply(200, {"reset": True})
        self._body()
        return self._reply(404, {"error": "unknown control path"})

    # -- provider APIs

    def _send(self, api: str, key: str) -> None:
        faults, stats = self.emulator.faults, self.emulator.stats
        rnd = self.emulator.random
        body = self._body()
        stats.request()
        if faults.down:
            return self._drop()
        if faults.hang_rate and rnd.random() < faults.hang_rate:
            self.emulator.stopping.wait(faults.hang_seconds)
            return self._drop()
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if not self._authorised(api):
            if api == "probe":
                return self._reply(401, {"code": 401, "message": "invalid token"})
            return self._reply(401, {"error_code": 401, "error_text": "authorization failed"})
        if faults.fail_rate and rnd.random() < faults.fail_rate:
            status = rnd.choice((500, 502, 503))
            if api == "probe":
                return self._reply(status, {"code": status, "message": "internal error"})
            return self._reply(status, {"error_code": status, "error_text": "temporary failure"})
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if api == "probe":
            return self._probe(key, data, rnd)
        return self._hyber(data, rnd)

    def _authorised(self, api: str) -> bool:
        faults = self.emulator.faults
        if api == "probe":
            return not faults.token or self.headers.get("Authorization") == f"Bearer {faults.token}"
        if not faults.login:
            return True
        expected = base64.b64encode(f"{faults.login}:{faults.password}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {expected}"

    def _malformed(self, rnd) -> bool:
        rate = self.emulator.faults.malformed_rate
        if rate and rnd.random() < rate:
            self._reply(200, rnd.choice(MALFORMED_BODIES), "text/plain")
            return True
        return False

    def _probe(self, key: str, data, rnd) -> None:
        if (not isinstance(data, dict) or str(data.get("id")) != key
                or not isinstance(data.get("phone"), int) or not isinstance(data.get("text"), str)):
            return self._reply(400, {"code": 400, "message": "expected {id, phone (integer), text}"})
        self.emulator.stats.accept(key)
        if self._malformed(rnd):
            return
        self._reply(200, {"code": 0, "message": "OK"})

    def _hyber(self, data, rnd) -> None:
        sms = (((data or {}).get("channel_options") or {}).get("sms") or {}) if isinstance(data, dict) else {}
        if (not isinstance(data, dict) or not isinstance(data.get("phone_number"), int)
                or not data.get("extra_id") or not isinstance(sms.get("text"), str)):
            return self._reply(400, {"error_code": 7, "error_text": "invalid request body"})
        extra_id = str(data["extra_id"])
        message_id = str(uuid.uuid4())
        faults, stats = self.emulator.faults, self.emulator.stats
        with stats.lock:
            stats.hyber[message_id] = HyberMessage(extra_id, data["phone_number"], time.time(),
                                                   rnd.random() >= faults.undelivered_rate)
            stats.by_extra_id[extra_id] = message_id
        stats.accept(extra_id)
        if self._malformed(rnd):
            return
        self._reply(200, {"message_id": message_id})

    def _report(self, parts: list[str]) -> None:
        stats, faults = self.emulator.stats, self.emulator.faults
        with stats.lock:
            stats.report_requests += 1
        if faults.down:
            return self._drop()
        if not self._authorised("hyber"):
            return self._reply(401, {"error_code": 401, "error_text": "authorization failed"})
        external = parts[3] == "external"
        key = parts[4] if external else parts[3]
        with stats.lock:
            message_id = stats.by_extra_id.get(key) if external else key
            message = stats.hyber.get(message_id or "")
        if message is None:
            return self._reply(404, {"error_code": 404, "error_text": "message not found"})
        age = time.time() - message.accepted_at
        if age < faults.dr_delay / 2:
            status, substatus = -1, None
        elif age < faults.dr_delay:
            status, substatus = 1, 11
        elif message.delivered:
            status, substatus = 2, 23
        else:
            status, substatus = 5, 51
        report = {"phone_number": str(message.phone), "last_partner": "sms", "message_id": message_id,
                  "extra_id": message.extra_id, "time": int(time.time() * 1000), "status": status}
        if substatus is not None:
            report.update(substatus=substatus, hyber_status=substatus * 1000 + 11,
                          total_sms_parts=1, delivered_sms_parts=1 if status == 2 else 0)
        if parts[-1] == "advanced":
            report = {"reports": [report], "started": True, "processing": status in (-1, 1),
                      "delivered_via": "sms" if status == 2 else None, "clicks": 0,
                      "channels": [{"channel": "sms", "ttl": 300}]}
        return self._reply(200, report)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


class Emulator:
    """The emulator's server; `start()` serves from a thread, `serve_forever()` in the foreground."""

    def __init__(self, port: int = 0, faults: Faults | None = None, seed: int | None = None):
        self.faults = faults or Faults()
        self.stats = Stats()
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.emulator = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Emulator":
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(5)
