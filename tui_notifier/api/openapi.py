"""The OpenAPI 3.1 document, made from the route table so that every route served is
described: paths, parameters, bodies (JSON or form) and answers, errors included."""
from __future__ import annotations

import re

from tui_notifier import __version__
from tui_notifier.api.dialects import wire
from tui_notifier.api.routes import ROUTES, WRITES, Op, Route
from tui_notifier.models import DispatchStatus, MessageStatus

_FIELD = re.compile(r"{(\w+)(?::(\w+)(?:\(([^)]*)\))?)?}")
DOC_PATHS = ("/openapi.json", "/docs")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


TIME_IN = {"type": "string", "description": "ISO 8601; without an offset it is read in `timezone`",
           "examples": ["2024-01-21T15:26:34.459Z"]}
TIME_OUT = {"type": "string", "format": "date-time", "description": "UTC, with Z"}
FILTER_IN = {"description": "a code, a comma list, a JSON list, reference ids from the lookups, or "
                            "null for everyone",
             "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": ["string", "integer"]}},
                       {"type": "integer"}, {"type": "null"}]}
FILTER_OUT = {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "null"}]}
ATTRIBUTES = {"type": "object", "additionalProperties": {"type": "string"},
              "description": "name -> text, for placeholders in a message"}
DISPATCH_STATUS = {"type": "string", "enum": [wire(s) for s in DispatchStatus.ALL]}
MESSAGE_STATUS = {"type": "string", "enum": [wire(s) for s in MessageStatus.ALL]}


def _object(properties: dict, required=(), extra: bool = True) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _page(item: str) -> dict:
    return _object({"count": {"type": "integer"}, "next": _nullable("string"), "previous": _nullable("string"),
                    "results": {"type": "array", "items": _ref(item)}}, ["count", "next", "previous", "results"])


def _dispatch_schemas(prefix: str, start: str, end: str, text: str, codes: str, tags: str,
                      by_number: bool) -> dict:
    id_schema = {"type": "integer"} if by_number else {"type": "string", "format": "uuid"}
    body = {"timezone": _nullable("string", description="a pytz time zone (default UTC)"),
            start: TIME_IN, end: TIME_IN, text: {"type": "string"}, codes: FILTER_IN, tags: FILTER_IN,
            "window": _nullable("string", description="HH:MM-HH:MM in each client's local time"),
            "sender": _nullable("string", description="the sender name shown on the phone")}
    out = {"id": id_schema, "status": DISPATCH_STATUS, start: TIME_OUT, end: TIME_OUT, text: {"type": "string"},
           codes: FILTER_OUT, tags: FILTER_OUT, "timezone": {"type": "string"}, "window": _nullable("string"),
           "status_reason": {"type": "string"}, "sender": _nullable("string"),
           ("uuid" if by_number else "number"): {"type": "string"} if by_number else _nullable("integer")}
    return {
        f"{prefix}_dispatch": _object(out, ["id", "status", start, end, text, codes, tags]),
        f"{prefix}_dispatch_in": _object(body, [start, end, text]),
        f"{prefix}_dispatch_patch": _object(body),
        f"{prefix}_dispatch_page": _page(f"{prefix}_dispatch"),
    }


def _client_schemas(prefix: str, phone: str) -> dict:
    body = {phone: {"type": "string", "description": "7XXXXXXXXXX, 8XXXXXXXXXX or +7 ..."},
            "operator_code": _nullable("string", description="3 digits; from the phone when absent"),
            "tag": _nullable("string"), "timezone": _nullable("string"), "attributes": ATTRIBUTES}
    out = {"id": {"type": "integer"}, phone: {"type": "string"}, "operator_code": {"type": "string"},
           "tag": _nullable("string"), "timezone": {"type": "string"}, "attributes": ATTRIBUTES}
    return {f"{prefix}_client": _object(out, list(out)), f"{prefix}_client_in": _object(body, [phone]),
            f"{prefix}_client_patch": _object(body), f"{prefix}_client_page": _page(f"{prefix}_client")}


REPORT = _object({
    "id": {"type": "string", "format": "uuid"}, "start_datetime": TIME_OUT, "end_datetime": TIME_OUT,
    "message_text": {"type": "string"}, "filter_mobile_operator_code__code": {"type": "string"},
    "filter_tag__code": {"type": "string"}, "created": {"type": "integer"}, "completed": {"type": "integer"},
    "error": {"type": "integer"}, "timeout": {"type": "integer"}, "status": DISPATCH_STATUS,
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}}, "total": {"type": "integer"},
}, ["id", "start_datetime", "end_datetime", "message_text", "filter_mobile_operator_code__code",
    "filter_tag__code", "created", "completed", "error", "timeout"])

MESSAGE = _object({
    "id": {"type": "integer"}, "dispatch": {"type": "string"}, "client": _nullable("integer"),
    "phone": {"type": "string"}, "status": MESSAGE_STATUS, "attempts": {"type": "integer"},
    "created_at": _nullable("string"), "sent_at": _nullable("string"), "next_attempt_at": _nullable("string"),
    "last_error": {"type": "string"}, "provider_id": _nullable("string"),
}, ["id", "dispatch", "phone", "status"])

MESSAGE_DATA = {"type": "array", "items": _object({"status": MESSAGE_STATUS, "count": {"type": "integer"}},
                                                  ["status", "count"])}
STATS_EXTRA = {"sent_msg": {"type": "integer"}, "unsent_msg": {"type": "integer"}, "all_msg": {"type": "integer"},
               "messages_by_status": {"type": "object", "additionalProperties": {"type": "integer"}}}


def _seed003_stats() -> dict:
    schema = _dispatch_schemas("s", "datetime_start", "datetime_end", "message_text", "filter_op_codes",
                               "filter_tag", True)["s_dispatch"]
    return _object({**schema["properties"], **STATS_EXTRA}, schema["required"] + list(STATS_EXTRA)[:3])


LOOKUP = _object({"id": {"type": "string", "format": "uuid"}, "code": {"type": "string"}}, ["id", "code"])

SCHEMAS = {
    "detail": _object({"detail": {"type": "string"}}, ["detail"]),
    "field_errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                     "description": "each field at fault with its messages"},
    **_dispatch_schemas("v1", "start_datetime", "end_datetime", "message_text", "filter_mobile_operator_code",
                        "filter_tag", False),
    **_dispatch_schemas("mailings", "start_time", "end_time", "text", "client_operator_code_filter",
                        "client_tag_filter", True),
    **_dispatch_schemas("seed003", "datetime_start", "datetime_end", "message_text", "filter_op_codes",
                        "filter_tag", True),
    **_client_schemas("v1", "phone"),
    **_client_schemas("mailings", "phone"),
    **_client_schemas("seed003", "phone_number"),
    "report": REPORT,
    "report_list": {"type": "array", "items": _ref("report")},
    "message": MESSAGE,
    "message_page": _page("message"),
    "message_detail": _object({**MESSAGE["properties"], "text": {"type": "string"},
                               "attempt_log": {"type": "array"}, "delivery_reports": {"type": "array"}},
                              MESSAGE["required"] + ["text", "attempt_log", "delivery_reports"]),
    "count": _object({"count": {"type": "integer"}}, ["count"]),
    "copy_in": _object({"start_datetime": TIME_IN, "end_datetime": TIME_IN}),
    "resend_in": _object({"start_datetime": TIME_IN, "end_datetime": TIME_IN,
                          "status": {"type": "string", "description": "comma list of failed, timeout, cancelled",
                                     "examples": ["failed,timeout"]}}, ["start_datetime", "end_datetime"]),
    "test_send_in": _object({"phone": {"type": ["string", "integer"]}, "client_id": {"type": "integer"},
                             "attributes": ATTRIBUTES}, ["phone"]),
    "test_send": _object({"id": {"type": "integer"}, "phone": {"type": "string"}, "text": {"type": "string"},
                          "status": MESSAGE_STATUS, "error": {"type": "string"}, "created": TIME_OUT,
                          "sent": _nullable("string")}, ["id", "phone", "text", "status"]),
    "test_send_list": {"type": "array", "items": _ref("test_send")},
    "stop_entry": _object({"phone": {"type": "string"}, "reason": {"type": "string"}, "created": TIME_OUT},
                          ["phone", "reason", "created"]),
    "stop_entry_page": _page("stop_entry"),
    "stop_in": _object({"phone": {"type": ["string", "integer"]},
                        "phones": {"type": "array", "items": {"type": ["string", "integer"]}},
                        "reason": {"type": "string"}}),
    "stop_result": _object({"added": {"type": "integer"}, "already": {"type": "integer"},
                            "cancelled": {"type": "integer"}}, ["added", "already", "cancelled"]),
    "root": {"type": "object", "additionalProperties": {"type": "string"}},
    "health": _object({"status": {"type": "string"}, "database": {"type": "string"}}, ["status", "database"]),
    "mailing_stats": _object({"message_data": MESSAGE_DATA, "total_mailings": {"type": "integer"}},
                             ["message_data", "total_mailings"]),
    "mailing_stats_one": _object({"message_data": MESSAGE_DATA}, ["message_data"]),
    "seed003_stats": _seed003_stats(),
    "seed003_stats_list": {"type": "array", "items": _ref("seed003_stats")},
    "operator_code": LOOKUP,
    "tag": LOOKUP,
    "message_status": _object({**LOOKUP["properties"], "count": {"type": "integer"}}, ["id", "code", "count"]),
    "operator_code_page": _page("operator_code"),
    "tag_page": _page("tag"),
    "message_status_page": _page("message_status"),
}


def documented_path(template: str) -> str:
    """`/api/v1/dispatches/{dispatch_id:uuid}` -> `/api/v1/dispatches/{dispatch_id}/` (a file
    such as `/openapi.json` keeps no slash)."""
    path = _FIELD.sub(lambda m: "{" + m.group(1) + "}", template).rstrip("/")
    return path if "." in path.rsplit("/", 1)[-1] else path + "/"


def _path_parameters(template: str) -> list[dict]:
    params = []
    for name, converter, args in _FIELD.findall(template):
        if converter == "uuid":
            schema = {"type": "string", "format": "uuid"}
        else:
            schema = {"type": "integer", "minimum": 1, "maximum": 2 ** 63 - 1}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _answers(route: Route, method: str, op: Op) -> dict:
    answers = {str(op.status): _json(op.answer, "success") if op.answer else {"description": "done"}}
    answers["401"] = _json("detail", "no token, or a bad one")
    if method in WRITES:
        answers["403"] = _json("detail", "a read-only token")
        answers["409"] = _json("detail", "not allowed in the dispatch's current state")
    if op.body or op.query or method in WRITES:
        answers["400"] = {"description": "bad input, each field at fault with its messages",
                          "content": {"application/json": {"schema": {
                              "anyOf": [_ref("field_errors"), _ref("detail")]}}}}
    if "{" in route.path or op.query:
        answers["404"] = _json("detail", "no such object, or no such page")
    if op.body or method in WRITES:
        answers["413"] = _json("detail", "the body is over api.max_body_size")
        answers["415"] = _json("detail", "neither JSON nor a form")
    return answers


def _operation(route: Route, method: str, op: Op) -> dict:
    slug = re.sub(r"\W+", "_", documented_path(route.path)).strip("_")
    operation = {
        "operationId": f"{method.lower()}_{slug}", "summary": op.summary, "tags": [route.group],
        "parameters": _path_parameters(route.path) + [
            {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
            for name, text in op.query],
        "responses": _answers(route, method, op),
    }
    if op.body:
        schema = _ref(op.body)
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schema}, "application/x-www-form-urlencoded": {"schema": schema}}}
    return operation


def document() -> dict:
    paths: dict = {}
    for route in ROUTES:
        item = paths.setdefault(documented_path(route.path), {})
        for method, op in route.ops.items():
            item[method.lower()] = _operation(route, method, op)
    paths["/openapi.json"] = {"get": {
        "operationId": "get_openapi", "summary": "this document", "tags": ["docs"], "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
            "schema": {"type": "object"}}}}}}}
    paths["/docs/"] = {"get": {
        "operationId": "get_docs", "summary": "Swagger UI over this document, from bundled assets",
        "tags": ["docs"], "security": [],
        "responses": {"200": {"description": "an HTML page", "content": {"text/html": {
            "schema": {"type": "string"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "tui_notifier HTTP API", "version": __version__,
                 "description": "The APIs of seeds 000-003 over one core: `/api/v1/` (seeds 000/001), "
                                "`/api/v1/mailings/` (seed 002), `/Clients/`, `/Mailing/`, `/Stats/` (seed 003). "
                                "Every path answers with or without its trailing slash."},
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization",
                                          "description": "`Token <t>` or `Bearer <t>` "
                                                         "(tui-notifier tokens create NAME)"}},
        },
    }
