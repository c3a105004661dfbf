"""What each route does, in core calls: read the request in a dialect, call the core, answer
in the dialect's shape. No SQL and no gateway here: the core does both."""
from __future__ import annotations

import falcon

from tui_notifier.api.bodies import Page, read_body
from tui_notifier.api.dialects import (FILTER_KINDS, Dialect, client_changes, dispatch_changes,
                                       filter_values, wire)
from tui_notifier.api.errors import FieldErrors, field_errors
from tui_notifier.clock import isoformat_z
from tui_notifier.core import clients, dispatches, lookups, reports, stoplist, testsend
from tui_notifier.core.errors import Conflict, ValidationError
from tui_notifier.models import DispatchStatus, MessageStatus


def _core_call(dialect: Dialect, call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except (ValidationError, Conflict) as exc:
        raise field_errors(exc, dialect.core_names) from None


def _dispatch(dialect: Dialect, params: dict):
    if dialect.by_number:
        return dispatches.dispatch_by_number(params["number"])
    return dispatches.get_dispatch(params["dispatch_id"])


def _status_param(req, allowed) -> str | None:
    status = req.get_param("status") or None
    if status is not None and status not in allowed:
        raise FieldErrors({"status": [f'"{status[:40]}" is not a valid choice ({", ".join(allowed)}).']})
    return status


def _created(req, resp, body: dict, location: str) -> None:
    resp.status = falcon.HTTP_201
    resp.location = location
    resp.media = body


# Dispatches -------------------------------------------------------------------------------

def dispatch_list(req, resp, dialect: Dialect, **params):
    status = _status_param(req, DispatchStatus.ALL)
    found = dispatches.list_dispatches(status)
    page = Page(req, len(found))
    resp.media = page.body([dialect.dispatch_out(d) for d in found[page.offset:page.offset + page.limit]])


def dispatch_create(req, resp, dialect: Dialect, location: str, **params):
    body = read_body(req)
    errors: dict = {}
    changes = dispatch_changes(body, dialect, complete=True, errors=errors)
    if all(name in changes for name in dispatches.DISPATCH_REQUIRED):
        for problem in dispatches.dispatch_problems(**changes):
            errors.setdefault(dialect.rename(problem.field), [problem.message])
    if errors:
        raise FieldErrors(errors)
    dispatch = _core_call(dialect, dispatches.create_dispatch, **changes)
    _created(req, resp, dialect.dispatch_out(dispatch, body),
             f"{req.prefix}{location}/{dialect.dispatch_id(dispatch)}/")


def dispatch_show(req, resp, dialect: Dialect, **params):
    resp.media = dialect.dispatch_out(_dispatch(dialect, params))


def _dispatch_change(req, resp, dialect: Dialect, complete: bool, params: dict):
    dispatch = _dispatch(dialect, params)
    body = read_body(req)
    changes = dispatch_changes(body, dialect, complete=complete)
    dispatch = _core_call(dialect, dispatches.update_dispatch, dispatch.id, **changes)
    resp.media = dialect.dispatch_out(dispatch, body)


def dispatch_replace(req, resp, dialect: Dialect, **params):
    _dispatch_change(req, resp, dialect, True, params)


def dispatch_patch(req, resp, dialect: Dialect, **params):
    _dispatch_change(req, resp, dialect, False, params)


def dispatch_delete(req, resp, dialect: Dialect, **params):
    dispatches.delete_dispatch(_dispatch(dialect, params).id)
    resp.status = falcon.HTTP_204


def dispatch_action(action):
    def handle(req, resp, dialect: Dialect, **params):
        resp.media = dialect.dispatch_out(action(_dispatch(dialect, params).id))

    handle.__name__ = f"dispatch_{action.__name__}"
    return handle


_COPY_FIELDS = {"start_datetime": "start", "end_datetime": "end", "status": "statuses"}


def _copy_body(req) -> dict:
    """start_datetime, end_datetime (and for a resend status) from the body, as core keywords."""
    body = read_body(req)
    return {core: body[name] for name, core in _COPY_FIELDS.items() if body.get(name) not in (None, "")}


def dispatch_clone(req, resp, dialect: Dialect, location: str, **params):
    original = _dispatch(dialect, params)
    copy = _core_call(dialect, dispatches.clone_dispatch, original.id, **_copy_body(req))
    _created(req, resp, dialect.dispatch_out(copy), f"{req.prefix}{location}/{copy.id}/")


def dispatch_resend(req, resp, dialect: Dialect, location: str, **params):
    original = _dispatch(dialect, params)
    given = _copy_body(req)
    missing = {name: ["This field is required."] for name, core in _COPY_FIELDS.items()
               if core in ("start", "end") and core not in given}
    if missing:
        raise FieldErrors(missing)
    copy = _core_call(dialect, dispatches.resend_dispatch, original.id, **given)
    _created(req, resp, dialect.dispatch_out(copy), f"{req.prefix}{location}/{copy.id}/")


def _test_send_out(test) -> dict:
    return {"id": test.id, "phone": test.phone, "text": test.text, "status": wire(test.status),
            "error": test.error, "created": isoformat_z(test.created_at), "sent": isoformat_z(test.sent_at)}


def dispatch_test_send(req, resp, dialect: Dialect, **params):
    body = read_body(req)
    if body.get("phone") in (None, ""):
        raise FieldErrors({"phone": ["This field is required."]})
    client_id = body.get("client_id")
    if client_id is not None and (isinstance(client_id, bool) or not isinstance(client_id, int)):
        raise FieldErrors({"client_id": ["A valid integer is required."]})
    original = _dispatch(dialect, params)
    test = _core_call(dialect, testsend.request_test_send, original.id, body["phone"], client_id=client_id,
                      attributes=body.get("attributes"))
    resp.status = falcon.HTTP_202
    resp.media = _test_send_out(test)


def dispatch_test_sends(req, resp, dialect: Dialect, **params):
    resp.media = [_test_send_out(t) for t in testsend.list_test_sends(_dispatch(dialect, params).id)]


def dispatch_preview(req, resp, dialect: Dialect, **params):
    errors: dict = {}
    chosen = {}
    for name, core_name in (("operator", "operator_codes"), ("tag", "tags")):
        values = req.get_param_as_list(name) or []
        chosen[core_name] = filter_values(values, FILTER_KINDS[core_name], name, errors)
    if errors:
        raise FieldErrors(errors)
    renames = {"operator_codes": "operator", "tags": "tag"}
    try:
        count = dispatches.preview_audience(chosen["operator_codes"], chosen["tags"])
    except ValidationError as exc:
        raise field_errors(exc, renames) from None
    resp.media = {"count": count}


def message_json(message) -> dict:
    return {"id": message.id, "dispatch": str(message.dispatch_id), "client": message.client_id,
            "phone": message.phone, "status": wire(message.status), "attempts": message.attempts,
            "created_at": isoformat_z(message.created_at), "sent_at": isoformat_z(message.sent_at),
            "next_attempt_at": isoformat_z(message.next_attempt_at), "last_error": message.last_error,
            "provider_id": message.provider_id}


def dispatch_messages(req, resp, dialect: Dialect, **params):
    dispatch = _dispatch(dialect, params)
    status = _status_param(req, MessageStatus.ALL)
    page = Page(req, reports.count_messages(dispatch.id, status))
    found = reports.dispatch_messages(dispatch.id, status=status, limit=page.limit, offset=page.offset)
    resp.media = page.body([message_json(m) for m in found])


def message_show(req, resp, dialect: Dialect, message_id: int, **params):
    history = reports.message_history(message_id)
    body = message_json(history.message)
    body["text"] = history.text
    body["attempt_log"] = [
        {"at": isoformat_z(a.at), "outcome": wire(a.outcome), "http_status": a.http_status,
         "error": a.error, "latency_ms": a.latency_ms} for a in history.attempts]
    body["delivery_reports"] = [
        {"status": r.status, "substatus": r.substatus, "provider_status": r.provider_status,
         "channel": r.channel, "parts_total": r.parts_total, "parts_delivered": r.parts_delivered,
         "clicks": r.clicks, "reported_at": isoformat_z(r.reported_at),
         "received_at": isoformat_z(r.received_at)} for r in history.reports]
    resp.media = body


# Reports ----------------------------------------------------------------------------------

class ReportAnswers:
    """Whole answers made from every dispatch's report, each kept with the reports' version it
    was made from: while nothing they show changed (`reports.reports_version`), a request is
    answered with the bytes made before instead of building and encoding the reports again."""

    def __init__(self):
        self.held: dict[str, tuple] = {}

    def answer(self, resp, name: str, make) -> None:
        version = reports.reports_version()
        held = self.held.get(name)
        if held is None or held[0] != version:
            handler = resp.options.media_handlers[falcon.MEDIA_JSON]
            held = (version, handler.serialize(make(reports.all_reports(version)), falcon.MEDIA_JSON))
            self.held[name] = held
        resp.content_type = falcon.MEDIA_JSON
        resp.data = held[1]


REPORT_ANSWERS = ReportAnswers()


def report_list(req, resp, dialect: Dialect, **params):
    REPORT_ANSWERS.answer(resp, "dispatch-reports", lambda found: [report.as_json() for report in found])


def report_show(req, resp, dialect: Dialect, **params):
    resp.media = reports.dispatch_report(_dispatch(dialect, params).id).as_json()


def _message_data(counts: dict) -> list[dict]:
    return [{"status": status, "count": counts[status]} for status in MessageStatus.ALL if counts.get(status)]


def mailing_stats(req, resp, dialect: Dialect, **params):
    messages, by_status = reports.totals()
    resp.media = {"message_data": _message_data(messages), "total_mailings": sum(by_status.values())}


def mailing_stats_one(req, resp, dialect: Dialect, **params):
    resp.media = {"message_data": _message_data(reports.dispatch_report(_dispatch(dialect, params).id).counts)}


def _stats(dialect: Dialect, report) -> dict:
    out = dialect.dispatch_out(report.dispatch)
    sent = report.count(*MessageStatus.COMPLETED)
    out.update({"sent_msg": sent, "unsent_msg": report.total - sent, "all_msg": report.total,
                "messages_by_status": {s: report.counts.get(s, 0) for s in MessageStatus.ALL}})
    return out


def stats_list(req, resp, dialect: Dialect, **params):
    REPORT_ANSWERS.answer(resp, f"stats-{dialect.name}",
                          lambda found: [_stats(dialect, report) for report in found])


def stats_show(req, resp, dialect: Dialect, **params):
    resp.media = _stats(dialect, reports.dispatch_report(_dispatch(dialect, params).id))


# Clients ----------------------------------------------------------------------------------

# Stop list ----------------------------------------------------------------------------------

def _stop_entry(entry) -> dict:
    return {"phone": entry.phone, "reason": entry.reason, "created": isoformat_z(entry.created_at)}


def stoplist_list(req, resp, dialect: Dialect, **params):
    page = Page(req, stoplist.count_stopped())
    found = stoplist.list_stopped(limit=page.limit, offset=page.offset)
    resp.media = page.body([_stop_entry(e) for e in found])


def stoplist_add(req, resp, dialect: Dialect, **params):
    body = read_body(req)
    phones = body.get("phones", body.get("phone"))
    if phones in (None, "", []):
        raise FieldErrors({"phone": ["This field is required."]})
    if isinstance(phones, (str, int)):
        phones = [phones]
    if not isinstance(phones, list):
        raise FieldErrors({"phones": ["Expected a list of phones."]})
    result = _core_call(dialect, stoplist.add_phones, phones, body.get("reason") or "")
    resp.status = falcon.HTTP_201
    resp.media = {"added": result.added, "already": result.already, "cancelled": result.cancelled}


def stoplist_remove(req, resp, dialect: Dialect, phone: str, **params):
    if _core_call(dialect, stoplist.remove_phones, [phone]) == 0:
        raise falcon.HTTPNotFound()
    resp.status = falcon.HTTP_204


def client_list(req, resp, dialect: Dialect, **params):
    page = Page(req, clients.count_clients())
    found = clients.list_clients(limit=page.limit, offset=page.offset)
    resp.media = page.body([dialect.client_out(c) for c in found])


def client_create(req, resp, dialect: Dialect, location: str, **params):
    changes = client_changes(read_body(req), dialect, complete=True)
    client = _core_call(dialect, clients.add_client_together, **changes)
    _created(req, resp, dialect.client_out(client), f"{req.prefix}{location}/{client.id}/")


def client_show(req, resp, dialect: Dialect, client_id: int, **params):
    resp.media = dialect.client_out(clients.get_client(client_id))


def _client_change(req, resp, dialect: Dialect, client_id: int, complete: bool):
    clients.get_client(client_id)
    changes = client_changes(read_body(req), dialect, complete=complete)
    resp.media = dialect.client_out(_core_call(dialect, clients.update_client, client_id, **changes))


def client_replace(req, resp, dialect: Dialect, client_id: int, **params):
    _client_change(req, resp, dialect, client_id, True)


def client_patch(req, resp, dialect: Dialect, client_id: int, **params):
    _client_change(req, resp, dialect, client_id, False)


def client_delete(req, resp, dialect: Dialect, client_id: int, **params):
    clients.delete_client(client_id)
    resp.status = falcon.HTTP_204


# Lookups and the rest ---------------------------------------------------------------------

def _lookup_entries(kind: str) -> list[dict]:
    if kind == "message_status":
        return [{"id": str(lookups.reference_id(kind, s)), "code": wire(s), "count": n}
                for s, n in lookups.message_statuses()]
    values = lookups.operator_codes() if kind == "operator_code" else lookups.tags()
    return [{"id": str(lookups.reference_id(kind, v)), "code": v} for v in values]


def lookup_list(kind: str):
    def handle(req, resp, dialect: Dialect, **params):
        entries = _lookup_entries(kind)
        page = Page(req, len(entries))
        resp.media = page.body(entries[page.offset:page.offset + page.limit])

    handle.__name__ = f"{kind}_list"
    return handle


def lookup_show(kind: str):
    def handle(req, resp, dialect: Dialect, reference, **params):
        value = lookups.resolve(kind, reference)
        entry = next((e for e in _lookup_entries(kind) if e["code"] == value), None)
        if entry is None:
            raise falcon.HTTPNotFound()
        resp.media = entry

    handle.__name__ = f"{kind}_show"
    return handle


def api_root(listings):
    """The root's handler, naming where each of `listings` ((name, path) pairs) lives."""

    def handle(req, resp, dialect: Dialect, **params):
        resp.media = {name: f"{req.prefix}{path}/" for name, path in listings}

    handle.__name__ = "api_root"
    return handle


def health(req, resp, dialect: Dialect, **params):
    resp.media = {"status": "ok", "database": "ok" if lookups.database_ready() else "unreachable"}
