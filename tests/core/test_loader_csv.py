"""Bulk-load of clients from CSV: the same promises as YAML (whole or nothing, every bad row named)."""
from __future__ import annotations

import codecs

import pytest

from tui_notifier.core.clients import add_client
from tui_notifier.core.loader import LoadError, load_clients_file, load_clients_text
from tui_notifier.models import Client


def clients() -> list[tuple]:
    return list(Client.select(Client.phone, Client.operator_code, Client.tag, Client.timezone)
                .order_by(Client.id).tuples())


@pytest.fixture
def write(tmp_path):
    def make(content, name="clients.csv"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return make


@pytest.fixture
def directory(db):
    add_client("79991112233", tag="keep")
    return clients()


def test_columns_in_any_order_and_every_phone_form_load(db, write):
    result = load_clients_file(write('tag,phone,timezone\nvip,"+7 900 123-45-67",Europe/Moscow\n'
                                     ',8 (901) 1234567,\n'))

    assert (result.total, result.created, result.failed, result.written) == (2, 2, 0, True)
    assert clients() == [("79001234567", "900", "vip", "Europe/Moscow"), ("79011234567", "901", "", "UTC")]


def test_an_empty_operator_code_is_taken_from_the_phone_and_a_given_one_kept(db, write):
    load_clients_file(write("phone,operator_code\n79001234567,\n79001234568,999\n"))

    assert [row[1] for row in clients()] == ["900", "999"]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_spreadsheet_separator_is_read_from_the_header(db, write, separator):
    load_clients_file(write(f"phone{separator}tag\n79001234567{separator}a,b\n"))

    assert clients() == [("79001234567", "900", "a,b", "UTC")]


def test_a_quoted_line_break_stays_in_its_row_and_later_rows_keep_their_lines(db, write):
    result = load_clients_file(write('phone,tag\n79001234567,"two\nlines"\n79001234568,x\n12,y\n'),
                               skip_invalid=True)

    assert [(e.row, e.line, e.field) for e in result.errors] == [(1, 2, "tag"), (3, 5, "phone")]
    assert clients() == [("79001234568", "900", "x", "UTC")]


def test_a_utf8_bom_and_utf16_are_read(db, write):
    load_clients_file(write(codecs.BOM_UTF8 + "phone,tag\n79001234567,Ёлка\n".encode("utf-8")))
    load_clients_file(write("phone,tag\n79001234568,Ёлка\n".encode("utf-16"), "u16.csv"))

    assert [row[2] for row in clients()] == ["Ёлка", "Ёлка"]


def test_crlf_line_ends_are_read(db, write):
    result = load_clients_file(write(b"phone,tag\r\n79001234567,a\r\n79001234568,b\r\n"))

    assert result.created == 2 and clients()[1][2] == "b"


def test_blank_lines_are_not_rows(db, write):
    result = load_clients_file(write("phone\n\n79001234567\n\n79001234568\n"))

    assert (result.total, result.created) == (2, 2)


def test_text_in_memory_loads_as_csv(db):
    result = load_clients_text("phone\n79001234567\n", source="mem.csv", format="csv")

    assert result.created == 1


BAD_ROWS = {
    "too many fields": ("phone,tag\n79001234567,a\n79001234568,b,c\n", 2, 3, "row", "has 3 fields, the header has 2"),
    "too few fields": ("phone,tag\n79001234568\n", 1, 2, "row", "has 1 fields, the header has 2"),
    "bad phone": ("phone\n79001234567\n12-34\n", 2, 3, "phone", "not a phone number"),
    "unknown time zone": ("phone,timezone\n79001234568,Europe/Atlantis\n", 1, 2, "timezone", "unknown time zone"),
    "operator code not 3 digits": ("phone,operator_code\n79001234568,9000\n", 1, 2, "operator_code", "3 digits"),
    "duplicate phone": ("phone\n79001234568\n79005550000\n8 (900) 123-45-68\n", 3, 4, "phone",
                        "79001234568 appears again: first on line 2 (row 1)"),
    "existing phone on error": ("phone\n+79991112233\n", 1, 2, "phone", "already in the directory"),
}


@pytest.mark.parametrize("text, row, line, field, message", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_rejects_the_whole_file(directory, write, text, row, line, field, message):
    path = write(text)
    result = load_clients_file(path, on_conflict="error")

    assert not result.written and result.failed == 1
    [error] = [e for e in result.errors if e.field == field]
    assert (error.row, error.line) == (row, line)
    assert message in error.message
    assert str(error).startswith(f"{path}:{line}: row {row}: ")
    assert clients() == directory


BAD_FILES = {
    "empty file": ("", ": is empty: expected a header row"),
    "no phone column": ("tag,timezone\nvip,UTC\n", ":1: the header has no phone column"),
    "a column named twice": ("phone,tag,tag\n1,2,3\n", ":1: column 'tag' is named twice"),
    "a column without a name": ("phone,,tag\n", ":1: column 2 of the header has no name"),
    "a column that cannot be an attribute": ("phone,e-mail\n", ":1: column 2 of the header: attribute name 'e-mail'"),
    "a column named like a field": ("phone,Tag,tag\n", ":1: column 'tag' is named twice"),
    "an unclosed quote": ('phone,tag\n79001234567,"open\n', "malformed CSV"),
    "binary file": (bytes(range(256)) * 4, ": is a binary file, not CSV text"),
    "not UTF-8": ("phone,tag\n79001234567,Ёлка\n".encode("cp1251"), ":2: is not UTF-8 text (byte 0xa8"),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_unusable_file_is_rejected_naming_file_and_line(directory, write, content, message):
    path = write(content)

    with pytest.raises(LoadError) as raised:
        load_clients_file(path)

    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)
    assert clients() == directory


def test_a_file_that_breaks_after_good_rows_writes_nothing(directory, write):
    rows = "".join(f"7900{i:07d},x\n" for i in range(3000))
    path = write("phone,tag\n" + rows + '79001234567,"unclosed\n')

    with pytest.raises(LoadError, match="malformed CSV"):
        load_clients_file(path, skip_invalid=True)
    assert clients() == directory


@pytest.mark.parametrize("present", [0, 1], ids=["empty directory", "a client present"])
def test_a_phone_met_again_thousands_of_rows_later_is_named_with_its_first_row(db, write, present):
    if present:
        add_client("79991112233", tag="keep")
    phones = [str(79000000000 + i) for i in range(5000)]
    lines = ["phone,tag"] + [f"{phone},t" for phone in phones]
    lines[3] = f"{phones[2]},{'x' * 65}"
    lines += [f"{phones[2]},again", f"{phones[1]},again", "79991112233,kept"]

    result = load_clients_file(write("\n".join(lines) + "\n"), skip_invalid=True)

    assert (result.total, result.created, result.updated, result.failed) == (5003, 5000 - present, present, 3)
    assert [(error.row, error.field, error.message) for error in result.errors][1:] == [
        (5001, "phone", f"{phones[2]} appears again: first on line 4 (row 3)"),
        (5002, "phone", f"{phones[1]} appears again: first on line 3 (row 2)")]
    assert Client.select().count() == 5000


def test_a_phone_met_again_after_thousands_of_good_rows_fails_alone_and_the_rest_load(db, write):
    phones = [str(79000000000 + i) for i in range(4500)]
    lines = ["phone"] + phones + [phones[1], "79009999999"]

    result = load_clients_file(write("\n".join(lines) + "\n"), skip_invalid=True)

    assert (result.total, result.created, result.failed) == (4502, 4501, 1)
    assert [(e.row, e.line, e.message) for e in result.errors] == [
        (4501, 4502, f"{phones[1]} appears again: first on line 3 (row 2)")]
    assert Client.select().count() == 4501
