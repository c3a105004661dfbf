"""The client directory: validation of every field, the one-phone rule, search and paging."""
import threading

import pytest
import pytz

from harness import wait_for
from tui_notifier.core import audit, clients
from tui_notifier.core.clients import ClientFilter, add_client, check_client, count_clients, list_clients
from tui_notifier.core.errors import Conflict, NotFound, ValidationError
from tui_notifier.db import close_database, database, is_sqlite, one_writer, writer_connection
from tui_notifier.models import MAX_TAG_LENGTH, Client, Message


def field_error(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- adding: defaults and normalisation -------------------------------------------------

def test_a_client_added_with_only_a_phone_gets_code_from_phone_no_tag_and_utc(db):
    client = add_client("+7 912 345-67-89")
    stored = Client.get_by_id(client.id)
    assert stored.as_dict() == {
        "id": client.id, "phone": "79123456789", "operator_code": "912", "tag": "", "timezone": "UTC",
        "attributes": {},
    }


@pytest.mark.parametrize("phone", ["+7 900 123-45-67", "8 (900) 1234567", "79001234567", 79001234567])
def test_the_phone_is_stored_normalised_whatever_form_it_was_given_in(db, phone):
    assert Client.get_by_id(add_client(phone).id).phone == "79001234567"


def test_a_phone_that_is_not_a_phone_is_rejected_and_nothing_is_stored(db):
    assert field_error(add_client, "call me maybe").field == "phone"
    assert Client.select().count() == 0


# --- operator code -----------------------------------------------------------------------

def test_a_given_operator_code_is_kept_even_if_the_phone_says_otherwise(db):
    assert add_client("79001234567", operator_code="901").operator_code == "901"


@pytest.mark.parametrize("code, stored", [(" 902 ", "902"), (903, "903"), ("", "900"), (None, "900")])
def test_a_given_operator_code_is_trimmed_and_an_empty_one_comes_from_the_phone(db, code, stored):
    assert add_client("79001234567", operator_code=code).operator_code == stored


@pytest.mark.parametrize("code", ["90", "9001", "abc", "9 0", "\uff19\uff10\uff10", 12, 1000, True, 900.0, ["900"]])
def test_an_operator_code_that_is_not_exactly_three_digits_is_rejected(db, code):
    assert field_error(add_client, "79001234567", operator_code=code).field == "operator_code"
    assert Client.select().count() == 0


# --- time zone ---------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["Europe/Moscow", "Asia/Vladivostok", "America/New_York", "UTC"])
def test_a_common_time_zone_is_accepted(db, zone):
    assert add_client("79001234567", timezone=zone).timezone == zone


def test_the_time_zone_is_trimmed_and_defaults_to_utc_when_empty(db):
    assert add_client("79001234567", timezone=" Asia/Yekaterinburg ").timezone == "Asia/Yekaterinburg"
    assert add_client("79001234568", timezone="").timezone == "UTC"


def test_every_pytz_common_time_zone_is_a_valid_client_time_zone():
    for zone in pytz.common_timezones:
        clean, errors = check_client({"phone": "79001234567", "timezone": zone})
        assert errors == [] and clean["timezone"] == zone


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus_Mons", "utc", "europe/moscow", "MSK", "+03:00", 3,
     sorted(set(pytz.all_timezones) - set(pytz.common_timezones))[0]],
)
def test_a_time_zone_outside_the_common_list_is_rejected(db, zone):
    error = field_error(add_client, "79001234567", timezone=zone)
    assert error.field == "timezone"
    assert Client.select().count() == 0


# --- tag ---------------------------------------------------------------------------------

def test_the_tag_is_optional_free_text_and_trimmed(db):
    assert add_client("79001234567", tag="  VIP customers, Moscow  ").tag == "VIP customers, Moscow"
    assert add_client("79001234568", tag="Клиенты [bold]").tag == "Клиенты [bold]"
    assert add_client("79001234569", tag=None).tag == ""


def test_the_tag_may_be_as_long_as_the_bound_but_not_longer(db):
    assert add_client("79001234567", tag="x" * MAX_TAG_LENGTH).tag == "x" * MAX_TAG_LENGTH
    error = field_error(add_client, "79001234568", tag="x" * (MAX_TAG_LENGTH + 1))
    assert error.field == "tag" and str(MAX_TAG_LENGTH) in error.message


def test_surrounding_blanks_do_not_count_against_the_tag_bound(db):
    assert add_client("79001234567", tag=" " + "x" * MAX_TAG_LENGTH + " ").tag == "x" * MAX_TAG_LENGTH


@pytest.mark.parametrize("tag", ["two\nlines", "tab\there", "nul\x00", {"a": 1}, ["vip"]])
def test_a_tag_that_is_not_one_line_of_text_is_rejected(db, tag):
    assert field_error(add_client, "79001234567", tag=tag).field == "tag"


@pytest.mark.parametrize("tag, named", [
    ("\x1b[31mred", r"\x1b"), ("bell\x07", r"\x07"), ("csi\x9b2J", r"\x9b"),
    ("vip\u202epiv", r"\u202e"), ("del\x7f", r"\x7f"),
])
def test_a_tag_with_a_terminal_control_is_rejected_naming_the_field_and_the_character(tag, named):
    error = field_error(clients.clean_tag, tag)
    assert error.field == "tag" and named in error.message
    assert str(error).isprintable()


# --- one phone per client ----------------------------------------------------------------

def test_a_phone_already_in_the_directory_is_a_clear_conflict_in_any_form(db):
    add_client("+7 900 123-45-67")
    with pytest.raises(Conflict) as caught:
        add_client("8 (900) 1234567", tag="other")
    assert caught.value.field == "phone"
    assert "79001234567" in str(caught.value) and "already" in str(caught.value)
    assert Client.select().count() == 1


# --- every error at once -----------------------------------------------------------------

def test_checking_a_client_reports_every_bad_field_at_once():
    clean, errors = check_client({"phone": "123", "operator_code": "1", "tag": "x" * 500,
                                  "timezone": "Nowhere/Land", "email": "a@b"})
    assert clean is None
    assert sorted(e.field for e in errors) == ["email", "operator_code", "phone", "tag", "timezone"]


def test_checking_a_good_client_returns_its_clean_fields():
    clean, errors = check_client({"phone": 89161234567, "tag": " a ", "timezone": "Europe/Moscow"})
    assert errors == []
    assert clean == {"phone": "79161234567", "operator_code": "916", "tag": "a", "timezone": "Europe/Moscow",
                     "attributes": {}}


# --- update and delete -------------------------------------------------------------------

def test_updating_changes_only_the_fields_given(db):
    client = add_client("79001234567", tag="old", timezone="Europe/Moscow")
    clients.update_client(client.id, tag="new")
    assert Client.get_by_id(client.id).as_dict() == {
        "id": client.id, "phone": "79001234567", "operator_code": "900", "tag": "new",
        "timezone": "Europe/Moscow",
        "attributes": {},
    }


def test_a_new_phone_without_a_code_takes_its_code_from_the_new_phone(db):
    client = add_client("79001234567", operator_code="999")
    clients.update_client(client.id, phone="8 (912) 000-00-00")
    stored = Client.get_by_id(client.id)
    assert (stored.phone, stored.operator_code) == ("79120000000", "912")


def test_a_new_phone_with_a_code_keeps_the_given_code(db):
    client = add_client("79001234567")
    clients.update_client(client.id, phone="79120000000", operator_code="333")
    assert Client.get_by_id(client.id).operator_code == "333"


def test_updating_a_client_to_its_own_phone_is_fine_but_to_anothers_is_a_conflict(db):
    first, second = add_client("79001234567"), add_client("79001234568")
    clients.update_client(first.id, phone="+7 900 123-45-67", tag="same phone")
    with pytest.raises(Conflict):
        clients.update_client(second.id, phone="89001234567")
    assert Client.get_by_id(second.id).phone == "79001234568"


def test_an_invalid_update_leaves_the_client_as_it_was(db):
    client = add_client("79001234567", tag="kept")
    before = Client.get_by_id(client.id).as_dict()
    for change in ({"phone": "nope"}, {"timezone": "Nowhere"}, {"tag": "x" * 100}, {"operator_code": "1"}):
        with pytest.raises(ValidationError):
            clients.update_client(client.id, **change)
    assert Client.get_by_id(client.id).as_dict() == before


def test_updating_or_deleting_a_missing_client_is_not_found(db):
    with pytest.raises(NotFound):
        clients.update_client(404, tag="x")
    with pytest.raises(NotFound):
        clients.delete_client(404)
    with pytest.raises(NotFound):
        clients.get_client(404)


def test_deleting_a_client_keeps_its_messages_phone_for_the_reports(db, new_dispatch):
    client = add_client("79001234567")
    dispatch = new_dispatch()
    message = Message.create(dispatch=dispatch, client=client, phone=client.phone)
    clients.delete_client(client.id)
    assert Client.get_or_none(Client.id == client.id) is None
    kept = Message.get_by_id(message.id)
    assert kept.client_id is None and kept.phone == "79001234567"


# --- search and paging -------------------------------------------------------------------

@pytest.fixture
def directory(db):
    add_client("79001110001", tag="vip")
    add_client("79001110002", tag="new")
    add_client("79012220003", tag="vip")
    add_client("79123330004", tag="vip customers")
    add_client("79004440005", operator_code="555", tag="")
    return db


def phones(flt: ClientFilter) -> list[str]:
    return [c.phone for c in list_clients(flt)]


@pytest.mark.parametrize("prefix", ["7900", "+7 900", "8 900", "8(900)", "+7 (900) 1", "900", "(900) 1"])
def test_search_by_phone_prefix_accepts_the_prefix_in_any_common_form(directory, prefix):
    expected = ["79001110001", "79001110002", "79004440005"]
    if prefix.endswith("1"):
        expected = ["79001110001", "79001110002"]
    assert phones(ClientFilter(phone_prefix=prefix)) == expected


def test_a_full_phone_as_the_prefix_finds_exactly_that_client(directory):
    assert phones(ClientFilter(phone_prefix="8 (901) 222-00-03")) == ["79012220003"]


def test_search_by_tag_matches_the_tag_exactly(directory):
    assert phones(ClientFilter(tag="vip")) == ["79001110001", "79012220003"]
    assert phones(ClientFilter(tag="")) == ["79004440005"]


def test_search_by_operator_code_uses_the_stored_code_not_the_phone(directory):
    assert phones(ClientFilter(operator_code="900")) == ["79001110001", "79001110002"]
    assert phones(ClientFilter(operator_code="555")) == ["79004440005"]


def test_every_given_part_of_a_search_must_match(directory):
    assert phones(ClientFilter(phone_prefix="7900", tag="vip")) == ["79001110001"]
    assert phones(ClientFilter(operator_code="901", tag="new")) == []


def test_free_text_digits_find_phones_by_prefix_and_three_digits_an_operator_code(directory):
    assert phones(ClientFilter(text="+7 912")) == ["79123330004"]
    assert phones(ClientFilter(text="555")) == ["79004440005"]


def test_free_text_words_find_tags_containing_them(directory):
    assert phones(ClientFilter(text="customers")) == ["79123330004"]


def test_no_filter_lists_everyone_in_id_order_and_counts_agree(directory):
    everyone = list_clients()
    assert [c.id for c in everyone] == sorted(c.id for c in everyone)
    assert count_clients() == len(everyone) == 5
    assert count_clients(ClientFilter(tag="vip")) == 2


def test_pages_by_limit_and_offset_or_after_an_id_cover_the_directory_once(directory):
    ids = [c.id for c in list_clients(limit=None)]
    by_offset = [c.id for page in range(3) for c in list_clients(limit=2, offset=page * 2)]
    assert by_offset == ids
    by_keyset, last = [], None
    while page := list_clients(limit=2, after_id=last):
        by_keyset += [c.id for c in page]
        last = page[-1].id
    assert by_keyset == ids


# --- adding from many threads at once ---------------------------------------------------

def add_queued(add, count: int, before=lambda: None) -> None:
    """`add(n)` on `count` threads while this process's turn to write is held: on SQLite the
    first leads a batch of its own and waits for the turn, the others queue for the next."""
    threads = [threading.Thread(target=add, args=(n,)) for n in range(count)]
    with one_writer():
        sqlite = is_sqlite(database.obj)
        if sqlite:
            before()
        threads[0].start()
        if sqlite:
            wait_for(lambda: clients._adding.writing, 30, 0.01, "the first add taken")
        for thread in threads[1:]:
            thread.start()
        if sqlite:
            wait_for(lambda: clients._adding.waiting == count - 1, 30, 0.01, "every add queued")
    for thread in threads:
        thread.join(30)


def test_clients_added_together_from_many_threads_each_get_their_own_row_audit_and_error(db):
    """While this process's turn to write is held (SQLite), the adds queue and then go in one
    transaction; each thread still gets its own client (committed: its own connection reads
    it) or its own error, and the audit names who added each."""
    add_client("79000000000")
    phones = {n: f"7900000000{n}" for n in range(7)}
    phones[7] = phones[6]
    results: dict = {}

    def add(n: int) -> None:
        with audit.acting_as(f"user{n}", "api"):
            try:
                client = clients.add_client_together(phones[n], tag=f"t{n}")
                results[n] = Client.get_by_id(client.id).as_dict()
            except Conflict as exc:
                results[n] = exc
            finally:
                close_database()

    add_queued(add, 8)

    assert isinstance(results[0], Conflict) and results[0].field == "phone"
    assert [results[n]["phone"] for n in range(1, 6)] == [phones[n] for n in range(1, 6)]
    assert sorted(isinstance(results[n], Conflict) for n in (6, 7)) == [False, True]
    added = {n: result for n, result in results.items() if not isinstance(result, Conflict)}
    assert all(result["tag"] == f"t{n}" for n, result in added.items())
    assert count_clients() == 1 + len(added) == 7
    entries = {e.object_id: e.actor for e in audit.list_entries() if e.object_type == "client"}
    assert entries == {str(result["id"]): f"user{n}" for n, result in added.items()} | {
        str(Client.get(Client.phone == "79000000000").id): "system"}


def test_clients_added_together_in_one_batch_each_get_the_key_of_their_own_row_and_entry(db):
    """A batch without a phone taken is written in one statement (SQLite): each caller's key is
    the row holding its phone, after a deleted last row too, and each entry names its adder."""
    for phone in ("79000000000", "79000000001"):
        add_client(phone)
    clients.delete_client(Client.get(Client.phone == "79000000001").id)
    phones = {n: f"7900000001{n}" for n in range(8)}
    results: dict = {}

    def add(n: int) -> None:
        with audit.acting_as(f"user{n}", "api"):
            results[n] = clients.add_client_together(phones[n], tag=f"t{n}")
            close_database()

    statements: list[str] = []

    def trace():
        with writer_connection():
            database.connection().set_trace_callback(statements.append)

    add_queued(add, 8, before=trace)

    if is_sqlite(database.obj):
        inserts = [s.split(" (")[0] for s in statements if s.startswith("INSERT")]
        assert inserts == ['INSERT INTO "client"', 'INSERT INTO "audit_entry"'] * 2
    assert {n: (Client.get_by_id(c.id).phone, Client.get_by_id(c.id).tag) for n, c in results.items()} == {
        n: (phones[n], f"t{n}") for n in range(8)}
    entries = {e.object_id: (e.actor, e.detail) for e in audit.list_entries()
               if e.object_type == "client" and e.action == "create" and e.actor != "system"}
    assert entries == {str(c.id): (f"user{n}", f"phone={phones[n]} tag=t{n} timezone=UTC operator_code=900 "
                                               "attributes={}") for n, c in results.items()}


def test_a_client_added_together_is_checked_like_any_other(db):
    assert field_error(clients.add_client_together, "12345").field == "phone"
    assert field_error(clients.add_client_together, "79001234567", timezone="Mars/Base").field == "timezone"
    assert count_clients() == 0
