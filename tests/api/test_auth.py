"""Token auth: `Token <t>` or `Bearer <t>` on every route but the documentation; read-only
tokens read; `tokens create|list|revoke` on the command line, the token kept only hashed."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading

import pytest

from harness import wait_for
from tests.api.conftest import Api
from tests.api.seeds import SEED003_CLIENT, SEED003_TOKEN
from tui_notifier.api.app import ApiOptions
from tui_notifier.core import audit, tokens
from tui_notifier.db import database
from tui_notifier.models import ApiToken


@pytest.fixture
def api_options() -> ApiOptions:
    return ApiOptions(auth=True)


@pytest.fixture
def writer(db) -> str:
    return tokens.create_token("crm-sync")[1]


@pytest.fixture
def reader(db) -> str:
    return tokens.create_token("dashboards", read_only=True)[1]


@pytest.mark.parametrize("header", [None, "", "Token", "Token ", "Basic dXNlcjpwYXNz", f"Token {SEED003_TOKEN}"])
def test_no_or_a_bad_token_is_a_401_asking_for_a_token(api, writer, header):
    headers = {"Authorization": header} if header is not None else {}
    answer = api.get("/api/v1/dispatch-reports/", headers=headers)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == "Token"
    assert answer.json()["detail"] in ("Authentication credentials were not provided.", "Invalid token.")


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "bearer"])
def test_a_token_goes_as_token_or_bearer(api, writer, scheme):
    answer = api.get("/api/v1/dispatch-reports/", headers={"Authorization": f"{scheme} {writer}"})
    assert answer.status == 200


def test_a_read_only_token_reads_but_a_write_is_403(api, reader):
    api.token = reader
    assert api.get("/api/v1/clients/").status == 200
    answer = api.form("POST", "/Clients/", SEED003_CLIENT)
    assert answer.status == 403
    assert "read-only" in answer.json()["detail"]
    assert api.get("/api/v1/clients/").json()["count"] == 0


def test_writes_are_audited_under_the_token_name(api, writer):
    api.token = writer
    answer = api.form("POST", "/Clients/", SEED003_CLIENT)
    assert answer.status == 201
    entry = audit.list_entries()[0]
    assert (entry.actor, entry.face, entry.action, entry.object_type, entry.object_id) == \
        ("crm-sync", "api", "create", "client", str(answer.json()["id"]))


def test_a_revoked_token_is_refused_at_once(api, writer):
    api.token = writer
    assert api.get("/api/v1/").status == 200
    tokens.revoke_token("crm-sync")
    assert api.get("/api/v1/").status == 401


def test_only_the_hash_is_stored(db):
    token, text = tokens.create_token("ci")
    stored = ApiToken.get(ApiToken.name == "ci")
    assert stored.digest == hashlib.sha256(text.encode()).hexdigest()
    assert text not in {str(v) for v in stored.__data__.values()}
    assert len(text) >= 40 and tokens.check_token(text).name == "ci"
    assert tokens.check_token(text + "x") is None


def test_an_unknown_path_is_404_even_without_a_token(api):
    assert api.get("/nowhere/").status == 404


def test_clients_created_at_once_each_get_their_own_answer_row_and_audit_entry(api, writer, db):
    """Sixteen creates sent together from eight connections under two tokens: each is answered
    with its own client or its own error, and each row is audited under its own token."""
    other = tokens.create_token("shop")[1]
    bodies = [{"phone": f"7912000{n:04d}", "tag": f"t{n}"} for n in range(14)]
    bodies += [{"phone": bodies[0]["phone"], "tag": "again"}, {"phone": "12345"}]
    answers: dict = {}

    def send(indexes):
        own = Api(api.base)
        for n in indexes:
            answers[n] = own.post("/api/v1/clients/", bodies[n], token=writer if n % 2 else other)
        own.session.close()

    threads = [threading.Thread(target=send, args=(range(k, 16, 8),)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    created = {n: a.json() for n, a in answers.items() if a.status == 201}
    refused = {n: a.json() for n, a in answers.items() if a.status == 400}
    assert len(created) == 14 and len(refused) == 2
    assert refused[15] == {"phone": [refused[15]["phone"][0]]}
    assert sorted(refused) in ([0, 15], [14, 15]) and "already" in refused[sorted(refused)[0]]["phone"][0]
    for n, body in created.items():
        assert (body["phone"], body["tag"]) == (bodies[n]["phone"], bodies[n]["tag"])
        assert answers[n].headers["Location"].endswith(f"/api/v1/clients/{body['id']}/")
    entries = {e.object_id: e.actor for e in audit.list_entries() if e.object_type == "client"}
    assert entries == {str(body["id"]): "crm-sync" if n % 2 else "shop" for n, body in created.items()}


def test_a_client_created_together_takes_no_connection_of_its_own_unless_it_reads(api, writer, db,
                                                                                monkeypatch):
    """Its write goes through the connection kept for writes; a token not remembered is read on
    the request's own connection, opened then."""
    monkeypatch.setattr(tokens, "REMEMBERED_FOR", 600.0)
    connects = []
    connect = database.obj.connect
    monkeypatch.setattr(database.obj, "connect", lambda *a, **kw: connects.append(1) or connect(*a, **kw))
    api.token = writer
    assert api.post("/api/v1/clients/", {"phone": "79120000001"}).status == 201
    assert api.post("/api/v1/clients/", {"phone": "79120000002"}).status == 201
    assert len(connects) == 1
    assert api.get("/api/v1/clients/").json()["count"] == 2 and len(connects) == 2


def test_a_token_is_read_from_the_database_about_once_a_second_not_once_a_request(api, writer, monkeypatch):
    reads = []
    read = tokens._read_holder
    monkeypatch.setattr(tokens, "_read_holder", lambda key: reads.append(key) or read(key))
    api.token = writer
    assert [api.get("/api/v1/").status for _ in range(5)] == [200] * 5
    assert len(reads) == 1
    assert api.get("/api/v1/", token=writer + "x").status == 401
    assert api.get("/api/v1/", token=writer + "x").status == 401 and len(reads) == 3


def test_a_token_revoked_by_another_process_is_refused_within_the_time_it_is_remembered(api, writer, db_path,
                                                                                       tmp_path):
    api.token = writer
    assert api.get("/api/v1/").status == 200
    config = tmp_path / "elsewhere.yaml"
    config.write_text(f"database: {json.dumps(str(db_path))}\n", encoding="utf-8")
    revoke = subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(config), "tokens", "revoke",
                             "crm-sync"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert revoke.returncode == 0, revoke.stderr
    wait_for(lambda: api.get("/api/v1/").status == 401, tokens.REMEMBERED_FOR + 1, 0.02, "the revoke seen")
