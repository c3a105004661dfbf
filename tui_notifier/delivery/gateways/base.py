"""What every gateway offers the engine, and the HTTP plumbing the real ones share.

A gateway is used on the consumer's event loop (`delivery.sender`): `send` and
`fetch_report` are coroutines that say what happened in a `SendResult` / `ReportResult` and
never raise for anything the provider or the network does. HTTP gateways keep one
`aiohttp.ClientSession` each (keep-alive, at most `sending.concurrency` connections, no
cookie jar) and bound every request as a whole by `gateway.timeout`: a provider that
drips its answer a byte at a time holds a request no longer than one that never answers.
A `Retry-After` on a 429 or 503 (seconds or an HTTP date) is passed on with the result.
"""
from __future__ import annotations

import asyncio
import collections
import datetime as _dt
import email.utils
import functools
import json
import os
import ssl
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

import aiohttp
import yarl

from tui_notifier.delivery.store.reports import ReportData
from tui_notifier.models import SendOutcome
from tui_notifier.redact import redact


@dataclass
class SendResult:
    outcome: SendOutcome
    http_status: int | None = None
    error: str = ""
    provider_id: str | None = None
    latency_ms: int | None = None
    retry_after: float | None = None
    """Seconds the provider asked us to wait (`Retry-After` on a 429 or 503)."""

    def __post_init__(self):
        if self.error:
            self.error = redact(self.error)

    @property
    def ok(self) -> bool:
        return self.outcome == SendOutcome.SENT


@dataclass
class ReportResult:
    """A delivery-report poll: the report, or why there is none this time."""

    report: ReportData | None = None
    final: bool = False
    delivered: bool = False
    error: str = ""

    def __post_init__(self):
        self.error = redact(self.error)


class Gateway:
    """The interface: `send` for everyone, `fetch_report` where `has_reports`; both run on
    the consumer's event loop."""

    kind = "base"
    has_reports = False
    leaves_machine = True

    async def send(self, message_id: int, phone: str, text: str, sender: str = "") -> SendResult:
        """Send one SMS; `sender` is the dispatch's alpha name (empty: the gateway's own)."""
        raise NotImplementedError

    async def fetch_report(self, message_id: int, provider_id: str | None) -> ReportResult:
        raise NotImplementedError

    async def close(self) -> None:
        """Release the connections (on the loop that used them)."""

    def describe(self) -> str:
        return self.kind


def outcome_for_status(status: int) -> SendOutcome:
    """HTTP status -> outcome, for answers that are not a success."""
    if status in (401, 403):
        return SendOutcome.REFUSED
    if status == 429 or status >= 500:
        return SendOutcome.TRANSIENT
    if 400 <= status < 500:
        return SendOutcome.PERMANENT
    return SendOutcome.TRANSIENT


RETRY_AFTER_STATUSES = (429, 503)
JSON = "application/json"
LONGEST_RETRY_AFTER = 86400.0


def retry_after_seconds(value: str | None, now: _dt.datetime | None = None) -> float | None:
    """A `Retry-After` header as seconds from `now` (the wall clock, as the provider's date
    is): a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        seconds = (when - (now or _dt.datetime.now(_dt.timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), LONGEST_RETRY_AFTER)


def failure(reply: "Reply", error: str, latency_ms: int) -> SendResult:
    """A send the provider answered with an HTTP error status."""
    return SendResult(outcome_for_status(reply.status), reply.status, error, latency_ms=latency_ms,
                      retry_after=reply.retry_after if reply.status in RETRY_AFTER_STATUSES else None)


def short(text: str, limit: int = 200) -> str:
    """A provider's answer cut to something a log line and a report can carry."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Reply:
    """A provider's answer, read whole within the request's deadline."""

    status: int
    body: bytes
    retry_after: float | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def without_login(url: str) -> tuple[str, str | None]:
    """The URL without its `user:password@`, and those credentials (URL-decoded) as a Basic
    Authorization value if any: aiohttp refuses credentials in a URL next to an Authorization
    header, and a URL gets printed."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    login = aiohttp.encode_basic_auth(urllib.parse.unquote(parts.username or ""),
                                      urllib.parse.unquote(parts.password or ""))
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), login


class Deadlines:
    """Ends every request of a gateway `timeout` seconds after it began, with one timer for
    all of them where aiohttp arms, files in its heap and cancels a timer per request. The
    requests share one timeout, so they reach their deadlines in the order they began: a
    queue in that order needs no heap. A request past its deadline is cancelled wherever it
    waits (for a connection, for its answer, for the answer's last byte)."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._queue: collections.deque[list] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None

    def begin(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task) -> list:
        """[deadline, the task while it waits, whether it was ended]: pass it to `end`."""
        entry = [loop.time() + self.timeout, task, False]
        self._queue.append(entry)
        if self._timer is None:
            self._timer = loop.call_at(entry[0], self._expire, loop)
        return entry

    @staticmethod
    def end(entry: list) -> bool:
        """The request is over; True when its deadline ended it."""
        entry[1] = None
        return entry[2]

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        queue, now = self._queue, loop.time()
        while queue and (queue[0][1] is None or queue[0][0] <= now):
            entry = queue.popleft()
            task = entry[1]
            if task is not None:
                entry[1], entry[2] = None, True
                task.cancel()
        if queue:
            self._timer = loop.call_at(queue[0][0], self._expire, loop)


class HttpGateway(Gateway):
    """Shared by the HTTP gateways: one session per loop, deadlines, error classification."""

    def __init__(self, gateway_config, concurrency: int = 8):
        self.config = gateway_config
        self.url, self._url_login = without_login(gateway_config.url)
        """The gateway's URL without any `user:password@`; those become Basic credentials."""
        self.timeout = gateway_config.timeout
        self.concurrency = max(1, concurrency)
        self._proxy, self._ssl = _environment(self.url)
        self._session: aiohttp.ClientSession | None = None
        self._session_loop = None
        self._deadlines = Deadlines(self.timeout)

    def headers(self) -> dict[str, str]:
        """Headers every request carries (the credentials a subclass needs)."""
        return {}

    def session(self) -> aiohttp.ClientSession:
        """This loop's session, made on first use (aiohttp binds a session to its loop)."""
        loop = asyncio.get_running_loop()
        if self._session_loop is not loop or self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=0,
                                             keepalive_timeout=30, ssl=self._ssl)
            headers = self.headers()
            if self._url_login is not None and "Authorization" not in headers:
                headers["Authorization"] = self._url_login
            self._session = aiohttp.ClientSession(
                connector=connector, headers=headers, cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None), trust_env=False)
            self._session_loop = loop
            self._deadlines = Deadlines(self.timeout)
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def request(self, method: str, url: str | yarl.URL, body: dict | bytes | None = None):
        """(Reply or None, error text, latency ms); never raises for network trouble. The
        timeout bounds the whole request, the wait for a connection and the body included.
        `body` is sent as JSON: a dict is encoded here, bytes are taken as encoded already."""
        started = time.monotonic()
        data = None
        if body is not None:
            data = aiohttp.payload.BytesPayload(body if isinstance(body, bytes) else json.dumps(body).encode(),
                                                content_type=JSON)
        session = self.session()
        deadline = self._deadlines.begin(self._session_loop, asyncio.current_task())
        try:
            async with session.request(method, url, data=data, allow_redirects=False,
                                       proxy=self._proxy) as response:
                status = response.status
                reply = Reply(status, await response.read(),
                              retry_after_seconds(response.headers.get("Retry-After"))
                              if status in RETRY_AFTER_STATUSES else None)
        except asyncio.CancelledError:
            if not Deadlines.end(deadline):
                raise
            asyncio.current_task().uncancel()
            return None, f"timeout after {self.timeout:g} s", _ms(started)
        except (asyncio.TimeoutError, TimeoutError):
            Deadlines.end(deadline)
            return None, f"timeout after {self.timeout:g} s", _ms(started)
        except aiohttp.ClientConnectionError as exc:
            Deadlines.end(deadline)
            return None, f"connection error: {_reason(exc)}", _ms(started)
        except aiohttp.ClientError as exc:
            Deadlines.end(deadline)
            return None, f"request failed: {_reason(exc)}", _ms(started)
        except BaseException:
            Deadlines.end(deadline)
            raise
        if Deadlines.end(deadline):
            asyncio.current_task().uncancel()
        return reply, "", _ms(started)


def _environment(url: str):
    """The proxy and the CA bundle the environment asks for, read once rather than per request."""
    proxy = None
    scheme = url.split(":", 1)[0].lower() if url else ""
    if scheme:
        proxies = urllib.request.getproxies_environment()
        host = url.split("://", 1)[-1].split("/", 1)[0]
        if proxies.get(scheme) and not urllib.request.proxy_bypass_environment(host, proxies):
            proxy = proxies[scheme]
    context: ssl.SSLContext | bool = True
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    if bundle and scheme == "https":
        context = ssl.create_default_context(cafile=bundle)
    return proxy, context


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    """What went wrong, without the address (it may carry a host operators consider private)."""
    errno = getattr(exc, "errno", None) or getattr(getattr(exc, "os_error", None), "errno", None)
    if errno:
        return os.strerror(errno).lower()
    text = str(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else ""
    if not text or "://" in text or "host " in text.lower():
        text = type(exc).__name__
    return short(text, 160)


@functools.lru_cache(maxsize=256)
def json_text(text: str) -> bytes:
    """A message text as a JSON string: a dispatch sends the same text thousands of times."""
    return json.dumps(text).encode()


def parse_json(reply: Reply) -> dict | None:
    """The body as a JSON object, or None when it is anything else."""
    try:
        data = json.loads(reply.body.decode())
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
