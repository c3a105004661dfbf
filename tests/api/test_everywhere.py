"""Rules every route keeps: slashes, bodies, times, errors as JSON."""
from __future__ import annotations

import pytest

from tui_notifier.core import dispatches
from tui_notifier.db import database

BODY = {"start_datetime": "2030-05-01T09:00:00Z", "end_datetime": "2030-05-02T09:00:00Z",
        "message_text": "Hi"}


@pytest.mark.parametrize("path", ["/api/v1/dispatch-reports", "/api/v1/dispatch-reports/", "/api/v1",
                                  "/api/v1/", "/api/v1/clients", "/Stats", "/Stats/"])
def test_every_path_answers_with_and_without_the_trailing_slash_and_no_redirect(api, path):
    answer = api.get(path)
    assert answer.status == 200, answer.text
    assert "Location" not in answer.headers


def test_a_form_encoded_body_works_like_json(api):
    form = ("start_datetime=2030-05-01T09%3A00%3A00Z&end_datetime=2030-05-02T09%3A00%3A00Z"
            "&message_text=Hello+there&filter_mobile_operator_code=911&filter_mobile_operator_code=912")
    answer = api.form("POST", "/api/v1/dispatches/", form)
    assert answer.status == 201, answer.text
    stored = dispatches.get_dispatch(answer.json()["id"])
    assert (stored.message_text, stored.operator_codes) == ("Hello there", ["911", "912"])


def test_times_go_out_in_utc_with_z_and_naive_times_are_read_in_the_request_timezone(api):
    answer = api.post("/api/v1/dispatches/", {**BODY, "timezone": "Europe/Moscow",
                                              "start_datetime": "2030-05-01T09:00",
                                              "end_datetime": "2030-05-01T21:30:00+02:00"})
    assert answer.status == 201, answer.text
    body = answer.json()
    assert body["start_datetime"] == "2030-05-01T06:00:00Z"
    assert body["end_datetime"] == "2030-05-01T19:30:00Z"


def test_an_unknown_method_is_405_with_allow(api):
    answer = api.send("DELETE", "/api/v1/dispatch-reports/")
    assert answer.status == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert "DELETE" not in answer.headers["Allow"]
    assert answer.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_an_unknown_media_type_is_415(api):
    answer = api.post("/api/v1/dispatches/", "<dispatch/>", content_type="text/xml")
    assert answer.status == 415
    assert answer.json() == {"detail": 'Unsupported media type "text/xml" in request.'}


def test_malformed_json_is_a_400_saying_so(api):
    answer = api.post("/api/v1/dispatches/", '{"message_text": "Hi",', content_type="application/json")
    assert answer.status == 400
    assert "Malformed request body" in answer.json()["detail"]


def test_a_body_that_is_not_an_object_is_a_400(api):
    answer = api.post("/api/v1/dispatches/", [1, 2])
    assert answer.status == 400
    assert answer.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_the_body_size_is_bounded(api):
    answer = api.post("/api/v1/dispatches/", {**BODY, "message_text": "x" * 2_000_000})
    assert answer.status == 413
    assert "detail" in answer.json()
    assert dispatches.list_dispatches() == []


def test_an_unknown_path_is_a_json_404(api):
    answer = api.get("/api/v2/nothing/", headers={"Accept": "text/html"})
    assert (answer.status, answer.json()) == (404, {"detail": "Not found."})


def test_a_server_error_is_json_without_a_traceback(api):
    database.execute_sql("DROP TABLE dispatch_count")
    answer = api.get("/api/v1/dispatch-reports/")
    assert answer.status == 500
    assert answer.json() == {"detail": "A server error occurred."}
    assert "Traceback" not in answer.text and "dispatch_count" not in answer.text
