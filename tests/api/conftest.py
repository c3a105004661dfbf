"""A real waitress serving the API on 127.0.0.1 (a free port) over a fresh SQLite file, and a
client that sends raw requests to it."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import pytest
import requests

pytest.importorskip("falcon")
pytest.importorskip("waitress")

from tui_notifier.api.app import ApiOptions  # noqa: E402
from tui_notifier.api.server import make_server, stop_running  # noqa: E402


@dataclass
class Answer:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    text: str

    def json(self):
        return json.loads(self.text)


class Api:
    """Requests to the live server; `send` takes a body as bytes (verbatim) or as an object
    (JSON); a token, when set, goes in `Authorization: Token ...`."""

    def __init__(self, base: str):
        self.base = base
        self.token: str | None = None
        self.session = requests.Session()

    def send(self, method: str, path: str, body=None, headers: dict | None = None,
             content_type: str | None = None, token: str | None = None) -> Answer:
        headers = dict(headers or {})
        token = token or self.token
        if token and "Authorization" not in headers:
            headers["Authorization"] = f"Token {token}"
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode("utf-8")
        if content_type:
            headers["Content-Type"] = content_type
        r = self.session.request(method, self.base + path, data=body, headers=headers,
                                 allow_redirects=False, timeout=30)
        return Answer(r.status_code, r.headers, r.text)

    def get(self, path, **kw):
        return self.send("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.send("POST", path, body, **kw)

    def form(self, method: str, path: str, text: str, **kw):
        return self.send(method, path, text, content_type="application/x-www-form-urlencoded", **kw)


def start_server(options: ApiOptions, threads: int = 4):
    server = make_server("127.0.0.1", 0, threads, options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def api_options() -> ApiOptions:
    """Tests about the seeds' shapes run without tokens; the auth tests turn them on."""
    return ApiOptions(auth=False)


@pytest.fixture
def api(db, api_options):
    server, thread = start_server(api_options)
    client = Api(f"http://127.0.0.1:{server.effective_port}")
    yield client
    client.session.close()
    stop_running(server, thread)


@pytest.fixture
def database_url(db_path) -> str:
    """The HTTP face over one SQLite file; the core suite covers PostgreSQL."""
    return str(db_path)
