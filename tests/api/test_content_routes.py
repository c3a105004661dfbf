"""The stop list, clone and resend over HTTP, on the same core as every other face."""
from __future__ import annotations

from tui_notifier import counts
from tui_notifier.core import clients, stoplist
from tui_notifier.db import database
from tui_notifier.models import Message

FUTURE = {"start_datetime": "2030-05-01T09:00:00Z", "end_datetime": "2030-05-02T09:00:00Z"}


def test_phones_are_stopped_listed_and_released(api):
    added = api.post("/api/v1/stoplist/", {"phones": ["+7 900 123-45-67", "89001234568"], "reason": "STOP"})
    again = api.post("/api/v1/stoplist", {"phone": 79001234567})

    assert (added.status, added.json()) == (201, {"added": 2, "already": 0, "cancelled": 0})
    assert again.json()["already"] == 1
    page = api.get("/api/v1/stoplist/").json()
    assert page["count"] == 2 and [e["phone"] for e in page["results"]] == ["79001234567", "79001234568"]
    assert page["results"][0]["reason"] == "STOP" and page["results"][0]["created"].endswith("Z")
    assert api.send("DELETE", "/api/v1/stoplist/79001234567/").status == 204
    assert api.send("DELETE", "/api/v1/stoplist/79001234567").status == 404
    assert stoplist.count_stopped() == 1


def test_a_bad_phone_is_a_400_naming_the_field_and_stops_nothing(api):
    answer = api.post("/api/v1/stoplist/", {"phones": ["79001234567", "nope"]})

    assert answer.status == 400 and "phone" in answer.json()
    assert api.post("/api/v1/stoplist/", {}).json() == {"phone": ["This field is required."]}
    assert stoplist.count_stopped() == 0


def test_a_dispatch_is_cloned_with_new_times(api):
    original = api.post("/api/v1/dispatches/", {**FUTURE, "message_text": "Hi", "sender": "Shop"}).json()

    clone = api.post(f"/api/v1/dispatches/{original['id']}/clone/",
                     {"start_datetime": "2030-06-01T09:00:00Z", "end_datetime": "2030-06-02T09:00:00Z"})

    assert clone.status == 201 and clone.headers["Location"].endswith(f"/api/v1/dispatches/{clone.json()['id']}/")
    assert clone.json()["message_text"] == "Hi" and clone.json()["start_datetime"] == "2030-06-01T09:00:00Z"


def test_a_resend_reaches_the_clients_whose_messages_failed(api):
    original = api.post("/api/v1/dispatches/", {**FUTURE, "message_text": "Hi"}).json()
    with database.atomic():
        for number, status in enumerate(["sent", "failed"], start=1):
            client = clients.add_client(f"7900000000{number}")
            Message.create(dispatch=original["id"], client=client, phone=client.phone, status=status)
    counts.rebuild()

    missing = api.post(f"/api/v1/dispatches/{original['id']}/resend/", {})
    resend = api.post(f"/api/v1/dispatches/{original['id']}/resend/", {**FUTURE, "status": "failed"})
    nothing = api.post(f"/api/v1/dispatches/{original['id']}/resend/", {**FUTURE, "status": "timeout"})

    assert missing.status == 400 and set(missing.json()) == {"start_datetime", "end_datetime"}
    assert resend.status == 201
    assert api.get(f"/api/v1/dispatch-reports/{resend.json()['id']}/").json()["audience"] == "list"
    assert nothing.status == 400 and "status" in nothing.json()


def test_a_test_send_is_accepted_for_the_consumer_and_listed(api):
    original = api.post("/api/v1/dispatches/", {**FUTURE, "message_text": "Hi {first_name|friend}"}).json()

    accepted = api.post(f"/api/v1/dispatches/{original['id']}/test-send/",
                        {"phone": "+7 999 000-11-22", "attributes": {"first_name": "Анна"}})
    missing = api.post(f"/api/v1/dispatches/{original['id']}/test-send/", {})

    assert accepted.status == 202
    assert {k: accepted.json()[k] for k in ("phone", "text", "status")} == \
        {"phone": "79990001122", "text": "Hi Анна", "status": "created"}
    assert missing.status == 400 and missing.json() == {"phone": ["This field is required."]}
    assert [t["id"] for t in api.get(f"/api/v1/dispatches/{original['id']}/test-sends/").json()] == \
        [accepted.json()["id"]]
