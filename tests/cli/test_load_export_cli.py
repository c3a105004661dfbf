"""`tui-notifier clients load|export` and `report ID --messages --format csv` end to end."""
from __future__ import annotations

import csv
import io
import json

import pytest

from tui_notifier import counts
from tui_notifier.core.clients import add_client
from tui_notifier.core.dispatches import create_dispatch
from tui_notifier.clock import utcnow
from tui_notifier.db import database
from tui_notifier.models import Client, Message


def table() -> list[tuple]:
    return list(Client.select(Client.phone, Client.operator_code, Client.tag, Client.timezone)
                .order_by(Client.id).tuples())


@pytest.fixture
def directory(db):
    add_client("79001110001", tag="vip", timezone="Europe/Moscow")
    add_client("79001110002", tag='quote " and, comma')
    add_client("79011110003", tag="vip", operator_code="555")
    return table()


def test_a_csv_file_loads_and_says_what_it_did(cli, db, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("phone,tag\n+7 900 123-45-67,vip\n89001234568,\n", encoding="utf-8")

    result = cli("clients", "load", path, "--json")

    assert result.code == 0
    assert {k: result.json()[k] for k in ("total", "created", "failed", "written")} == \
        {"total": 2, "created": 2, "failed": 0, "written": True}
    assert table() == [("79001234567", "900", "vip", "UTC"), ("79001234568", "900", "", "UTC")]


def test_bad_csv_rows_are_each_named_and_nothing_is_written(cli, directory, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("phone,timezone\n79005550001,UTC\n123,UTC\n79005550002,Mars/Base\n", encoding="utf-8")

    result = cli("clients", "load", path)

    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].startswith(f"{path}:3: row 2: phone: ")
    assert lines[1].startswith(f"{path}:4: row 3: timezone: unknown time zone 'Mars/Base'")
    assert lines[-1].startswith("tui-notifier: error: ") and "nothing was loaded" in lines[-1]
    assert "Traceback" not in result.err
    assert table() == directory


def test_a_yaml_file_named_csv_is_read_as_yaml_when_told(cli, db, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("- {phone: 79001234567}\n", encoding="utf-8")

    assert cli("clients", "load", path, "--format", "yaml").code == 0
    assert len(table()) == 1


@pytest.mark.parametrize("fmt", ["csv", "yaml", "json"])
def test_an_export_loads_back_into_an_empty_directory_unchanged(cli, directory, tmp_path, fmt):
    exported = tmp_path / f"clients.{fmt}"
    result = cli("clients", "export", "--format", fmt, "--output", exported)
    assert result.code == 0 and result.err == "exported 3 client(s) to " + str(exported) + "\n"

    if fmt == "json":
        rows = json.loads(exported.read_text(encoding="utf-8"))
        assert [(r["phone"], r["operator_code"], r["tag"], r["timezone"]) for r in rows] == directory
        return
    with database.atomic():
        Client.delete().execute()
    loaded = cli("clients", "load", exported, "--format", fmt)
    assert loaded.code == 0, loaded.err
    assert table() == directory


def test_an_export_takes_the_list_filters_and_writes_to_stdout(cli, directory):
    result = cli("clients", "export", "--tag", "vip", "--operator", "900")

    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [row["phone"] for row in rows] == ["79001110001"]
    assert list(rows[0]) == ["phone", "operator_code", "tag", "timezone"]


def test_an_export_of_nothing_is_a_header_or_an_empty_list(cli, db):
    assert cli("clients", "export").out == "phone,operator_code,tag,timezone\n"
    assert json.loads(cli("clients", "export", "--format", "json").out) == []


def test_an_unwritable_export_path_fails_in_one_line(cli, directory, tmp_path):
    result = cli("clients", "export", "--output", tmp_path / "missing" / "out.csv")

    assert result.code == 1 and "cannot write" in result.reason


def test_a_dispatchs_messages_export_as_csv_with_status_and_error(cli, db):
    dispatch = create_dispatch("2099-01-21T15:52:00Z", "2099-01-27T15:44:00Z", "Hi", now=utcnow())
    with database.atomic():
        for number, (status, error) in enumerate([("sent", ""), ("failed", 'gateway said "no", twice'),
                                                  ("failed", "x")], start=1):
            client = Client.create(phone=f"7911{number:07d}", operator_code="911")
            Message.create(dispatch=dispatch, client=client, phone=client.phone, status=status, last_error=error)
    counts.rebuild()

    every = cli("report", str(dispatch.id), "--messages", "--format", "csv")
    failed = cli("report", str(dispatch.id)[:8], "--messages", "--status", "failed", "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(every.out)))
    assert [row["status"] for row in rows] == ["sent", "failed", "failed"]
    assert rows[1]["last_error"] == 'gateway said "no", twice'
    assert [row["phone"] for row in csv.DictReader(io.StringIO(failed.out))] == ["79110000002", "79110000003"]


def test_attributes_are_set_and_removed_with_attr_and_shown(cli, db):
    added = cli("clients", "add", "79001234567", "--attr", "first_name=Анна", "--attr", "city=Омск", "--json")
    assert added.json()["attributes"] == {"first_name": "Анна", "city": "Омск"}

    updated = cli("clients", "update", "1", "--attr", "city=", "--attr", "level=gold", "--json")
    assert updated.json()["attributes"] == {"first_name": "Анна", "level": "gold"}
    assert "first_name=Анна, level=gold" in cli("clients", "list").out


def test_an_attribute_without_a_value_sign_is_a_usage_error(cli, db):
    result = cli("clients", "add", "79001234567", "--attr", "first_name")

    assert result.code == 2 and "expected NAME=VALUE" in result.err


def test_a_csv_export_has_a_column_per_attribute_and_loads_back(cli, db, tmp_path):
    add_client("79001234567", attributes={"first_name": "Анна"})
    add_client("79001234568", attributes={"city": "Омск"})
    exported = tmp_path / "out.csv"
    cli("clients", "export", "-o", exported)

    assert exported.read_text(encoding="utf-8").splitlines()[:2] == [
        "phone,operator_code,tag,timezone,city,first_name", "79001234567,900,,UTC,,Анна"]
    with database.atomic():
        Client.delete().execute()
    assert cli("clients", "load", exported).code == 0
    assert [c.attributes for c in Client.select().order_by(Client.id)] == [{"first_name": "Анна"}, {"city": "Омск"}]


def test_a_yaml_export_keeps_attributes(cli, db, tmp_path):
    add_client("79001234567", attributes={"first_name": "Анна"})
    exported = tmp_path / "out.yaml"
    cli("clients", "export", "--format", "yaml", "-o", exported)
    with database.atomic():
        Client.delete().execute()

    assert cli("clients", "load", exported).code == 0
    assert Client.get().attributes == {"first_name": "Анна"}


def test_preview_with_a_text_shows_a_sample_and_the_billed_total(cli, db):
    add_client("79001234567", attributes={"first_name": "Анна"})
    add_client("79001234568", attributes={"first_name": "Bob"})

    result = cli("dispatches", "preview", "--text", "Hi {first_name|friend}", "--json")

    assert result.json() == {"count": 2, "sample": "Hi Анна", "min_parts": 1, "max_parts": 1, "total_sms": 2,
                             "encodings": ["GSM-7", "UCS-2"]}


def test_a_dispatch_whose_placeholder_some_clients_lack_is_refused_in_one_line(cli, db):
    add_client("79001234567", attributes={"first_name": "Анна"})
    add_client("79001234568")

    result = cli("dispatches", "create", "--start", "2099-01-01T10:00", "--end", "2099-01-02T10:00",
                 "--text", "Hi {first_name}")

    assert result.code == 1
    assert "text: {first_name} has no value for 1 of 2 clients" in result.reason
    assert cli("dispatches", "list", "--json").json() == []
