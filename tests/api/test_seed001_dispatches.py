"""Seed 001: `POST /api/v1/dispatches/` with its body, its answer, and its filter forms."""
from __future__ import annotations

import json

import pytest

from tests.api.seeds import SEED001_ANSWER_KEYS, SEED001_BODY, SEED001_PATH
from tui_notifier.core import clients, dispatches, lookups


def seed_body(**changes) -> dict:
    body = json.loads(SEED001_BODY)
    body["end_datetime"] = "2031-01-21T15:26:34.459Z"
    body.update(changes)
    return body


def test_the_seed_example_itself_is_refused_naming_end_datetime(api):
    answer = api.post(SEED001_PATH, SEED001_BODY, content_type="application/json")
    assert answer.status == 400
    errors = answer.json()
    assert "end_datetime" in errors
    assert errors["end_datetime"] == ["the end must be after the start"]
    assert dispatches.list_dispatches() == []


def test_with_a_later_end_and_known_references_it_answers_201_in_the_seed_shape(api):
    clients.add_client("79111234567", tag="vip")
    code_ref = str(lookups.reference_id("operator_code", "911"))
    tag_ref = str(lookups.reference_id("tag", "vip"))
    answer = api.post(SEED001_PATH, seed_body(filter_mobile_operator_code=code_ref, filter_tag=tag_ref))
    assert answer.status == 201, answer.text
    body = answer.json()
    assert list(body)[:7] == SEED001_ANSWER_KEYS
    assert body["status"] == "scheduled"
    assert body["start_datetime"] == "2024-01-21T15:26:34.459Z"
    assert body["end_datetime"] == "2031-01-21T15:26:34.459Z"
    assert body["message_text"] == "Привет, мир!"
    assert body["filter_mobile_operator_code"] == code_ref and body["filter_tag"] == tag_ref
    assert answer.headers["Location"].endswith(f"/api/v1/dispatches/{body['id']}/")
    stored = dispatches.get_dispatch(body["id"])
    assert (stored.operator_codes, stored.tags, stored.timezone) == (["911"], ["vip"], "Africa/Abidjan")


def test_the_references_come_from_the_lookup_lists(api):
    clients.add_client("79121234567", tag="javascript")
    codes = api.get("/api/v1/mobile-operator-codes/").json()["results"]
    tags = api.get("/api/v1/tags/").json()["results"]
    assert [c["code"] for c in codes] == ["912"] and [t["code"] for t in tags] == ["javascript"]
    answer = api.post(SEED001_PATH, seed_body(filter_mobile_operator_code=codes[0]["id"],
                                              filter_tag=tags[0]["id"]))
    assert answer.status == 201, answer.text
    stored = dispatches.get_dispatch(answer.json()["id"])
    assert (stored.operator_codes, stored.tags) == (["912"], ["javascript"])


@pytest.mark.parametrize("given, codes", [
    ("911", ["911"]),
    ("911,912, 913", ["911", "912", "913"]),
    (["911", 912], ["911", "912"]),
    ('["911", "914"]', ["911", "914"]),
    (None, []),
    ("", []),
])
def test_a_filter_is_a_code_a_comma_list_a_json_list_or_null(api, given, codes):
    answer = api.post(SEED001_PATH, seed_body(filter_mobile_operator_code=given, filter_tag=None))
    assert answer.status == 201, answer.text
    assert dispatches.get_dispatch(answer.json()["id"]).operator_codes == codes


def test_absent_filters_mean_everyone(api):
    body = seed_body()
    del body["filter_mobile_operator_code"], body["filter_tag"]
    answer = api.post(SEED001_PATH, body)
    assert answer.status == 201, answer.text
    assert answer.json()["filter_mobile_operator_code"] is None
    stored = dispatches.get_dispatch(answer.json()["id"])
    assert (stored.operator_codes, stored.tags) == ([], [])


def test_an_unknown_reference_is_a_400_naming_the_field(api):
    answer = api.post(SEED001_PATH, seed_body(filter_tag=None))
    assert answer.status == 400
    assert answer.json() == {"filter_mobile_operator_code": [
        'Invalid pk "3fa85f64-5717-4562-b3fc-2c963f66afa6" - object does not exist.']}


def test_required_fields_and_bad_values_are_400s_in_drf_shape(api):
    answer = api.post(SEED001_PATH, {"timezone": "Mars/Olympus"})
    assert answer.status == 400
    errors = answer.json()
    assert errors["start_datetime"] == errors["end_datetime"] == errors["message_text"] == \
        ["This field is required."]
    answer = api.post(SEED001_PATH, seed_body(timezone="Mars/Olympus", filter_mobile_operator_code="91",
                                              filter_tag=None))
    errors = answer.json()
    assert answer.status == 400 and set(errors) == {"timezone", "filter_mobile_operator_code"}
    assert all(isinstance(v, list) and isinstance(v[0], str) for v in errors.values())


def test_the_window_is_an_extra(api):
    answer = api.post(SEED001_PATH, seed_body(filter_mobile_operator_code=None, filter_tag=None,
                                              window="22:00-06:00"))
    assert answer.status == 201
    assert answer.json()["window"] == "22:00-06:00"
    answer = api.post(SEED001_PATH, seed_body(filter_mobile_operator_code=None, filter_tag=None,
                                              window="lunch"))
    assert answer.status == 400 and list(answer.json()) == ["window"]
