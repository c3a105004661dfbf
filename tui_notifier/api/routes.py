"""The one table of the API: path -> method -> core call, with each dialect's field names and
shapes bound to it. `app.py` routes it and `openapi.py` documents it, so a route cannot be
served undocumented."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tui_notifier.api import handlers as h
from tui_notifier.api.dialects import MAILINGS, SEED003, V1, Dialect
from tui_notifier.core import dispatches

MAX_ID = 2 ** 63 - 1
UUID = "{dispatch_id:uuid}"
NUMBER = f"{{number:int(min=1, max={MAX_ID})}}"
CLIENT = f"{{client_id:int(min=1, max={MAX_ID})}}"
MESSAGE = f"{{message_id:int(min=1, max={MAX_ID})}}"
REFERENCE = "{reference:uuid}"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Op:
    handler: Callable
    summary: str
    status: int = 200
    answer: str | None = None
    """Schema name of the successful answer (None: no body)."""
    body: str | None = None
    """Schema name of the request body."""
    query: tuple = ()
    """Query parameters: (name, description)."""
    bound: dict = field(default_factory=dict)
    """Keywords bound to the handler, such as the collection's path for `Location`."""
    together: bool = False
    """Its core call writes together with other requests' (a group commit) and takes this
    process's turn to write itself, only while it writes."""


@dataclass(frozen=True)
class Route:
    path: str
    dialect: Dialect
    group: str
    ops: dict[str, Op]


PAGE = (("page", "page number, from 1 (10 a page)"),)
STATUS = (("status", "only those in this status"),)


def _collection(path: str, dialect: Dialect, group: str, kind: str, list_op: Op) -> Route:
    create = h.dispatch_create if kind == "dispatch" else h.client_create
    schema = f"{dialect.name}_{kind}"
    return Route(path, dialect, group, {
        "GET": list_op,
        "POST": Op(create, f"create a {kind}", 201, schema, f"{schema}_in", bound={"location": path},
                   together=kind == "client"),
    })


def _item(path: str, dialect: Dialect, group: str, kind: str, show: Op | None = None) -> Route:
    schema = f"{dialect.name}_{kind}"
    if kind == "dispatch":
        replace, patch, delete = h.dispatch_replace, h.dispatch_patch, h.dispatch_delete
        note = " (once started only its end moves; anything else is 409)"
    else:
        replace, patch, delete = h.client_replace, h.client_patch, h.client_delete
        note = ""
    return Route(path, dialect, group, {
        "GET": show or Op(h.dispatch_show if kind == "dispatch" else h.client_show, f"one {kind}",
                          answer=schema),
        "PUT": Op(replace, f"replace a {kind}'s fields{note}", answer=schema, body=f"{schema}_in"),
        "PATCH": Op(patch, f"change some of a {kind}'s fields{note}", answer=schema, body=f"{schema}_patch"),
        "DELETE": Op(delete, f"delete a {kind}", 204),
    })


def _lookup(path: str, kind: str, label: str) -> list[Route]:
    return [
        Route(path, V1, "lookups", {"GET": Op(h.lookup_list(kind), f"{label}, made from the data",
                                              answer=f"{kind}_page", query=PAGE)}),
        Route(f"{path}/{REFERENCE}", V1, "lookups", {"GET": Op(h.lookup_show(kind), f"one of the {label}",
                                                               answer=kind)}),
    ]


def _action(name: str, action) -> Route:
    return Route(f"/api/v1/dispatches/{UUID}/{name}", V1, "dispatches", {
        "POST": Op(h.dispatch_action(action), f"{name} a dispatch", answer="v1_dispatch"),
    })


V1_DISPATCHES = "/api/v1/dispatches"
V1_CLIENTS = "/api/v1/clients"
V1_STOPLIST = "/api/v1/stoplist"

ROOT_LISTINGS = (
    ("clients", V1_CLIENTS), ("dispatches", V1_DISPATCHES), ("dispatch-reports", "/api/v1/dispatch-reports"),
    ("mobile-operator-codes", "/api/v1/mobile-operator-codes"), ("tags", "/api/v1/tags"),
    ("message-statuses", "/api/v1/message-statuses"), ("health", "/api/v1/health"),
    ("mailings", "/api/v1/mailings"), ("stoplist", V1_STOPLIST),
)

ROUTES: list[Route] = [
    Route("/api/v1", V1, "api", {"GET": Op(h.api_root(ROOT_LISTINGS), "the list of endpoints", answer="root")}),
    Route("/api/v1/health", V1, "api", {"GET": Op(h.health, "whether the service and its database answer",
                                                  answer="health")}),
    # seeds 000 and 001
    _collection(V1_DISPATCHES, V1, "dispatches", "dispatch",
                Op(h.dispatch_list, "dispatches, newest start first", answer="v1_dispatch_page",
                   query=PAGE + STATUS)),
    Route(f"{V1_DISPATCHES}/preview", V1, "dispatches", {
        "GET": Op(h.dispatch_preview, "how many clients a filter matches", answer="count",
                  query=(("operator", "operator codes (comma list, repeated, or reference ids)"),
                         ("tag", "tags (comma list, repeated, or reference ids)")))}),
    _item(f"{V1_DISPATCHES}/{UUID}", V1, "dispatches", "dispatch"),
    _action("pause", dispatches.pause_dispatch),
    _action("resume", dispatches.resume_dispatch),
    _action("cancel", dispatches.cancel_dispatch),
    Route(f"{V1_DISPATCHES}/{UUID}/clone", V1, "dispatches", {
        "POST": Op(h.dispatch_clone, "a new dispatch with this one's text, audience, window and sender "
                   "(its times unless new ones are given)", 201, "v1_dispatch", "copy_in",
                   bound={"location": V1_DISPATCHES})}),
    Route(f"{V1_DISPATCHES}/{UUID}/test-send", V1, "dispatches", {
        "POST": Op(h.dispatch_test_send, "send the text (rendered for `client_id` or `attributes`) to one phone "
                   "now, outside the audience and the end; a consumer sends it", 202, "test_send", "test_send_in")}),
    Route(f"{V1_DISPATCHES}/{UUID}/test-sends", V1, "dispatches", {
        "GET": Op(h.dispatch_test_sends, "a dispatch's test sends, newest first", answer="test_send_list")}),
    Route(f"{V1_DISPATCHES}/{UUID}/resend", V1, "dispatches", {
        "POST": Op(h.dispatch_resend, "a new dispatch with the same text for exactly the clients whose "
                   "messages ended in the given statuses (failed,timeout by default)", 201, "v1_dispatch",
                   "resend_in", bound={"location": V1_DISPATCHES})}),
    Route(f"{V1_DISPATCHES}/{UUID}/messages", V1, "dispatches", {
        "GET": Op(h.dispatch_messages, "a dispatch's messages", answer="message_page", query=PAGE + STATUS)}),
    Route("/api/v1/dispatch-reports", V1, "reports", {
        "GET": Op(h.report_list, "every dispatch with its counts by status (a plain array)",
                  answer="report_list")}),
    Route(f"/api/v1/dispatch-reports/{UUID}", V1, "reports", {
        "GET": Op(h.report_show, "one dispatch with its counts by status", answer="report")}),
    Route(f"/api/v1/messages/{MESSAGE}", V1, "dispatches", {
        "GET": Op(h.message_show, "a message with its attempts and delivery reports", answer="message_detail")}),
    _collection(V1_CLIENTS, V1, "clients", "client",
                Op(h.client_list, "the client directory in id order", answer="v1_client_page", query=PAGE)),
    _item(f"{V1_CLIENTS}/{CLIENT}", V1, "clients", "client"),
    Route(V1_STOPLIST, V1, "stop list", {
        "GET": Op(h.stoplist_list, "phones never to be sent to, in order", answer="stop_entry_page", query=PAGE),
        "POST": Op(h.stoplist_add, "stop phones (any common form) and cancel their unsent messages", 201,
                   "stop_result", "stop_in")}),
    Route(f"{V1_STOPLIST}/{{phone}}", V1, "stop list", {
        "DELETE": Op(h.stoplist_remove, "take a phone off the stop list", 204)}),
    *_lookup("/api/v1/mobile-operator-codes", "operator_code", "mobile operator codes"),
    *_lookup("/api/v1/tags", "tag", "client tags"),
    *_lookup("/api/v1/message-statuses", "message_status", "message statuses with their counts"),
    # seed 002
    Route("/api/v1/mailings", MAILINGS, "seed 002", {
        "GET": Op(h.mailing_stats, "messages by status over every mailing, and how many mailings",
                  answer="mailing_stats"),
        "POST": Op(h.dispatch_create, "create a mailing", 201, "mailings_dispatch", "mailings_dispatch_in",
                   bound={"location": "/api/v1/mailings"}),
    }),
    _item(f"/api/v1/mailings/{NUMBER}", MAILINGS, "seed 002", "dispatch",
          show=Op(h.mailing_stats_one, "one mailing's messages by status", answer="mailing_stats_one")),
    # seed 003
    _collection("/Clients", SEED003, "seed 003", "client",
                Op(h.client_list, "the client directory in id order", answer="seed003_client_page",
                   query=PAGE)),
    _item(f"/Clients/{CLIENT}", SEED003, "seed 003", "client"),
    _collection("/Mailing", SEED003, "seed 003", "dispatch",
                Op(h.dispatch_list, "mailings, newest start first", answer="seed003_dispatch_page",
                   query=PAGE + STATUS)),
    _item(f"/Mailing/{NUMBER}", SEED003, "seed 003", "dispatch"),
    Route("/Stats", SEED003, "seed 003", {
        "GET": Op(h.stats_list, "every mailing with its sent, unsent and total messages",
                  answer="seed003_stats_list")}),
    Route(f"/Stats/{NUMBER}", SEED003, "seed 003", {
        "GET": Op(h.stats_show, "one mailing with its sent, unsent and total messages",
                  answer="seed003_stats")}),
]
