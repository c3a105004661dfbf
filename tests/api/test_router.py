"""The rest of seed 000/001's router: nothing an integrator touched answers 404."""
from __future__ import annotations

import pytest

from tui_notifier import counts
from tui_notifier.api.dialects import wire
from tui_notifier.core import clients, dispatches, lookups
from tui_notifier.db import database
from tui_notifier.models import Attempt, Message, MessageStatus

FUTURE = {"start_datetime": "2030-05-01T09:00:00Z", "end_datetime": "2030-05-02T09:00:00Z",
          "message_text": "Hi"}
PAST_START = {**FUTURE, "start_datetime": "2020-05-01T09:00:00Z"}


def create(api, **fields) -> dict:
    answer = api.post("/api/v1/dispatches/", {**FUTURE, **fields})
    assert answer.status == 201, answer.text
    return answer.json()


def test_the_root_lists_the_endpoints_and_each_answers(api):
    root = api.get("/api/v1/").json()
    assert {"clients", "dispatches", "dispatch-reports", "mobile-operator-codes", "tags",
            "message-statuses", "health"} <= set(root)
    for url in root.values():
        assert api.get(url.removeprefix(api.base)).status == 200, url


def test_dispatches_are_paged_ten_at_a_time_and_filtered_by_status(api):
    made = [create(api, message_text=f"n{i}") for i in range(12)]
    dispatches.pause_dispatch(made[0]["id"])
    first = api.get("/api/v1/dispatches/").json()
    assert first["count"] == 12 and len(first["results"]) == 10 and first["previous"] is None
    second = api.get(first["next"].removeprefix(api.base)).json()
    assert len(second["results"]) == 2 and second["next"] is None and second["previous"]
    assert api.get("/api/v1/dispatches/?page=3").status == 404
    paused = api.get("/api/v1/dispatches/?status=paused").json()
    assert [d["id"] for d in paused["results"]] == [made[0]["id"]]
    assert list(api.get("/api/v1/dispatches/?status=asleep").json()) == ["status"]


def test_get_put_patch_delete_one_dispatch(api):
    made = create(api)
    path = f"/api/v1/dispatches/{made['id']}/"
    assert api.get(path).json()["message_text"] == "Hi"
    patched = api.send("PATCH", path, {"message_text": "Hello"})
    assert patched.status == 200 and patched.json()["message_text"] == "Hello"
    replaced = api.send("PUT", path, {**FUTURE, "message_text": "Bye", "filter_tag": "vip"})
    assert replaced.status == 200 and replaced.json()["filter_tag"] == "vip"
    incomplete = api.send("PUT", path, {"message_text": "Bye"})
    assert incomplete.status == 400 and "start_datetime" in incomplete.json()
    assert api.send("DELETE", path).status == 204
    assert api.get(path).status == 404


def test_once_started_only_the_end_moves_anything_else_is_409(api):
    made = create(api, **PAST_START)
    path = f"/api/v1/dispatches/{made['id']}/"
    moved = api.send("PATCH", path, {"end_datetime": "2030-06-01T00:00:00Z"})
    assert moved.status == 200 and moved.json()["end_datetime"] == "2030-06-01T00:00:00Z"
    refused = api.send("PATCH", path, {"message_text": "changed"})
    assert refused.status == 409
    assert "text" in refused.json()["detail"] and "only its end" in refused.json()["detail"]


def test_pause_resume_cancel(api):
    made = create(api)
    base = f"/api/v1/dispatches/{made['id']}"
    assert api.post(f"{base}/pause/").json()["status"] == "paused"
    assert api.post(f"{base}/resume").json()["status"] == "scheduled"
    assert api.post(f"{base}/cancel/").json()["status"] == "cancelled"
    again = api.post(f"{base}/pause/")
    assert again.status == 409 and "cancelled" in again.json()["detail"]
    assert api.get(f"{base}/pause/").status == 405


def test_preview_counts_the_audience(api):
    clients.add_client("79001234567", tag="vip")
    clients.add_client("79011234567", tag="vip")
    clients.add_client("79021234567")
    assert api.get("/api/v1/dispatches/preview/?operator=900,901&tag=vip").json() == {"count": 2}
    assert api.get("/api/v1/dispatches/preview?operator=900&operator=902").json() == {"count": 2}
    assert api.get("/api/v1/dispatches/preview/").json() == {"count": 3}
    ref = lookups.reference_id("tag", "vip")
    assert api.get(f"/api/v1/dispatches/preview/?tag={ref}").json() == {"count": 2}
    assert list(api.get("/api/v1/dispatches/preview/?operator=9").json()) == ["operator"]


def test_messages_of_a_dispatch_and_one_message_with_its_history(api):
    made = create(api)
    client = clients.add_client("79001234567")
    with database.atomic():
        message = Message.create(dispatch=made["id"], client=client, phone=client.phone,
                                 status=MessageStatus.FAILED, last_error="HTTP 400")
        Attempt.create(message=message, outcome="permanent", http_status=400, error="HTTP 400")
    counts.rebuild()
    page = api.get(f"/api/v1/dispatches/{made['id']}/messages/?status=failed").json()
    assert page["count"] == 1 and page["results"][0]["id"] == message.id
    assert api.get(f"/api/v1/dispatches/{made['id']}/messages/?status=sent").json()["count"] == 0
    detail = api.get(f"/api/v1/messages/{message.id}/").json()
    assert detail["status"] == "failed" and detail["attempt_log"][0]["http_status"] == 400
    assert detail["delivery_reports"] == []
    assert api.get("/api/v1/messages/999999/").status == 404
    assert api.get("/api/v1/messages/99999999999999999999999/").status == 404


def test_clients_crud_and_a_duplicate_phone(api):
    made = api.post("/api/v1/clients/", {"phone": "+7 900 123-45-67", "tag": "vip"})
    assert made.status == 201
    body = made.json()
    assert body == {"id": body["id"], "phone": "79001234567", "operator_code": "900", "tag": "vip",
                    "timezone": "UTC", "attributes": {}}
    assert made.headers["Location"].endswith(f"/api/v1/clients/{body['id']}/")
    twice = api.post("/api/v1/clients/", {"phone": "89001234567"})
    assert twice.status == 400 and list(twice.json()) == ["phone"]
    path = f"/api/v1/clients/{body['id']}/"
    assert api.send("PATCH", path, {"timezone": "Europe/Moscow"}).json()["timezone"] == "Europe/Moscow"
    assert api.send("PUT", path, {"tag": "x"}).status == 400
    assert api.send("PUT", path, {"phone": "79001234568"}).json()["operator_code"] == "900"
    assert api.get("/api/v1/clients/").json()["count"] == 1
    assert api.send("DELETE", path).status == 204
    assert api.get(path).status == 404
    assert api.get("/api/v1/clients/abc/").status == 404


@pytest.mark.parametrize("path, field", [("/api/v1/mobile-operator-codes/", "operator_code"),
                                         ("/api/v1/tags/", "tag")])
def test_lookups_have_stable_reference_ids(api, path, field):
    clients.add_client("79001234567", tag="vip")
    entries = api.get(path).json()["results"]
    assert len(entries) == 1
    value = entries[0]["code"]
    assert entries[0]["id"] == str(lookups.reference_id(field, value))
    assert api.get(f"{path}{entries[0]['id']}/").json() == entries[0]
    assert api.get(f"{path}3fa85f64-5717-4562-b3fc-2c963f66afa6/").status == 404


def test_message_statuses_come_with_their_counts(api):
    statuses = api.get("/api/v1/message-statuses/").json()
    assert [s["code"] for s in statuses["results"]] == [wire(s) for s in MessageStatus.ALL]
    assert all(s["count"] == 0 for s in statuses["results"])


def test_health(api):
    assert api.get("/api/v1/health/").json() == {"status": "ok", "database": "ok"}


def test_client_attributes_and_a_dispatch_sender_go_through(api):
    made = api.post("/api/v1/clients/", {"phone": "79001234567", "attributes": {"name": "Анна"}})
    assert made.status == 201 and made.json()["attributes"] == {"name": "Анна"}
    patched = api.send("PATCH", f"/api/v1/clients/{made.json()['id']}/", {"attributes": {"name": "Ann"}})
    assert patched.json()["attributes"] == {"name": "Ann"}
    dispatch = create(api, sender="Shop")
    assert dispatch["sender"] == "Shop"
    assert api.post("/api/v1/dispatches/", {**FUTURE, "sender": "a" * 40}).status == 400
