"""Seeds 002 and 003 as thin routes over the same core: their field names, shapes and integer ids."""
from __future__ import annotations

import json

from tests.api.seeds import (SEED002_CLIENT, SEED002_MAILING, SEED003_CLIENT, SEED003_CLIENT_PATCH,
                             SEED003_MAILING, SEED003_MAILING_PATCH)
from tui_notifier import counts
from tui_notifier.core import dispatches
from tui_notifier.db import database
from tui_notifier.models import Client, Message, MessageStatus


def fixed_seed002_mailing() -> dict:
    return json.loads(SEED002_MAILING.replace('"VIP"\n', '"VIP",\n'))


def test_seed002_clients_verbatim_and_with_a_real_time_zone(api):
    answer = api.post("/api/v1/clients/", SEED002_CLIENT, content_type="application/json")
    assert answer.status == 400 and list(answer.json()) == ["timezone"]
    body = {**json.loads(SEED002_CLIENT), "timezone": "Europe/Moscow"}
    answer = api.post("/api/v1/clients/", body)
    assert answer.status == 201
    assert answer.json() == {"id": answer.json()["id"], "phone": "78218173218", "operator_code": "123",
                             "tag": None, "timezone": "Europe/Moscow", "attributes": {}}
    path = f"/api/v1/clients/{answer.json()['id']}"
    assert api.send("PUT", path, {**body, "tag": "VIP"}).json()["tag"] == "VIP"
    assert api.send("DELETE", path).status == 204


def test_seed002_mailing_verbatim_is_malformed_json_and_fixed_it_is_created(api):
    verbatim = api.post("/api/v1/mailings/", SEED002_MAILING, content_type="application/json")
    assert verbatim.status == 400 and "Malformed request body" in verbatim.json()["detail"]
    answer = api.post("/api/v1/mailings/", fixed_seed002_mailing())
    assert answer.status == 201, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("start_time", "text", "client_operator_code_filter", "client_tag_filter",
                                 "end_time")} == {
        "start_time": "2022-12-02T16:50:00Z", "text": "hello", "client_operator_code_filter": None,
        "client_tag_filter": "VIP", "end_time": "2028-11-20T00:00:00Z"}
    assert isinstance(body["id"], int)
    assert dispatches.dispatch_by_number(body["id"]).tags == ["VIP"]
    assert answer.headers["Location"].endswith(f"/api/v1/mailings/{body['id']}/")


def test_seed002_statistics_over_all_mailings_and_one(api):
    number = api.post("/api/v1/mailings/", fixed_seed002_mailing()).json()["id"]
    api.post("/api/v1/mailings/", {**fixed_seed002_mailing(), "text": "second"})
    dispatch = dispatches.dispatch_by_number(number)
    with database.atomic():
        for n, status in enumerate([MessageStatus.FAILED, MessageStatus.CREATED, MessageStatus.CREATED]):
            client = Client.create(phone=f"7900000000{n}", operator_code="900")
            Message.create(dispatch=dispatch, client=client, phone=client.phone, status=status)
    counts.rebuild()
    every = api.get("/api/v1/mailings/").json()
    assert every == {"message_data": [{"status": "created", "count": 2}, {"status": "failed", "count": 1}],
                     "total_mailings": 2}
    one = api.get(f"/api/v1/mailings/{number}/").json()
    assert one == {"message_data": [{"status": "created", "count": 2}, {"status": "failed", "count": 1}]}
    assert api.get("/api/v1/mailings/999/").status == 404


def test_seed002_a_started_mailing_cannot_be_edited_but_its_end_moves(api):
    number = api.post("/api/v1/mailings/", fixed_seed002_mailing()).json()["id"]
    refused = api.send("PUT", f"/api/v1/mailings/{number}/", {**fixed_seed002_mailing(), "text": "new"})
    assert refused.status == 409
    moved = api.send("PATCH", f"/api/v1/mailings/{number}/", {"end_time": "2029-01-01"})
    assert moved.status == 200 and moved.json()["end_time"] == "2029-01-01T00:00:00Z"
    assert api.send("DELETE", f"/api/v1/mailings/{number}/").status == 204


def test_seed003_clients_form_encoded_as_curl_sends_them(api):
    made = api.form("POST", "/Clients/", SEED003_CLIENT)
    assert made.status == 201
    body = made.json()
    assert body == {"id": body["id"], "phone_number": "79774053329", "operator_code": "977", "tag": None,
                    "timezone": "UTC", "attributes": {}}
    patched = api.form("PATCH", f"/Clients/{body['id']}/", SEED003_CLIENT_PATCH)
    assert patched.status == 200 and patched.json()["phone_number"] == "79774053328"
    duplicate = api.form("POST", "/Clients/", SEED003_CLIENT_PATCH)
    assert duplicate.status == 400 and list(duplicate.json()) == ["phone_number"]
    assert api.send("DELETE", f"/Clients/{body['id']}/").status == 204


def test_seed003_mailing_verbatim_names_datetime_end_then_works_with_a_later_end(api):
    verbatim = api.form("POST", "/Mailing/", SEED003_MAILING)
    assert verbatim.status == 400 and "datetime_end" in verbatim.json()
    later = SEED003_MAILING.replace("datetime_end=2022-08-20T21:42:16", "datetime_end=2032-08-20T21:42:16")
    made = api.form("POST", "/Mailing/", later + "&filter_op_codes=977,921,925&filter_tag=%D1%82%D0%B5%D0%B33")
    assert made.status == 201, made.text
    body = made.json()
    assert (body["datetime_start"], body["datetime_end"], body["message_text"]) == (
        "2022-08-22T22:42:16Z", "2032-08-20T21:42:16Z", "123123123")
    assert (body["filter_op_codes"], body["filter_tag"]) == ("921,925,977", "тег3")
    patched = api.form("PATCH", f"/Mailing/{body['id']}/", SEED003_MAILING_PATCH.replace("2022", "2033"))
    assert patched.status == 200 and patched.json()["datetime_end"] == "2033-08-22T22:42:16Z"
    assert api.get(f"/Mailing/{body['id']}/").json()["id"] == body["id"]
    assert api.get("/Mailing/").json()["count"] == 1
    stats = api.get("/Stats/").json()
    assert [(s["id"], s["sent_msg"], s["unsent_msg"], s["all_msg"]) for s in stats] == [(body["id"], 0, 0, 0)]
    assert api.get(f"/Stats/{body['id']}/").json()["all_msg"] == 0
    assert api.send("DELETE", f"/Mailing/{body['id']}/").status == 204
    assert api.get(f"/Stats/{body['id']}/").status == 404


def test_the_dialects_see_the_same_dispatches(api):
    made = api.post("/api/v1/dispatches/", {"start_datetime": "2030-05-01T09:00:00Z",
                                            "end_datetime": "2030-05-02T09:00:00Z", "message_text": "Hi"})
    number = made.json()["number"]
    assert api.get(f"/Mailing/{number}/").json()["uuid"] == made.json()["id"]
    assert api.get(f"/api/v1/mailings/{number}/").status == 200
