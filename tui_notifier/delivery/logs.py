"""Logging for the engine: lines that follow a message, and secrets that never get out.

Every line about one message starts with `dispatch=<id> message=<id> client=<id>`, so
grepping any one id tells its whole story. A filter on the handlers masks the configured
secrets in every form and any URL's or header's credentials (`tui_notifier.redact`) in
whatever is logged, whoever logs it, and the formatter
writes out control characters (a gateway's error or a tag carrying `ESC [2J` or a newline
cannot act on the terminal that tails the log, nor forge a line).
"""
from __future__ import annotations

import logging
import sys

from tui_notifier.config import ConfigError
from tui_notifier.core.text import visible
from tui_notifier.redact import Redactor, remember

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_MARK = "_tui_notifier_handler"


def about(dispatch_id, message_id, client_id) -> str:
    return f"dispatch={dispatch_id} message={message_id} client={client_id}"


class VisibleFormatter(logging.Formatter):
    """One line per record: the message's control characters written out; a traceback keeps
    its line breaks only."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - the stdlib's name
        record.message = visible(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record), keep_newlines=True)


class RedactSecrets(logging.Filter):
    """Every record's text and traceback with the secrets masked (`tui_notifier.redact`)."""

    def __init__(self, redactor: Redactor):
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        text = self.redact(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.msg, record.args = text, None  # formatted once, here, for every handler
        return True


def setup_logging(config, stderr: bool = True) -> None:
    """Log to stderr (when asked) and to `logging.file`, at `logging.level`; safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    if config.logging.file:
        try:
            handlers.append(logging.FileHandler(config.logging.file, encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"logging.file: cannot write {config.logging.file!r}: {exc.strerror or exc}") from None
    redact = RedactSecrets(remember(config))
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(VisibleFormatter(FORMAT))
        handler.addFilter(redact)
        root.addHandler(handler)
    level = getattr(logging, config.logging.level.upper(), logging.INFO)
    root.setLevel(level)
    # huey announces every task it runs, a few a second with the fast tick: keep that for DEBUG
    logging.getLogger("huey").setLevel(level if level <= logging.DEBUG else logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.INFO)
