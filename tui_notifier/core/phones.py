"""Phone numbers: any common Russian form in, `7XXXXXXXXXX` out."""
from __future__ import annotations

import re

from tui_notifier.core.errors import ValidationError, shown

_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"[0-9]{10,11}")


def normalize_phone(value) -> str:
    """`+7 900 123-45-67`, `8 (900) 1234567`, `79001234567` or an int -> `79001234567`."""
    if value.__class__ is str:
        quick = _quick(value)
        if quick is not None:
            return quick
    if isinstance(value, bool) or value is None:
        raise ValidationError("phone", "a phone number is required")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = _SEPARATORS.sub("", value.strip())
        if text.startswith("+"):
            if not text.startswith("+7"):
                raise ValidationError("phone", f"{shown(value)} is not a Russian number (+7...)")
            text = text[1:]
            if len(text) != 11:
                raise ValidationError("phone", f"{shown(value)} must have 10 digits after +7")
    else:
        raise ValidationError("phone", f"expected a phone number, got {type(value).__name__}")
    if not _DIGITS.fullmatch(text):
        raise ValidationError("phone", f"{shown(value)} is not a phone number like 79001234567")
    if len(text) == 10:
        text = "7" + text
    elif text[0] == "8":
        text = "7" + text[1:]
    if text[0] != "7":
        raise ValidationError("phone", f"{shown(value)} must start with 7, 8 or +7")
    return text


def _quick(value: str) -> str | None:
    """The usual forms (digits, spaces, dashes, brackets, dots, a leading +7) without a regex;
    None for anything else, which `normalize_phone` then reads the long way."""
    text = value.replace(" ", "").replace("-", "").replace("(", "").replace(")", "").replace(".", "")
    if text[:2] == "+7":
        text = text[1:]
        if len(text) != 11:
            return None
    if not (text.isdigit() and text.isascii()):
        return None
    if len(text) == 10:
        return "7" + text
    if len(text) == 11 and text[0] in "78":
        return "7" + text[1:]
    return None


def operator_code_of(phone: str) -> str:
    """The mobile operator code: digits 2-4 of a normalised phone."""
    return phone[1:4]
