"""Secrets never reach a log, whoever writes the line."""
from __future__ import annotations

import logging

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
