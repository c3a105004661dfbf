"""Phone numbers: every common Russian form is accepted and stored as `7XXXXXXXXXX`."""
import pytest

from tui_notifier.core.errors import ValidationError
from tui_notifier.core.phones import normalize_phone, operator_code_of


@pytest.mark.parametrize(
    "given",
    [
        "+7 900 123-45-67",
        "8 (900) 1234567",
        "79001234567",
        79001234567,
        "89001234567",
        89001234567,
        "+79001234567",
        "+7(900)123-45-67",
        "8-900-123-45-67",
        "+7 900 123.45.67",
        "  7 900 123 45 67  ",
        "9001234567",
        9001234567,
        "(900) 123-45-67",
        "+7\t900\u00a0123 45 67",
    ],
)
def test_every_common_form_becomes_seven_and_ten_digits(given):
    assert normalize_phone(given) == "79001234567"


@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "   ",
        True,
        False,
        "12345",
        "abc",
        "7900123456a",
        "7900123456789",
        "790012345678",
        "59001234567",
        59001234567,
        -79001234567,
        79001234567.0,
        ["79001234567"],
        "+1 900 123 45 67",
        "+8 900 123 45 67",
        "+7 900 123 45 6",
        "+7 900 123 45 678",
        "++79001234567",
        "7900+1234567",
        "7 900 123 45 67 ext 1",
        "7\uff19\uff10\uff101234567",
        "\u0667\u0669\u0660\u06601234567",
    ],
)
def test_anything_else_is_rejected_as_a_phone_error(given):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(given)
    assert caught.value.field == "phone"
    assert str(caught.value).startswith("phone: ")


def test_a_rejected_phone_is_quoted_in_the_error():
    with pytest.raises(ValidationError, match="12345"):
        normalize_phone("12345")


def test_a_trailing_newline_is_only_surrounding_whitespace():
    assert normalize_phone("79001234567\n") == "79001234567"


def test_the_operator_code_is_digits_two_to_four_of_the_phone():
    assert operator_code_of(normalize_phone("8 (912) 345-67-89")) == "912"
