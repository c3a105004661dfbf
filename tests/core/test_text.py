"""Control characters from users and gateways are written out, never passed to a terminal."""
import json

import pytest

from hostile import HOSTILE_TEXT, SHOWN_TEXT
from tui_notifier.core.text import first_control, json_visible, one_line, visible


@pytest.mark.parametrize("raw, shown", [
    ("\x1b[31mred", r"\x1b[31mred"),
    ("bell\x07", r"bell\x07"),
    ("nul\x00", r"nul\x00"),
    ("del\x7f", r"del\x7f"),
    ("csi\x9b2J", r"csi\x9b2J"),
    ("osc\x9d", r"osc\x9d"),
    ("abc\u202eevil\u202c", r"abc\u202eevil\u202c"),
    ("isolate\u2066x\u2069", r"isolate\u2066x\u2069"),
    ("line\u2028sep", r"line\u2028sep"),
    ("a\tb\r\nc", r"a\tb\r\nc"),
])
def test_each_control_character_is_written_out_as_a_python_escape(raw, shown):
    assert visible(raw) == shown


def test_printable_text_of_any_script_passes_unchanged():
    text = "Скидка 50% [b]today[/b] 👨‍👩‍👧 café \\x1b"
    assert visible(text) == text


def test_writing_out_twice_changes_nothing_more():
    assert visible(visible(HOSTILE_TEXT)) == visible(HOSTILE_TEXT) == SHOWN_TEXT


def test_a_multi_line_text_may_keep_its_line_breaks_and_nothing_else():
    assert visible("one\x1b\ntwo\r\n", keep_newlines=True) == "one\\x1b\ntwo\\r\n"
    assert visible(None) == ""


def test_one_line_squeezes_blanks_writes_out_the_rest_and_cuts():
    assert one_line("a \n\t b\x1bc", 60) == r"a b\x1bc"
    assert one_line("x" * 10 + "\x1b", 8) == "xxxxxxx…"


def test_the_first_control_is_named_as_it_is_shown():
    assert first_control("vip\u202e\x1b") == r"\u202e"
    assert first_control("vip") is None


def test_json_keeps_the_data_and_writes_out_what_it_would_print_raw():
    data = {"text": HOSTILE_TEXT}
    document = json_visible(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(document) == data
    assert not any(ch in document for ch in "\x1b\x07\x9b\x85\u202e")
