"""The Falcon application: the route table served with the database opened per request,
token auth, a bounded body, and every error in the seed systems' JSON shapes."""
from __future__ import annotations

from dataclasses import dataclass

import falcon

from tui_notifier.api import errors
from tui_notifier.api.routes import ROUTES, WRITES, Route
from tui_notifier.core import audit, tokens
from tui_notifier.db import WRITER, close_database, database, is_sqlite

DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class ApiOptions:
    auth: bool = True
    """Every route but the documentation wants a token; off only on a loopback address."""
    max_body_size: int = DEFAULT_MAX_BODY


class DatabaseConnection:
    """Open the request's own connection on its own thread and close it when answered, so a
    waitress thread never holds one between requests.

    A write made together with other requests' (`Op.together`) goes through the connection the
    process keeps for writes (SQLite) or the one its batch's writer opens: its request takes a
    connection only when something reads (a token not remembered), on first use."""

    def process_resource(self, req, resp, resource, params):
        if req.method not in getattr(resource, "together", ()):
            database.connect(reuse_if_open=True)

    def process_response(self, req, resp, resource, req_succeeded):
        close_database()


class OneWriterAtATime:
    """SQLite takes one writer at a time and makes the others poll for the lock with growing
    sleeps; a writing request holds this process's turn to write (`db.WRITER`) while it runs, so
    the database is handed straight from one to the next. A route whose core call writes
    together with other requests (`Op.together`) takes the turn itself, only while it writes.
    (PostgreSQL writes concurrently: no turns there.)"""

    def process_resource(self, req, resp, resource, params):
        if (req.method in WRITES and resource is not None and is_sqlite(database.obj)
                and req.method not in getattr(resource, "together", ())):
            WRITER.acquire()
            req.context.writing = True

    def process_response(self, req, resp, resource, req_succeeded):
        if getattr(req.context, "writing", False):
            req.context.writing = False
            WRITER.release()


class BodyLimit:
    def __init__(self, limit: int):
        self.limit = limit

    def process_request(self, req, resp):
        if req.content_length is not None and req.content_length > self.limit:
            raise falcon.HTTPContentTooLarge(description=f"Request body larger than {self.limit} bytes.")


class TokenAuth:
    """`Authorization: Token <t>` or `Bearer <t>`; the token's name is who writes, in the audit."""

    def __init__(self, required: bool):
        self.required = required

    def process_resource(self, req, resp, resource, params):
        if resource is None or getattr(resource, "public", False):
            return
        if not self.required:
            self._act(req, f"anonymous@{req.remote_addr}")
            return
        scheme, _, text = (req.get_header("Authorization") or "").strip().partition(" ")
        if scheme.lower() not in ("token", "bearer") or not text.strip():
            raise falcon.HTTPUnauthorized(description="Authentication credentials were not provided.",
                                          challenges=["Token"])
        token = tokens.check_token(text.strip())
        if token is None:
            raise falcon.HTTPUnauthorized(description="Invalid token.", challenges=["Token"])
        if token.read_only and req.method in WRITES:
            raise falcon.HTTPForbidden(description="This token is read-only: it cannot change anything.")
        self._act(req, token.name)

    @staticmethod
    def _act(req, name: str):
        req.context.acting = audit.acting_as(name, "api")
        req.context.acting.__enter__()

    def process_response(self, req, resp, resource, req_succeeded):
        acting = getattr(req.context, "acting", None)
        if acting is not None:
            acting.__exit__(None, None, None)


class Endpoint:
    """One path of the table: a responder per method, each calling its handler in its dialect."""

    def __init__(self, route: Route):
        self.route = route
        self.together = frozenset(method for method, op in route.ops.items() if op.together)
        for method, op in route.ops.items():
            setattr(self, f"on_{method.lower()}", self._responder(op, route))

    @staticmethod
    def _responder(op, route):
        def respond(req, resp, **params):
            op.handler(req, resp, route.dialect, **op.bound, **params)

        return respond


def make_app(options: ApiOptions = ApiOptions()) -> falcon.App:
    app = falcon.App(middleware=[BodyLimit(options.max_body_size), DatabaseConnection(),
                                 TokenAuth(options.auth), OneWriterAtATime()])
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    for route in ROUTES:
        app.add_route(route.path, Endpoint(route))
    from tui_notifier.api import docs

    docs.install(app)
    return app
