"""Errors in the shapes the seed systems' clients parse: DRF's `{"detail": ...}` and
`{"field": ["message"]}`; a 500 is JSON with no traceback (that goes to the log)."""
from __future__ import annotations

import logging

import falcon

from tui_notifier.core.errors import Conflict, NotFound, StateError, ValidationError

log = logging.getLogger("tui_notifier.api")

NOT_FOUND = "Not found."


class FieldErrors(Exception):
    """400 with DRF's body: every field at fault with its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _detail(exc: falcon.HTTPError, req: falcon.Request) -> str:
    if exc.status_code == 404:
        return NOT_FOUND
    if exc.status_code == 405:
        return f'Method "{req.method}" not allowed.'
    if exc.status_code == 415:
        return f'Unsupported media type "{req.content_type}" in request.'
    if exc.status_code == 413:
        return exc.description or "Request body too large."
    if isinstance(exc, falcon.MediaMalformedError):
        return f"Malformed request body: {exc.description}"
    return exc.description or exc.title


def serialize_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    resp.content_type = falcon.MEDIA_JSON
    resp.media = {"detail": _detail(exc, req)}


def on_field_errors(req, resp, exc: FieldErrors, params) -> None:
    resp.status = falcon.HTTP_400
    resp.media = exc.errors


def on_not_found(req, resp, exc, params) -> None:
    resp.status = falcon.HTTP_404
    resp.media = {"detail": NOT_FOUND}


def on_state_error(req, resp, exc: StateError, params) -> None:
    resp.status = falcon.HTTP_409
    resp.media = {"detail": str(exc)}


def on_unexpected(req, resp, exc: Exception, params) -> None:
    log.exception("%s %s failed", req.method, req.path)
    resp.status = falcon.HTTP_500
    resp.content_type = falcon.MEDIA_JSON
    resp.media = {"detail": "A server error occurred."}


def install(app: falcon.App) -> None:
    app.add_error_handler(Exception, on_unexpected)
    app.add_error_handler(FieldErrors, on_field_errors)
    app.add_error_handler(NotFound, on_not_found)
    app.add_error_handler(StateError, on_state_error)
    app.set_error_serializer(serialize_error)


def field_errors(exc: ValidationError | Conflict, names: dict[str, str]) -> FieldErrors:
    """A core error about core field `exc.field`, renamed to the field the request used."""
    return FieldErrors({names.get(exc.field, exc.field): [exc.message]})
