"""Secrets never reach a log, whoever writes the line."""
from __future__ import annotations

import logging

import pytest

from hostile import HOSTILE_ERROR, HOSTILE_TAG, SHOWN_ERROR, SHOWN_TAG, raw_controls
from tui_notifier.config import Config
from tui_notifier.delivery.logs import about, setup_logging


def test_a_message_line_starts_with_its_ids():
    assert about("d-1", 5, 9) == "dispatch=d-1 message=5 client=9"


def test_configured_secrets_are_masked_in_the_log_file(tmp_path):
    cfg = Config()
    cfg.gateway.token = "tok-abcdef-123"
    cfg.gateway.password = "hyber-pass-9"
    cfg.logging.file = str(tmp_path / "engine.log")
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        setup_logging(cfg, stderr=False)
        setup_logging(cfg, stderr=False)  # again: no duplicate handlers
        logging.getLogger("somebody.else").warning("auth Bearer %s failed", "tok-abcdef-123")
        try:
            raise RuntimeError("login hyber-pass-9 rejected")
        except RuntimeError:
            logging.getLogger("x").exception("boom")
    finally:
        for handler in list(root.handlers):
            if handler not in before[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(before[1])
    text = (tmp_path / "engine.log").read_text()
    assert "auth Bearer *** failed" in text and "login *** rejected" in text
    assert "tok-abcdef-123" not in text and "hyber-pass-9" not in text
    assert text.count("auth Bearer") == 1


@pytest.fixture
def log_file(tmp_path):
    """The configured log file; the root logger is as it was after the test."""
    root = logging.getLogger()
    before = list(root.handlers), root.level
    yield tmp_path / "engine.log"
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(before[1])


def test_a_gateway_error_or_a_tag_with_controls_is_written_out_on_one_log_line(log_file):
    cfg = Config()
    cfg.logging.file = str(log_file)
    setup_logging(cfg, stderr=False)
    engine = logging.getLogger("tui_notifier.delivery.engine")
    engine.warning("%s failed: %s", about("d-1", 5, 9), HOSTILE_ERROR + "\nforged INFO line")
    engine.info("%s tag %s", about("d-1", 6, 10), HOSTILE_TAG)
    try:
        raise RuntimeError(HOSTILE_ERROR)
    except RuntimeError:
        engine.exception("gateway crashed")
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(f"dispatch=d-1 message=5 client=9 failed: {SHOWN_ERROR}\\nforged INFO line")
    assert lines[1].endswith(f"dispatch=d-1 message=6 client=10 tag {SHOWN_TAG}")
    assert lines[-1] == f"RuntimeError: {SHOWN_ERROR}"
    assert raw_controls("\n".join(lines)) == []
