"""A local stand-in for both providers, with faults that can be switched on and off.

Serves on 127.0.0.1:
- probe: `POST /send/{id}` (Bearer token when one is set) -> `{"code": 0, "message": "OK"}`
- hyber: `POST /{client_id}` (Basic auth when a login is set) -> `{"message_id": "<uuid>"}`, and
  `GET /{client_id}/api/dr/{message_id}/simple|advanced` or `.../api/dr/external/{extra_id}/...`:
  status -1 for the first half of `dr_delay`, then 1 (in delivery), then 2 (delivered) or,
  for an `undelivered_rate` share, 5 (not delivered).
- `GET /_emulator/stats` what it accepted, repeats of one message id included
  (`?ids=1` adds the count per id, and the text and alpha name each id last came with); `POST /_emulator/faults` with a JSON object changes faults
  (`down_for` takes the server down for that many seconds from now); `POST /_emulator/reset`.

A 401 echoes the credentials the request carried, as careless providers do, so that tests
can check they are masked everywhere.

Faults on sends: `fail_rate` (500/502/503, with `fail_text` as the error's text), `malformed_rate` (200 with a broken body; the
message *was* accepted, as with a real provider whose answer got mangled), `hang_rate` (no
answer for `hang_seconds`), `down` (connections are closed without an answer), `latency_ms`,
`drip_rate` (the answer to an accepted send sent a byte every `drip_seconds`), `throttle_rate`
(answered `throttle_status`, 429 or 503, with `Retry-After: retry_after` seconds, or that
many seconds from now as an HTTP date when `retry_after_format` is `date`). The stats count
`answered`: accepted sends whose answer was written to the end.

It is a small HTTP/1.1 server on asyncio (keep-alive, one request at a time per connection,
bodies by Content-Length): one loop serves many thousands of requests a second, so a
benchmark measures the engine and not its stand-in gateway.
"""
from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import random
import signal
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

CONTROL = "/_emulator/"
MALFORMED_BODIES = (b'{"code": 0, "mess', b"<html><body>502 Bad Gateway</body></html>", b"OK", b"",
                    b'{"message_id": null}', b"[0]")


@dataclass
class Faults:
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    fail_text: str = ""
    """The text a failure answer carries (empty: the provider's usual one)."""
    malformed_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    down_until: float = 0.0
    token: str = ""
    login: str = ""
    password: str = ""
    dr_delay: float = 2.0
    undelivered_rate: float = 0.0
    drip_rate: float = 0.0
    drip_seconds: float = 0.5
    throttle_rate: float = 0.0
    throttle_status: float = 429
    retry_after: float = 1.0
    retry_after_format: str = "seconds"

    def update(self, changes: dict) -> None:
        known = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key == "down_for":
                self.down_until = time.time() + float(value)
            elif key in known:
                setattr(self, key, type(getattr(self, key))(value))
            else:
                raise KeyError(key)
        if self.retry_after_format not in ("seconds", "date"):
            self.retry_after_format = "seconds"
            raise ValueError("retry_after_format: seconds or date")

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
        self.answered: dict[str, int] = {}
        self.first_request_at: float | None = None
        self.last_request_at: float | None = None
        self.last_accepted_at: float | None = None
        self.report_requests = 0
        self.hyber: dict[str, HyberMessage] = {}
        self.by_extra_id: dict[str, str] = {}
        self.texts: dict[str, list] = {}
        """The last text (and hyber alpha name) accepted per message id, to check what reached the gateway."""

    def request(self) -> None:
        now = time.time()
        with self.lock:
            self.requests += 1
            self.last_request_at = now
            if self.first_request_at is None:
                self.first_request_at = now

    def accept(self, message_id: str, text: str, sender: str | None = None) -> None:
        with self.lock:
            self.accepted[message_id] = self.accepted.get(message_id, 0) + 1
            self.texts[message_id] = [text, sender]
            self.last_accepted_at = time.time()

    def answer(self, message_id: str) -> None:
        with self.lock:
            self.answered[message_id] = self.answered.get(message_id, 0) + 1

    def snapshot(self, with_ids: bool) -> dict:
        with self.lock:
            data = {
                "requests": self.requests,
                "accepted": len(self.accepted),
                "accepted_total": sum(self.accepted.values()),
                "answered": len(self.answered),
                "answered_total": sum(self.answered.values()),
                "repeats": {k: v for k, v in self.accepted.items() if v > 1},
                "first_request_at": self.first_request_at,
                "last_request_at": self.last_request_at,
                "last_accepted_at": self.last_accepted_at,
                "report_requests": self.report_requests,
            }
            if with_ids:
                data["ids"] = dict(self.accepted)
                data["answered_ids"] = dict(self.answered)
                data["texts"] = {k: v[0] for k, v in self.texts.items()}
                data["senders"] = {k: v[1] for k, v in self.texts.items() if v[1] is not None}
        return data


MAX_HEAD = 64 * 1024
DROP = None
"""What a handler returns to close the connection without an answer."""


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    accepted: str | None = None
    """The message id an accepted send carried, once the handler took it."""


def _reply(status: int, body, content_type: str = "application/json",
           headers: dict[str, str] | None = None) -> tuple[int, bytes, str, dict]:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, payload, content_type, headers or {}


def _send_route(path: str) -> tuple[str, str] | None:
    """(`probe` or `hyber`, the id or client id in the path) for a send, else None."""
    if path.startswith(CONTROL):
        return None
    parts = [p for p in path.split("/") if p]
    if len(parts) == 2 and parts[0] == "send":
        return "probe", parts[1]
    if len(parts) == 1:
        return "hyber", parts[0]
    return None


class _Handler:
    """The provider APIs and the control paths: a request in, an answer (or DROP) out."""

    def __init__(self, emulator: "Emulator"):
        self.emulator = emulator

    def before(self, request: Request) -> tuple[str, float]:
        """What happens before the answer: (`now`, `drop`, `hang` or `wait`, seconds); the
        answer itself drips when `drip` says so."""
        if request.method != "POST" or _send_route(request.path) is None:
            return "now", 0.0
        faults, rnd = self.emulator.faults, self.emulator.random
        self.emulator.stats.request()
        if faults.down:
            return "drop", 0.0
        if faults.hang_rate and rnd.random() < faults.hang_rate:
            return "hang", faults.hang_seconds
        if faults.latency_ms:
            return "wait", faults.latency_ms / 1000
        return "now", 0.0

    def answer(self, request: Request):
        if request.method == "GET":
            return self._get(request)
        if request.method == "POST":
            return self._post(request)
        return _reply(405, {"error": "method not allowed"})

    def _get(self, request: Request):
        if request.path.startswith(CONTROL):
            if request.path == CONTROL + "stats":
                with_ids = parse_qs(request.query).get("ids", ["0"])[0] not in ("0", "")
                return _reply(200, self.emulator.stats.snapshot(with_ids))
            if request.path == CONTROL + "faults":
                return _reply(200, self.emulator.faults.public())
            return _reply(404, {"error": "unknown control path"})
        parts = [p for p in request.path.split("/") if p]
        if len(parts) >= 5 and parts[1] == "api" and parts[2] == "dr":
            return self._report(request, parts)
        return _reply(404, {"error_code": 404, "error_text": "not found"})

    def _post(self, request: Request):
        if request.path.startswith(CONTROL):
            return self._control(request)
        route = _send_route(request.path)
        if route is None:
            return _reply(404, {"code": 404, "message": "not found"})
        return self._send(request, *route)

    def _control(self, request: Request):
        if request.path == CONTROL + "faults":
            try:
                changes = json.loads(request.body or b"null")
            except ValueError:
                changes = None
            if not isinstance(changes, dict):
                return _reply(400, {"error": "expected a JSON object"})
            try:
                self.emulator.faults.update(changes)
            except (KeyError, TypeError, ValueError) as exc:
                return _reply(400, {"error": f"bad fault setting: {exc}"})
            return _reply(200, self.emulator.faults.public())
        if request.path == CONTROL + "reset":
            self.emulator.stats.reset()
            return _reply(200, {"reset": True})
        return _reply(404, {"error": "unknown control path"})

    # -- provider APIs

    def _send(self, request: Request, api: str, key: str):
        faults, rnd = self.emulator.faults, self.emulator.random
        if not self._authorised(request, api):
            given = request.headers.get("authorization", "")
            if api == "probe":
                return _reply(401, {"code": 401, "message": f"invalid token; you sent {given!r}"})
            return _reply(401, {"error_code": 401, "error_text": f"authorization failed for {given!r}"})
        if faults.throttle_rate and rnd.random() < faults.throttle_rate:
            return self._throttled(api)
        if faults.fail_rate and rnd.random() < faults.fail_rate:
            status = rnd.choice((500, 502, 503))
            if api == "probe":
                return _reply(status, {"code": status, "message": faults.fail_text or "internal error"})
            return _reply(status, {"error_code": status, "error_text": faults.fail_text or "temporary failure"})
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        if api == "probe":
            answer = self._probe(key, data, rnd)
        else:
            answer = self._hyber(data, rnd)
        if answer[0] == 200:
            request.accepted = key if api == "probe" else str(data["extra_id"])
        return answer

    def _throttled(self, api: str):
        faults = self.emulator.faults
        status = int(faults.throttle_status)
        if faults.retry_after_format == "date":
            after = email.utils.formatdate(time.time() + faults.retry_after, usegmt=True)
        else:
            after = f"{faults.retry_after:g}"
        body = ({"code": status, "message": "too many requests"} if api == "probe"
                else {"error_code": status, "error_text": "too many requests"})
        return _reply(status, body, headers={"Retry-After": after})

    def drips(self) -> bool:
        """Whether this answer to an accepted send goes out a byte at a time."""
        rate = self.emulator.faults.drip_rate
        return bool(rate) and self.emulator.random.random() < rate

    def _authorised(self, request: Request, api: str) -> bool:
        faults = self.emulator.faults
        given = request.headers.get("authorization")
        if api == "probe":
            return not faults.token or given == f"Bearer {faults.token}"
        if not faults.login:
            return True
        expected = base64.b64encode(f"{faults.login}:{faults.password}".encode()).decode()
        return given == f"Basic {expected}"

    def _malformed(self, rnd):
        rate = self.emulator.faults.malformed_rate
        if rate and rnd.random() < rate:
            return _reply(200, rnd.choice(MALFORMED_BODIES), "text/plain")
        return None

    def _probe(self, key: str, data, rnd):
        if (not isinstance(data, dict) or str(data.get("id")) != key
                or not isinstance(data.get("phone"), int) or not isinstance(data.get("text"), str)):
            return _reply(400, {"code": 400, "message": "expected {id, phone (integer), text}"})
        self.emulator.stats.accept(key, data["text"])
        return self._malformed(rnd) or _reply(200, {"code": 0, "message": "OK"})

    def _hyber(self, data, rnd):
        sms = (((data or {}).get("channel_options") or {}).get("sms") or {}) if isinstance(data, dict) else {}
        if (not isinstance(data, dict) or not isinstance(data.get("phone_number"), int)
                or not data.get("extra_id") or not isinstance(sms.get("text"), str)):
            return _reply(400, {"error_code": 7, "error_text": "invalid request body"})
        extra_id = str(data["extra_id"])
        message_id = str(uuid.uuid4())
        faults, stats = self.emulator.faults, self.emulator.stats
        with stats.lock:
            stats.hyber[message_id] = HyberMessage(extra_id, data["phone_number"], self.emulator.clock(),
                                                   rnd.random() >= faults.undelivered_rate)
            stats.by_extra_id[extra_id] = message_id
        stats.accept(extra_id, sms["text"], sms.get("alpha_name"))
        return self._malformed(rnd) or _reply(200, {"message_id": message_id})

    def _report(self, request: Request, parts: list[str]):
        stats, faults = self.emulator.stats, self.emulator.faults
        with stats.lock:
            stats.report_requests += 1
        if faults.down:
            return DROP
        if not self._authorised(request, "hyber"):
            return _reply(401, {"error_code": 401, "error_text": "authorization failed"})
        external = parts[3] == "external"
        key = parts[4] if external else parts[3]
        with stats.lock:
            message_id = stats.by_extra_id.get(key) if external else key
            message = stats.hyber.get(message_id or "")
        if message is None:
            return _reply(404, {"error_code": 404, "error_text": "message not found"})
        age = self.emulator.clock() - message.accepted_at
        if age < faults.dr_delay / 2:
            status, substatus = -1, None
        elif age < faults.dr_delay:
            status, substatus = 1, 11
        elif message.delivered:
            status, substatus = 2, 23
        else:
            status, substatus = 5, 51
        report = {"phone_number": str(message.phone), "last_partner": "sms", "message_id": message_id,
                  "extra_id": message.extra_id, "time": int(self.emulator.clock() * 1000), "status": status}
        if substatus is not None:
            report.update(substatus=substatus, hyber_status=substatus * 1000 + 11,
                          total_sms_parts=1, delivered_sms_parts=1 if status == 2 else 0)
        if parts[-1] == "advanced":
            report = {"reports": [report], "started": True, "processing": status in (-1, 1),
                      "delivered_via": "sms" if status == 2 else None, "clicks": 0,
                      "channels": [{"channel": "sms", "ttl": 300}]}
        return _reply(200, report)


def _head(status: int, length: int, content_type: str, close: bool, headers: dict) -> bytes:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {status} {reason}", "Server: tui-notifier-sandbox",
             f"Content-Type: {content_type}", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Connection(asyncio.Protocol):
    """One client connection: reads a request, answers it (maybe later), then the next."""

    def __init__(self, emulator: "Emulator"):
        self.emulator = emulator
        self.handler = emulator.handler
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.emulator.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.emulator.connections.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def _next(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self.transport.close()
                return
            try:
                request, close, size = self._parse(end)
            except ValueError:
                self._write(_reply(400, {"error": "bad request"}), close=True)
                return
            if len(self.buffer) < size:
                return
            request.body = bytes(self.buffer[end + 4:size])
            del self.buffer[:size]
            self._handle(request, close)

    def _parse(self, end: int) -> tuple[Request, bool, int]:
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        if length < 0 or "chunked" in headers.get("transfer-encoding", "").lower():
            raise ValueError("unsupported body")
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        path, _, query = target.partition("?")
        return Request(method, path, query, headers, b""), close, end + 4 + length

    def _handle(self, request: Request, close: bool) -> None:
        action, seconds = self.handler.before(request)
        if action == "drop":
            self.transport.close()
            return
        self.busy = True
        loop = asyncio.get_running_loop()
        if action == "hang":
            self.timer = loop.call_later(seconds, self.transport.close)
        elif action == "wait":
            self.timer = loop.call_later(seconds, self._answer, request, close)
        else:
            self._answer(request, close)

    def _answer(self, request: Request, close: bool) -> None:
        self.timer = None
        if self.transport is None:
            return
        try:
            answer = self.handler.answer(request)
        except Exception as exc:  # a bug in the emulator must answer, not kill the connection
            answer = _reply(500, {"error": f"emulator error: {exc!r}"})
        if answer is DROP:
            self.transport.close()
            return
        if request.accepted is not None and self.handler.drips():
            self._drip(answer, close, request.accepted)
            return
        self._write(answer, close)
        if request.accepted is not None:
            self.emulator.stats.answer(request.accepted)
        self.busy = False
        self._next()

    def _drip(self, answer, close: bool, message_id: str) -> None:
        """The head now, then the body a byte every `drip_seconds`."""
        status, payload, content_type, headers = answer
        self.transport.write(_head(status, len(payload), content_type, close, headers))

        def one_more(rest: bytes) -> None:
            self.timer = None
            if self.transport is None:
                return
            self.transport.write(rest[:1])
            if len(rest) > 1:
                self.timer = asyncio.get_running_loop().call_later(
                    self.emulator.faults.drip_seconds, one_more, rest[1:])
                return
            self.emulator.stats.answer(message_id)
            if close:
                self.transport.close()
                return
            self.busy = False
            self._next()

        self.timer = asyncio.get_running_loop().call_later(self.emulator.faults.drip_seconds, one_more, payload)

    def _write(self, answer, close: bool) -> None:
        status, payload, content_type, headers = answer
        self.transport.write(_head(status, len(payload), content_type, close, headers) + payload)
        if close:
            self.transport.close()


class Emulator:
    """The emulator's server; `start()` serves from a thread, `serve_forever()` in the foreground.

    The port is bound at construction, so a port in use is an OSError there. `clock` (epoch
    seconds) is what delivery reports age by; a test may step it."""

    def __init__(self, port: int = 0, faults: Faults | None = None, seed: int | None = None):
        self.clock = time.time
        self.faults = faults or Faults()
        self.stats = Stats()
        self.random = random.Random(seed)
        self.handler = _Handler(self)
        self.connections: set[_Connection] = set()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
            self.socket.listen(4096)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def port(self) -> int:
        return self.socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Emulator":
        self._thread = threading.Thread(target=self._serve, name="emulator", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until SIGTERM or SIGINT."""
        self._serve(signals=True)

    def _serve(self, signals: bool = False) -> None:
        self.loop = loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(loop.create_server(lambda: _Connection(self), sock=self.socket,
                                                            backlog=4096))
        if signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, loop.stop)
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            server.close()
            for connection in list(self.connections):
                if connection.transport is not None:
                    connection.transport.abort()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        self.socket.close()
