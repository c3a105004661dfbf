"""How many SMS parts a text costs: GSM-7 when every character is in the GSM 03.38 alphabet,
UCS-2 otherwise.

A single GSM-7 SMS holds 160 septets, a part of a split one 153 (the rest is the header that
joins them); UCS-2 holds 70 UTF-16 units, or 67 per part. Characters of the GSM-7 extension
table (``^{}\\[]~|€`` and form feed) take two septets, and a part never splits one of them,
nor a UTF-16 surrogate pair.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\x0c^{}\\[]~|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"

SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SmsCount:
    characters: int
    encoding: str
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    parts: int
    remaining: int
    """Units still free in the last part before another part is needed."""

    def describe(self) -> str:
        """`42 chars · GSM-7 · 1 SMS (118 left)`: the composer's counter line."""
        sms = "SMS" if self.parts == 1 else "SMS parts"
        return (f"{self.characters} chars · {self.encoding} · {self.parts} {sms} "
                f"({self.remaining} left)")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _widths(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_sms(text: str) -> SmsCount:
    """Characters, encoding and parts of `text` as a gateway will bill it."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    widths = _widths(text, encoding)
    units = sum(widths)
    if units <= SINGLE[encoding]:
        parts = 1 if units else 0
        return SmsCount(len(text), encoding, units, parts, SINGLE[encoding] - units)
    size = PER_PART[encoding]
    parts, used = 1, 0
    for width in widths:
        if used + width > size:
            parts, used = parts + 1, 0
        used += width
    return SmsCount(len(text), encoding, units, parts, size - used)
