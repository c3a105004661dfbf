"""Client attributes: free-form name -> text for placeholders, from every way in, kept across loads."""
from __future__ import annotations

import sqlite3

import pytest

from tui_notifier.core import clients
from tui_notifier.core.clients import add_client, update_client
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.loader import load_clients_text
from tui_notifier.db import close_database, open_database
from tui_notifier.models import Client


def attributes_of(phone: str) -> dict:
    return Client.get(Client.phone == phone).attributes


def test_a_client_keeps_its_attributes_as_text(db):
    client = add_client("79001234567", attributes={"first_name": "Анна", "visits": 3, "empty": "  "})

    assert attributes_of(client.phone) == {"first_name": "Анна", "visits": "3"}


def test_update_can_set_one_attribute_remove_another_or_replace_them_all(db):
    client = add_client("79001234567", attributes={"first_name": "Анна", "city": "Омск"})

    update_client(client.id, set_attributes={"city": "", "level": "gold"})
    assert attributes_of(client.phone) == {"first_name": "Анна", "level": "gold"}
    update_client(client.id, attributes={"nick": "A"})
    assert attributes_of(client.phone) == {"nick": "A"}


@pytest.mark.parametrize("attributes, problem", [
    ({"first name": "x"}, "letters, digits and _"),
    ({"1st": "x"}, "not starting with a digit"),
    ({"tag": "x"}, "a field of every client"),
    ({"note": "two\nlines"}, "one line"),
    ({"note": ["a"]}, "expected text, got list"),
    ({"note": "x" * 501}, "at most 500 characters"),
    ("first_name=Анна", "expected a mapping"),
])
def test_a_bad_attribute_is_refused_naming_it(db, attributes, problem):
    with pytest.raises(ValidationError, match=problem) as raised:
        add_client("79001234567", attributes=attributes)

    assert raised.value.field == "attributes"
    assert Client.select().count() == 0


def test_csv_columns_beyond_the_fields_are_attributes_and_empty_cells_are_not_set(db):
    load_clients_text("phone,first_name,city\n79001234567,Анна,\n79001234568,,Омск\n", source="c.csv", format="csv")

    assert attributes_of("79001234567") == {"first_name": "Анна"}
    assert attributes_of("79001234568") == {"city": "Омск"}


def test_yaml_rows_give_attributes_as_a_mapping(db):
    load_clients_text("- {phone: 79001234567, attributes: {first_name: Анна, visits: 3}}\n")

    assert attributes_of("79001234567") == {"first_name": "Анна", "visits": "3"}


def test_a_reload_adds_to_the_attributes_a_client_has(db):
    add_client("79001234567", attributes={"first_name": "Анна", "city": "Омск"})

    load_clients_text("phone,city,level\n79001234567,Тула,gold\n", source="c.csv", format="csv")

    assert attributes_of("79001234567") == {"first_name": "Анна", "city": "Тула", "level": "gold"}


def test_a_bad_attribute_in_a_file_is_a_bad_row(db):
    result = load_clients_text("- {phone: 79001234567, attributes: {bad name: x}}\n")

    assert not result.written
    [error] = result.errors
    assert (error.row, error.field) == (1, "attributes")


def test_a_database_of_the_previous_version_gains_the_attributes_column(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE client (id INTEGER PRIMARY KEY, phone VARCHAR(11) NOT NULL UNIQUE, "
                     "operator_code VARCHAR(3) NOT NULL, tag VARCHAR(64) NOT NULL, timezone VARCHAR(64) NOT NULL)")
        conn.execute("INSERT INTO client (phone, operator_code, tag, timezone) VALUES ('79001234567', '900', 'old', 'UTC')")
    try:
        open_database(str(path))
        assert clients.get_client(1).attributes == {}
        update_client(1, set_attributes={"first_name": "Анна"})
        assert attributes_of("79001234567") == {"first_name": "Анна"}
    finally:
        close_database()
