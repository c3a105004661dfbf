"""`tui-notifier stoplist add|remove|list|load` end to end."""
from __future__ import annotations


def test_add_list_and_remove(cli, db):
    added = cli("stoplist", "add", "+7 900 123-45-67", "89001234568", "--reason", "replied STOP")
    assert (added.code, added.out) == (0, "stopped 2 phone(s), 0 already stopped; cancelled 0 unsent message(s)\n")

    listed = cli("stoplist", "list", "--json").json()
    assert [(e["phone"], e["reason"]) for e in listed] == [("79001234567", "replied STOP"),
                                                          ("79001234568", "replied STOP")]
    assert cli("stoplist", "list", "--count").out == "2\n"
    assert cli("stoplist", "remove", "79001234567").out == "removed 1 phone(s) from the stop list\n"
    assert cli("stoplist", "list", "--count").out == "1\n"


def test_a_bad_phone_fails_in_one_line_and_stops_nothing(cli, db):
    result = cli("stoplist", "add", "79001234567", "nope")

    assert result.code == 1 and "phone" in result.reason
    assert cli("stoplist", "list", "--count").out == "0\n"


def test_a_file_with_a_bad_line_names_it_and_stops_nothing(cli, db, tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("79001234567\n12\n", encoding="utf-8")

    result = cli("stoplist", "load", path)

    assert result.code == 1
    assert result.err.splitlines()[0].startswith(f"{path}:2: phone: ")
    assert "nothing was stopped" in result.err.splitlines()[-1]
    assert cli("stoplist", "list", "--count").out == "0\n"
