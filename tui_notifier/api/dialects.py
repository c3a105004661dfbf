"""The seed systems' vocabularies over one core: field names in, shapes out, ids.

`V1` is seeds 000/001 (UUID ids, DRF shapes), `MAILINGS` seed 002's `/api/v1/mailings/`,
`SEED003` seed 003's `/Clients/`, `/Mailing/`, `/Stats/`. The older two knew dispatches by
an integer id: they show and take the dispatch's sequential `number` as `id`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from tui_notifier.api.errors import FieldErrors
from tui_notifier.clock import isoformat_z
from tui_notifier.core import lookups
from tui_notifier.core.dispatches import DISPATCH_REQUIRED

REQUIRED = "This field is required."


def wire(status) -> str:
    """A status as the API spells it: the core's name, whether the core keeps it as plain text
    or as a str enum."""
    return getattr(status, "value", status)


@dataclass(frozen=True)
class Dialect:
    name: str
    dispatch_fields: dict[str, str]
    """Request field -> core keyword of create_dispatch / update_dispatch."""
    client_fields: dict[str, str]
    """Request field -> core keyword of add_client / update_client."""
    by_number: bool
    """Dispatches are known by their sequential number (shown as `id`), not their UUID."""
    empty_filter: object = None
    """What an absent filter looks like in this dialect's answers."""
    echo_filters: bool = False
    """Answers to a write repeat the filters as the request gave them (seed 001)."""
    core_names: dict[str, str] = field(init=False)

    def __post_init__(self):
        names = {core: api for api, core in {**self.client_fields, **self.dispatch_fields}.items()}
        object.__setattr__(self, "core_names", names)

    def dispatch_id(self, dispatch):
        return dispatch.number if self.by_number else str(dispatch.id)

    def filter_out(self, values: list[str]):
        return ",".join(values) if values else self.empty_filter

    def dispatch_out(self, dispatch, given: dict | None = None) -> dict:
        names = {core: api for api, core in self.dispatch_fields.items()}
        out = {"id": self.dispatch_id(dispatch)}
        if not self.by_number:
            out["status"] = wire(dispatch.status)
        out.update({
            names["start"]: isoformat_z(dispatch.start_at),
            names["end"]: isoformat_z(dispatch.end_at),
            names["text"]: dispatch.message_text,
        })
        for core_name, values in (("operator_codes", dispatch.operator_codes), ("tags", dispatch.tags)):
            api_name = names[core_name]
            if self.echo_filters and given is not None and given.get(api_name) not in (None, ""):
                out[api_name] = given[api_name]
            else:
                out[api_name] = self.filter_out(list(values))
        if self.by_number:
            out.update(uuid=str(dispatch.id), status=wire(dispatch.status))
        else:
            out["number"] = dispatch.number
        out.update(timezone=dispatch.timezone, window=dispatch.window, sender=dispatch.sender or None,
                   status_reason=dispatch.status_reason)
        return out

    def client_out(self, client) -> dict:
        names = {core: api for api, core in self.client_fields.items()}
        return {"id": client.id, names["phone"]: client.phone, "operator_code": client.operator_code,
                "tag": client.tag or None, "timezone": client.timezone, "attributes": client.attributes or {}}

    def rename(self, core_field: str) -> str:
        return self.core_names.get(core_field, core_field)


_CLIENT = {"phone": "phone", "operator_code": "operator_code", "tag": "tag", "timezone": "timezone",
           "attributes": "attributes"}

V1 = Dialect(
    "v1",
    dispatch_fields={"timezone": "timezone", "start_datetime": "start", "end_datetime": "end",
                     "message_text": "text", "filter_mobile_operator_code": "operator_codes",
                     "filter_tag": "tags", "window": "window", "sender": "sender"},
    client_fields=_CLIENT, by_number=False, echo_filters=True,
)
MAILINGS = Dialect(
    "mailings",
    dispatch_fields={"start_time": "start", "text": "text", "client_operator_code_filter": "operator_codes",
                     "client_tag_filter": "tags", "end_time": "end", "timezone": "timezone",
                     "window": "window", "sender": "sender"},
    client_fields=_CLIENT, by_number=True,
)
SEED003 = Dialect(
    "seed003",
    dispatch_fields={"datetime_start": "start", "datetime_end": "end", "message_text": "text",
                     "filter_tag": "tags", "filter_op_codes": "operator_codes", "timezone": "timezone",
                     "window": "window", "sender": "sender"},
    client_fields={"phone_number": "phone", "operator_code": "operator_code", "tag": "tag",
                   "timezone": "timezone", "attributes": "attributes"},
    by_number=True, empty_filter="",
)


def scalar(value, name: str, errors: dict):
    """One value of a field; a form field given twice is an error, not a silent pick."""
    if isinstance(value, list):
        errors[name] = ["Give this field once."]
        return None
    return value


def filter_values(value, kind: str, name: str, errors: dict) -> list[str] | None:
    """A filter as codes or tags: a code, a comma list, a JSON list (as text too), reference
    UUIDs from the lookup lists, or null/empty for everyone."""
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            errors[name] = [f"Not a JSON list: {value[:60]!r}."]
            return None
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            errors[name] = [f"Expected a code or a list of codes, got {type(item).__name__}."]
            return None
        parts = [p.strip() for p in item.split(",")] if isinstance(item, str) else [str(item)]
        for part in parts:
            if not part:
                continue
            if _looks_like_uuid(part):
                resolved = lookups.resolve(kind, part)
                if resolved is None:
                    errors[name] = [f'Invalid pk "{part}" - object does not exist.']
                    return None
                part = resolved
            out.append(part)
    return out


def _looks_like_uuid(text: str) -> bool:
    return len(text) in (32, 36) and all(c in "0123456789abcdefABCDEF-" for c in text)


FILTER_KINDS = {"operator_codes": "operator_code", "tags": "tag"}


def dispatch_changes(body: dict, dialect: Dialect, complete: bool, errors: dict | None = None) -> dict:
    """Core keywords from a request body; `complete` (create, PUT) wants every required field.

    Problems raise FieldErrors, or are added to `errors` when the caller collects them."""
    collect = errors is not None
    errors = {} if errors is None else errors
    changes: dict = {}
    for api_name, core_name in dialect.dispatch_fields.items():
        if api_name not in body:
            if complete and core_name in DISPATCH_REQUIRED:
                errors[api_name] = [REQUIRED]
            continue
        value = scalar(body[api_name], api_name, errors) if core_name not in FILTER_KINDS else body[api_name]
        if core_name in FILTER_KINDS:
            value = filter_values(value, FILTER_KINDS[core_name], api_name, errors)
        if api_name not in errors:
            changes[core_name] = value
    if errors and not collect:
        raise FieldErrors(errors)
    return changes


def client_changes(body: dict, dialect: Dialect, complete: bool) -> dict:
    errors: dict = {}
    changes: dict = {}
    for api_name, core_name in dialect.client_fields.items():
        if api_name in body:
            changes[core_name] = scalar(body[api_name], api_name, errors)
        elif complete and core_name == "phone":
            errors[api_name] = [REQUIRED]
    if errors:
        raise FieldErrors(errors)
    return changes
