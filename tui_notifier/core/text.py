"""Text from operators and gateways made safe to show on a terminal, in a table or a log.

A tag, a message text or a gateway's error may carry terminal escapes (`ESC [31m`, BEL, C1
controls such as CSI U+009B), NUL or bidirectional overrides (U+202E) that would recolour,
move or reorder what the operator reads. Every face shows such text through `visible`, which
writes each of those characters the way Python writes it in a string literal (`\\x1b`,
`\\x9b`, `\\u202e`, `\\n`), so what is shown is exactly what is stored and nothing acts on the
terminal.
"""
from __future__ import annotations

import re

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# C0 and C1 controls and DEL; Unicode's bidirectional formatting characters (marks,
# embeddings, overrides, isolates); the line and paragraph separators.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_FIND = re.compile(f"[{_CONTROLS}]")
_FIND_BUT_NEWLINE = re.compile(rf"(?!\n)[{_CONTROLS}]")
_FIND_BEYOND_ASCII = re.compile(rf"(?![\x00-\x1f])[{_CONTROLS}]")


def _escape(ch: str) -> str:
    code = ord(ch)
    return _SHORT.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _written_out(found: re.Match) -> str:
    return _escape(found.group())


def visible(value, keep_newlines: bool = False) -> str:
    """`value` as text with every control character written out (`\\x1b`, `\\u202e`); with
    `keep_newlines`, line breaks stay line breaks (a multi-line text shown as lines)."""
    text = "" if value is None else str(value)
    return (_FIND_BUT_NEWLINE if keep_newlines else _FIND).sub(_written_out, text)


def first_control(text: str) -> str | None:
    """The first control character in `text` written out, or None when there is none."""
    found = _FIND.search(text)
    return _escape(found.group()) if found else None


def one_line(value, limit: int = 60) -> str:
    """A text squeezed onto one visible line (runs of white space become one space, other
    controls are written out), cut at `limit` characters with an ellipsis."""
    text = visible(" ".join(str(value or "").split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_visible(document: str) -> str:
    """A JSON document with the controls JSON leaves raw (DEL, C1, bidirectional formatting,
    line separators; it escapes C0 itself) written as `\\uXXXX` escapes: the same data, safe
    to print on a terminal."""
    return _FIND_BEYOND_ASCII.sub(lambda found: f"\\u{ord(found.group()):04x}", document)
