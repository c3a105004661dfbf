"""`tui-notifier clients add|update|delete|list` end to end."""
import pytest

from tui_notifier.core.clients import add_client

CLIENT_KEYS = {"id", "phone", "operator_code", "tag", "timezone", "attributes"}


@pytest.fixture
def directory(cli, db):
    """Four clients, put in through the core so each test spends its subprocesses on what it checks."""
    add_client("79001110001", tag="vip", timezone="Europe/Moscow")
    add_client("8 (900) 111-00-02", tag="new")
    add_client("+7 901 222-00-03", tag="vip")
    add_client("79124440004", operator_code="555")
    return cli


def test_adding_a_client_prints_its_id_alone(cli):
    first = cli("clients", "add", "+7 900 123-45-67")
    second = cli("clients", "add", "8 (900) 1234568", "--tag", "vip")
    assert (first.code, first.out, first.err) == (0, "1\n", "")
    assert (second.code, second.out) == (0, "2\n")


def test_adding_with_json_prints_the_whole_normalised_client(cli):
    result = cli("clients", "add", "8 (912) 345-67-89", "--tag", "  vip  ", "--timezone", "Asia/Vladivostok", "--json")
    assert result.code == 0
    assert result.json() == {"id": 1, "phone": "79123456789", "operator_code": "912", "tag": "vip",
                             "timezone": "Asia/Vladivostok", "attributes": {}}


@pytest.mark.parametrize(
    "args, field",
    [(["12345"], "phone"), (["79001234567", "--timezone", "Mars/Base"], "timezone"),
     (["79001234567", "--operator", "90"], "operator_code"), (["79001234567", "--tag", "x" * 65], "tag")],
)
def test_an_invalid_client_fails_with_a_one_line_reason_naming_the_field(cli, args, field):
    result = cli("clients", "add", *args)
    assert result.code == 1 and result.out == ""
    assert f"error: {field}: " in result.reason
    assert cli("clients", "list", "--count").out == "0\n"


def test_a_phone_already_in_the_directory_fails_clearly(cli):
    cli("clients", "add", "79001234567")
    result = cli("clients", "add", "+7 900 123 45 67")
    assert result.code == 1
    assert "79001234567" in result.reason and "already" in result.reason


def test_listing_as_json_gives_every_field_of_every_client(directory):
    listed = directory("clients", "list", "--json").json()
    assert [set(c) for c in listed] == [CLIENT_KEYS] * 4
    assert listed[0] == {"id": 1, "phone": "79001110001", "operator_code": "900", "tag": "vip",
                         "timezone": "Europe/Moscow", "attributes": {}}
    assert [c["phone"] for c in listed] == ["79001110001", "79001110002", "79012220003", "79124440004"]
    assert listed[3]["operator_code"] == "555"


def test_listing_for_people_is_a_table_with_a_header(directory):
    lines = directory("clients", "list").out.splitlines()
    assert lines[0].split() == ["id", "phone", "operator", "tag", "timezone", "attributes"]
    assert lines[1].split() == ["1", "79001110001", "900", "vip", "Europe/Moscow"]
    assert len(lines) == 5


@pytest.mark.parametrize(
    "args, phones",
    [
        (["--phone", "+7 900"], ["79001110001", "79001110002"]),
        (["--phone", "8 901"], ["79012220003"]),
        (["--tag", "vip"], ["79001110001", "79012220003"]),
        (["--operator", "555"], ["79124440004"]),
        (["--operator", "900", "--tag", "new"], ["79001110002"]),
        (["--search", "vip"], ["79001110001", "79012220003"]),
        (["--search", "555"], ["79124440004"]),
        (["--tag", "nobody"], []),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0].startswith("--") else None,
)
def test_listing_searches_by_phone_prefix_tag_and_operator_code(directory, args, phones):
    result = directory("clients", "list", "--json", *args)
    assert result.code == 0
    assert [c["phone"] for c in result.json()] == phones


def test_listing_pages_and_counts(directory):
    page = directory("clients", "list", "--json", "--limit", "2", "--offset", "1").json()
    assert [c["id"] for c in page] == [2, 3]
    assert directory("clients", "list", "--count", "--tag", "vip").out == "2\n"


def test_updating_changes_the_given_fields_and_prints_the_id(directory):
    result = directory("clients", "update", "2", "--tag", "regular", "--timezone", "Asia/Omsk")
    assert (result.code, result.out) == (0, "2\n")
    client = directory("clients", "list", "--json", "--phone", "79001110002").json()[0]
    assert (client["tag"], client["timezone"], client["operator_code"]) == ("regular", "Asia/Omsk", "900")


def test_updating_the_phone_takes_the_new_operator_code_and_json_shows_it(directory):
    client = directory("clients", "update", "2", "--phone", "8 (916) 000-00-00", "--json").json()
    assert (client["phone"], client["operator_code"]) == ("79160000000", "916")


def test_updating_to_anothers_phone_or_a_missing_client_fails(directory):
    taken = directory("clients", "update", "2", "--phone", "79001110001")
    assert taken.code == 1 and "already" in taken.reason
    missing = directory("clients", "update", "99", "--tag", "x")
    assert missing.code == 1 and "99" in missing.reason


def test_deleting_removes_the_clients_and_a_missing_one_fails(directory):
    assert directory("clients", "delete", "1", "3").code == 0
    assert [c["id"] for c in directory("clients", "list", "--json").json()] == [2, 4]
    missing = directory("clients", "delete", "1")
    assert missing.code == 1 and "not found" in missing.reason


def test_deleting_several_clients_is_all_or_nothing(directory):
    result = directory("clients", "delete", "1", "99", "2")
    assert result.code == 1 and "99" in result.reason
    assert [c["id"] for c in directory("clients", "list", "--json").json()] == [1, 2, 3, 4]
