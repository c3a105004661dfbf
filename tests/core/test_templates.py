"""Personalised text: placeholders with fallbacks, checked against the audience when composed."""
from __future__ import annotations

import pytest

from tui_notifier.core import dispatches, templates
from tui_notifier.core.clients import add_client
from tui_notifier.core.errors import ValidationError
from tui_notifier.core.templates import Placeholder, parse


def test_a_text_is_literal_pieces_and_placeholders():
    template = parse("Hi {first_name|клиент}, {{not a placeholder}} }x {city}!")

    assert template.parts == ("Hi ", Placeholder("first_name", "клиент"), ", {not a placeholder} }x ",
                              Placeholder("city"), "!")
    assert template.names == ("first_name", "city") and template.required == ("city",)


def test_rendering_takes_the_value_else_the_fallback_else_nothing():
    template = parse("{first_name|друг}, {level}.")

    assert template.render({"first_name": "Анна", "level": "gold"}) == "Анна, gold."
    assert template.render({"first_name": "  "}) == "друг, ."


def test_an_empty_fallback_is_a_fallback():
    assert parse("{nick|}").required == ()


@pytest.mark.parametrize("text, where", [
    ("Hi {first_name", "a { at character 4 is not closed"),
    ("Hi {a {b}", "a { at character 4 is not closed"),
    ("Price {} now", "'{}' at character 7 is not a placeholder"),
    ("{first name}", "'{first name}' at character 1 is not a placeholder"),
    ("{1st}", "is not a placeholder"),
])
def test_a_broken_placeholder_says_where(text, where):
    with pytest.raises(ValidationError, match=where) as raised:
        parse(text)
    assert raised.value.field == "text"


@pytest.fixture
def audience(db):
    add_client("79001234567", tag="vip", attributes={"first_name": "Анна"})
    add_client("79001234568", tag="vip")
    add_client("79011234569", attributes={"first_name": "Ян"})


def test_a_required_placeholder_some_clients_lack_is_refused_at_create_with_how_many(audience, new_dispatch):
    with pytest.raises(ValidationError, match=r"\{first_name\} has no value for 1 of 3 clients") as raised:
        new_dispatch(text="Hi {first_name}")

    assert raised.value.field == "text"
    assert "{first_name|…}" in str(raised.value)


def test_the_check_counts_only_the_audience(audience, new_dispatch):
    new_dispatch(text="Hi {first_name}", operator_codes="901")
    with pytest.raises(ValidationError, match="1 of 2 clients"):
        new_dispatch(text="Hi {first_name}", tags="vip")


def test_a_fallback_or_a_field_every_client_has_passes(audience, new_dispatch):
    new_dispatch(text="Hi {first_name|клиент}, your number {phone}")


def test_an_empty_tag_counts_as_lacking(audience, new_dispatch):
    with pytest.raises(ValidationError, match=r"\{tag\} has no value for 1 of 3"):
        new_dispatch(text="Group {tag}")


def test_the_composer_sees_every_problem_including_the_audience(audience, now):
    problems = dispatches.dispatch_problems(now, now.replace(year=now.year + 1), "Hi {first_name}", now=now)

    assert [p.field for p in problems] == ["text"]


def test_changing_the_filters_of_a_scheduled_dispatch_checks_the_text_again(audience, new_dispatch):
    dispatch = new_dispatch(text="Hi {first_name}", operator_codes="901")

    with pytest.raises(ValidationError, match="has no value"):
        dispatches.update_dispatch(dispatch.id, operator_codes="", now=dispatch.created_at)


def test_the_cost_counts_parts_per_recipient_and_the_billed_total(db):
    add_client("79001234567", attributes={"first_name": "Anna"})
    add_client("79001234568", attributes={"first_name": "Анна"})
    add_client("79001234569", attributes={"first_name": "Anna"})
    text = "Hello {first_name|friend}, " + "x" * 130

    cost = dispatches.preview_text(text)

    assert cost.recipients == 3
    assert (cost.min_parts, cost.max_parts) == (1, 3), "Cyrillic switches one message to UCS-2"
    assert cost.total_sms == 1 + 1 + 3
    assert cost.encodings == ("GSM-7", "UCS-2")
    assert cost.sample.startswith("Hello Anna, ")


def test_the_cost_of_a_text_without_placeholders_is_one_count(db):
    add_client("79001234567")
    add_client("79001234568")

    cost = dispatches.preview_text("Sale today")

    assert (cost.recipients, cost.total_sms, cost.sample) == (2, 2, "Sale today")


def test_a_client_renders_with_its_fields_and_attributes(db):
    client = add_client("79001234567", tag="vip", attributes={"first_name": "Анна"})

    assert templates.render_for("{first_name}, {tag}, {phone}, {city|—}", client) == "Анна, vip, 79001234567, —"
