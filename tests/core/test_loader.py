"""Bulk-load of clients from YAML: good files land whole, bad ones are rejected whole and say where."""
from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from tui_notifier.core.clients import add_client
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.loader import LoadError, load_clients_file, load_clients_text
from tui_notifier.models import Client

DATA = Path(__file__).parent / "data"

EXPECTED = [
    ("79001234567", "900", "vip", "Europe/Moscow"),
    ("79011234567", "901", "retail", "UTC"),
    ("79021234567", "999", "", "Asia/Yekaterinburg"),
    ("79031234567", "903", "", "UTC"),
]


def table() -> list[tuple]:
    """The whole client table, ids included, to compare before and after a load."""
    return list(Client.select(Client.id, Client.phone, Client.operator_code, Client.tag, Client.timezone)
                .order_by(Client.id).tuples())


def clients() -> list[tuple]:
    return [row[1:] for row in table()]


@pytest.fixture
def write(tmp_path):
    """Write YAML text (or bytes) to a file named clients.yaml and give its path."""

    def make(content, name="clients.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return make


@pytest.fixture
def directory(db):
    """A directory that already holds two clients, so a rejected load has something to leave alone."""
    add_client("79001234567", tag="old", timezone="Europe/Moscow")
    add_client("79991112233", tag="keep")
    return table()


# --- good files -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["clients_list.yaml", "clients_mapping.yaml"])
def test_both_shapes_load_every_phone_form_normalised(db, name):
    result = load_clients_file(DATA / name)

    assert (result.total, result.created, result.updated, result.skipped, result.failed) == (4, 4, 0, 0, 0)
    assert result.written and result.errors == []
    assert clients() == EXPECTED


def test_every_common_phone_form_becomes_the_same_number(db):
    forms = ['"+7 900 123-45-67"', '"8 (900) 1234567"', "79001234567", "89001234567",
             "+79001234567", '"9001234567"', '"+7(900)123.45.67"']
    for form in forms:
        Client.delete().execute()
        result = load_clients_text(f"- phone: {form}\n")
        assert result.created == 1, form
        assert clients() == [("79001234567", "900", "", "UTC")], form


def test_rows_may_share_defaults_through_a_merge_key(db):
    result = load_clients_text("""\
- &base {phone: 79001234567, tag: newsletter, timezone: Asia/Novosibirsk}
- <<: *base
  phone: 79001234568
""")

    assert result.created == 2
    assert clients() == [("79001234567", "900", "newsletter", "Asia/Novosibirsk"),
                         ("79001234568", "900", "newsletter", "Asia/Novosibirsk")]


def test_an_empty_list_loads_nothing_and_succeeds(db):
    result = load_clients_text("clients: []\n")

    assert result.written and result.total == 0 and clients() == []


def test_a_utf8_bom_and_utf16_files_are_read(db, write):
    load_clients_file(write("\ufeff- {phone: 79001234567, tag: Ёлка}\n".encode("utf-8")))
    load_clients_file(write("- {phone: 79001234568, tag: Ёлка}\n".encode("utf-16"), "utf16.yaml"))

    assert [row[2] for row in clients()] == ["Ёлка", "Ёлка"]


# --- phones already in the directory -----------------------------------------------------------

FILE_WITH_ONE_OLD_AND_ONE_NEW = """\
clients:
  - {phone: "+7 900 123-45-67", tag: new, timezone: Asia/Omsk}
  - {phone: 79005556677, tag: fresh}
"""


def test_an_existing_phone_is_updated_by_default(directory, write):
    result = load_clients_file(write(FILE_WITH_ONE_OLD_AND_ONE_NEW))

    assert (result.created, result.updated, result.skipped, result.failed) == (1, 1, 0, 0)
    rows = table()
    assert rows[0] == (directory[0][0], "79001234567", "900", "new", "Asia/Omsk")
    assert rows[1] == directory[1]
    assert rows[2][1:] == ("79005556677", "900", "fresh", "UTC")


def test_an_existing_phone_is_left_alone_on_skip(directory, write):
    result = load_clients_file(write(FILE_WITH_ONE_OLD_AND_ONE_NEW), on_conflict="skip")

    assert (result.created, result.updated, result.skipped, result.failed) == (1, 0, 1, 0)
    assert table()[:2] == directory
    assert len(table()) == 3


def test_an_existing_phone_is_a_bad_row_on_error(directory, write):
    path = write(FILE_WITH_ONE_OLD_AND_ONE_NEW)
    result = load_clients_file(path, on_conflict="error")

    assert not result.written and result.failed == 1
    [error] = result.errors
    assert (error.row, error.line, error.field) == (1, 2, "phone")
    assert str(error) == f"{path}:2: row 1: phone: 79001234567 is already in the directory"
    assert table() == directory


def test_on_error_with_skip_invalid_loads_only_the_new_phones(directory, write):
    result = load_clients_file(write(FILE_WITH_ONE_OLD_AND_ONE_NEW), on_conflict="error", skip_invalid=True)

    assert (result.created, result.updated, result.failed, result.written) == (1, 0, 1, True)
    assert table()[:2] == directory


def test_reloading_the_same_file_updates_every_row_and_changes_nothing(db):
    load_clients_file(DATA / "clients_list.yaml")
    before = table()
    result = load_clients_file(DATA / "clients_list.yaml")

    assert (result.created, result.updated) == (0, 4)
    assert table() == before


def test_an_unknown_on_conflict_mode_is_refused(db):
    with pytest.raises(ValidationError, match="on_conflict"):
        load_clients_text("[]", on_conflict="merge")


# --- bad rows --------------------------------------------------------------------------------

def test_skip_invalid_loads_the_good_rows_and_reports_the_rest(directory, write):
    path = write("""\
- phone: 79005550001
- phone: 123
  tag: short
- phone: 79005550002
  timezone: Mars/Olympus
- phone: 79005550003
""")
    result = load_clients_file(path, skip_invalid=True)

    assert (result.total, result.created, result.failed, result.written) == (4, 2, 2, True)
    assert [(e.row, e.line, e.field) for e in result.errors] == [(2, 2, "phone"), (3, 4, "timezone")]
    assert [row[1] for row in table()[2:]] == ["79005550001", "79005550003"]


def test_every_error_of_a_row_is_reported(db):
    result = load_clients_text("- {phone: [1], tag: {a: 1}, timezone: 3, operator_code: 12, colour: red}\n",
                               source="c.yaml")

    assert result.failed == 1
    assert sorted(e.field for e in result.errors) == ["colour", "operator_code", "phone", "tag", "timezone"]
    assert {e.line for e in result.errors} == {1}


def test_the_result_reads_as_json(db):
    result = load_clients_text("- {phone: 79001234567}\n- {phone: 1}\n", source="c.yaml")

    data = json.loads(json.dumps(result.as_json()))
    assert data == {
        "path": "c.yaml", "total": 2, "created": 0, "updated": 0, "skipped": 0, "failed": 1,
        "written": False,
        "errors": [{"row": 2, "line": 2, "field": "phone",
                    "message": "1 is not a phone number like 79001234567"}],
        "errors_left_out": 0,
    }


def test_progress_is_reported_in_bytes_up_to_the_file_size(db, write):
    calls = []
    path = write("".join(f"- {{phone: {79000000000 + i}}}\n" for i in range(12000)))
    size = path.stat().st_size

    load_clients_file(path, progress=lambda done, total: calls.append((done, total)))

    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert len(calls) > 3
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_the_cyclic_collector_is_back_on_after_a_load(db, write):
    load_clients_text("- {phone: 79001234567}\n")
    with pytest.raises(LoadError):
        load_clients_file(write("[unclosed\n"))
    assert gc.isenabled()


# --- the bad-input suite: each names the file, the row, the line, the field, and writes nothing ---

BAD_ROWS = {
    "phone as a list": ("- phone: 79005550001\n- phone: [79001234568]\n", 2, 2, "phone", "expected a phone number, got list"),
    "tag as a mapping": ("- phone: 79001234568\n  tag: {a: b}\n", 1, 1, "tag", "expected text, got dict"),
    "timezone as a number": ("- phone: 79001234568\n  timezone: 3\n", 1, 1, "timezone", "expected a time zone name"),
    "unknown time zone": ("- {phone: 79001234568}\n- {phone: 79001234569, timezone: Europe/Atlantis}\n",
                          2, 2, "timezone", "unknown time zone 'Europe/Atlantis'"),
    "bad phone": ("clients:\n  - phone: 79001234568\n  - phone: '12-34'\n", 2, 3, "phone", "not a phone number"),
    "foreign phone": ("- phone: '+1 212 555 0100'\n", 1, 1, "phone", "not a Russian number"),
    "operator code not 3 digits": ("- {phone: 79001234568, operator_code: 9000}\n", 1, 1, "operator_code", "3 digits"),
    "unknown key": ("- {phone: 79001234568, email: a@b.c}\n", 1, 1, "email", "unknown field"),
    "key given twice": ("- {phone: 79001234568, tag: a, tag: b}\n", 1, 1, "tag", "given twice"),
    "row not a mapping": ("- {phone: 79001234568}\n- 79001234569\n", 2, 2, "row", "expected a mapping"),
    "null row": ("- {phone: 79001234568}\n-\n", 2, 2, "row", "got null"),
    "missing phone": ("- {tag: lonely}\n", 1, 1, "phone", "required"),
    "bad explicit int": ("- {phone: !!int 79x}\n", 1, 1, "phone", "invalid literal"),
    "python tag": ("- {phone: !!python/name:os.system 1}\n", 1, 1, "phone", "could not determine a constructor"),
    "duplicate phone": ("- {phone: 79001234568}\n- {phone: 79005550000}\n- {phone: '8 (900) 123-45-68'}\n",
                        3, 3, "phone", "79001234568 appears again: first on line 1 (row 1)"),
    "recursive value": ("- &r {phone: 79001234568, x: *r}\n", 1, 1, "x", "recursive"),
    "existing phone on error": ("- {phone: '+79991112233'}\n", 1, 1, "phone", "already in the directory"),
}


@pytest.mark.parametrize("text, row, line, field, message", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_rejects_the_whole_file(directory, write, text, row, line, field, message):
    path = write(text)
    result = load_clients_file(path, on_conflict="error")

    assert not result.written
    assert result.failed == 1 and (result.created, result.updated, result.skipped) == (0, 0, 0)
    [error] = [e for e in result.errors if e.field == field]
    assert (error.row, error.line) == (row, line)
    assert message in error.message
    assert str(error).startswith(f"{path}:{line}: row {row}: ")
    assert table() == directory


BAD_FILES = {
    "malformed YAML": ("- phone: 79001234567\n  tag: [unclosed\n- phone: 2\n", ":3:8: malformed YAML: while parsing a flow "
                                                                       "sequence on line 2: did not find expected ',' or ']'"),
    "bad indentation": ("clients:\n  - phone: 1\n tag: x\n", ":3:2: malformed YAML"),
    "tab indentation": ("- phone: 1\n\ttag: x\n", ":2:1: malformed YAML"),
    "two documents": ("- phone: 1\n---\n- phone: 2\n", ":2:1: malformed YAML: expected a single document "
                                                       "in the stream on line 1: but found another document"),
    "control character": ("- phone: 1\n- tag: \x07\n", ":2: malformed YAML: character 0x0007 is not allowed"),
    "empty file": ("", ": is empty"),
    "only comments": ("# nothing here\n\n", ": is empty"),
    "null document": ("~\n", ": is empty"),
    "scalar top level": ("79001234567\n", ":1: expected a list of clients or a mapping with a `clients:` list, "
                                          "got the value '79001234567'"),
    "mapping without clients": ("phone: 79001234567\ntag: vip\n", ":1: a mapping at the top must have just a "
                                                                  "`clients:` list, found 'phone', 'tag'"),
    "clients misspelt": ("client:\n  - phone: 79001234567\n", "found 'client'"),
    "clients not a list": ("clients:\n  phone: 79001234567\n", ":2: `clients:` must be a list of clients, got a mapping"),
    "clients empty": ("clients:\n", ":1: `clients:` must be a list of clients, got null"),
    "binary file": (bytes(range(256)) * 4, ": is a binary file, not YAML text"),
    "not UTF-8": ("- phone: 79001234567\n- tag: Ёлка\n".encode("cp1251"), ":2: is not UTF-8 text (byte 0xa8"),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_unusable_file_is_rejected_naming_file_and_line(directory, write, content, message):
    path = write(content)

    with pytest.raises(LoadError) as raised:
        load_clients_file(path)

    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)
    assert table() == directory


def test_a_missing_file_is_rejected(directory, tmp_path):
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(LoadError, match="nowhere.yaml: no such file"):
        load_clients_file(path)
    assert table() == directory


def test_a_directory_is_rejected(directory, tmp_path):
    with pytest.raises(LoadError, match="is a directory"):
        load_clients_file(tmp_path)
    assert table() == directory


def test_a_malformed_file_reports_the_line_and_column(db, write):
    with pytest.raises(LoadError) as raised:
        load_clients_file(write("- phone: 1\n  tag: x\n  - oops\n"))

    assert (raised.value.line, raised.value.column) == (3, 3)
    assert "while parsing a block mapping on line 1: did not find expected key" in raised.value.message
