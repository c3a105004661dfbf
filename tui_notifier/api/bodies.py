"""Reading requests: a JSON or form-encoded body as one mapping, page numbers, DRF's pages."""
from __future__ import annotations

import math

import falcon

from tui_notifier.api.errors import FieldErrors

PAGE_SIZE = 10


def read_body(req: falcon.Request) -> dict:
    """The body as a mapping: JSON (also with no Content-Type) or application/x-www-form-urlencoded.

    A form field given once is a string, given several times a list of them."""
    media = req.get_media(default_when_empty={})
    if not isinstance(media, dict):
        raise FieldErrors({"non_field_errors": [
            f"Invalid data. Expected a dictionary, but got {type(media).__name__}."]})
    return media


def page_number(req: falcon.Request) -> int:
    raw = req.get_param("page")
    if raw is None or raw == "":
        return 1
    if raw == "last":
        return -1
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise falcon.HTTPNotFound(description="Invalid page.")
    return number


class Page:
    """One page of a listing, DRF's `{"count", "next", "previous", "results"}`."""

    def __init__(self, req: falcon.Request, count: int):
        self.req = req
        self.count = count
        self.pages = max(1, math.ceil(count / PAGE_SIZE))
        number = page_number(req)
        self.number = self.pages if number == -1 else number
        if self.number > self.pages:
            raise falcon.HTTPNotFound(description="Invalid page.")
        self.offset = (self.number - 1) * PAGE_SIZE
        self.limit = PAGE_SIZE

    def _link(self, number: int) -> str | None:
        if number < 1 or number > self.pages:
            return None
        params = {k: v for k, v in self.req.params.items() if k != "page"}
        if number > 1:
            params["page"] = str(number)
        query = falcon.to_query_str(params, comma_delimited_lists=False)
        return f"{self.req.prefix}{self.req.path}{query}"

    def body(self, results: list) -> dict:
        return {"count": self.count, "next": self._link(self.number + 1),
                "previous": self._link(self.number - 1), "results": results}
