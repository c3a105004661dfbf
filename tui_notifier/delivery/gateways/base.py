"""What every gateway offers the engine, and the HTTP plumbing the real ones share.

A gateway sends one message per call and says what happened in a `SendResult`; it never
raises for anything the provider or the network does. HTTP gateways keep one keep-alive
`requests.Session` per thread (Sessions are not promised to be thread-safe) and pass a
timeout on every request.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass

from tui_notifier.core.sending import ReportData


class Outcome:
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    REFUSED = "refused"


@dataclass
class SendResult:
    outcome: str
    http_status: int | None = None
    error: str = ""
    provider_id: str | None = None
    latency_ms: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SENT


@dataclass
class ReportResult:
    """A delivery-report poll: the report, or why there is none this time."""

    report: ReportData | None = None
    final: bool = False
    delivered: bool = False
    error: str = ""


class Gateway:
    """The interface: `send` for everyone, `fetch_report` where `has_reports`."""

    kind = "base"
    has_reports = False
    leaves_machine = True

    def send(self, message_id: int, phone: str, text: str) -> SendResult:
        raise NotImplementedError

    def fetch_report(self, message_id: int, provider_id: str | None) -> ReportResult:
        raise NotImplementedError

    def close(self) -> None:
        """Release whatever the calling thread holds (its session)."""

    def describe(self) -> str:
        return self.kind


def outcome_for_status(status: int) -> str:
    """HTTP status -> outcome, for answers that are not a success."""
    if status in (401, 403):
        return Outcome.REFUSED
    if status == 429 or status >= 500:
        return Outcome.TRANSIENT
    if 400 <= status < 500:
        return Outcome.PERMANENT
    return Outcome.TRANSIENT


def short(text: str, limit: int = 200) -> str:
    """A provider's answer cut to something a log line and a report can carry."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpGateway(Gateway):
    """Shared by the HTTP gateways: thread-local sessions, timeouts, error classification."""

    def __init__(self, gateway_config, pool_size: int = 2):
        import requests  # noqa: F401  (fail early when the dependency is missing)

        self.config = gateway_config
        self.proxy_url = gateway_config.url
        self.timeout = gateway_config.timeout
        self._pool_size = pool_size
        self._local = threading.local()
        self._sessions: list = []
        self._lock = threading.Lock()

    def session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = requests.Session()
            _environment_once(session, self.proxy_url)
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self._pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self.prepare(session)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def prepare(self, session) -> None:
        """Set the credentials a subclass needs on a new session."""

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None
            with self._lock:
                if session in self._sessions:
                    self._sessions.remove(session)

    def close_all(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def request(self, method: str, url: str, **kwargs):
        """(response or None, error text, latency ms); never raises for network trouble."""
        import requests

        started = time.monotonic()
        try:
            response = self.session().request(method, url, timeout=self.timeout,
                                              allow_redirects=False, **kwargs)
            # the body is read inside the timeout's reach, so a stalled body counts as a timeout
            response.content  # noqa: B018
        except requests.Timeout:
            return None, f"timeout after {self.timeout:g} s", _ms(started)
        except requests.ConnectionError as exc:
            return None, f"connection error: {_reason(exc)}", _ms(started)
        except requests.RequestException as exc:
            return None, f"request failed: {_reason(exc)}", _ms(started)
        return response, "", _ms(started)


def _environment_once(session, url: str) -> None:
    """Read proxy and CA settings from the environment once, not on every request.

    A Session that trusts the environment looks up proxies, netrc and CA bundles per
    request, which costs about a third of a request's CPU time at these rates.
    """
    import requests

    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(url) if url else {})
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and url.startswith("https:"):
        session.verify = bundle


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    """The innermost cause, without the URL (it may carry a host operators consider private)."""
    inner = exc
    while inner.__context__ is not None and len(str(inner.__context__)) < len(str(inner)):
        inner = inner.__context__
    text = str(inner.args[0]) if inner.args else type(inner).__name__
    if "Max retries exceeded" in text and "(Caused by" in text:
        text = text.split("(Caused by", 1)[1].rstrip(")")
    return short(text, 160)


def parse_json(response) -> dict | None:
    """The body as a JSON object, or None when it is anything else."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
