"""Text that would act on a terminal if it reached one raw: escapes, BEL, a CSI sequence, C1
controls, a bidirectional override and NUL. Tests put it where users and gateways write, and
read it back from every face with `raw_controls`."""
from __future__ import annotations

import re

HOSTILE_TAG = "\x1b[31mred\x1b[0m\x07"
HOSTILE_TEXT = "Sale \x1b[2J\x1b]0;owned\x07 now \x9b31m c1 \x85 \u202eevil\u202c end"
HOSTILE_ERROR = "HTTP 500: \x1b[1;31mboom\x1b[0m\x00 \u202eredli\u202c \x9d"
SHOWN_TAG = r"\x1b[31mred\x1b[0m\x07"
SHOWN_TEXT = r"Sale \x1b[2J\x1b]0;owned\x07 now \x9b31m c1 \x85 \u202eevil\u202c end"
SHOWN_ERROR = r"HTTP 500: \x1b[1;31mboom\x1b[0m\x00 \u202eredli\u202c \x9d"

_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def raw_controls(text: str) -> list[str]:
    """Every control character in `text` that a terminal would act on (line breaks aside)."""
    return _RAW.findall(text)
