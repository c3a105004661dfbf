"""Text from operators and gateways, shown exactly as typed.

Tags such as `[/]` or `[@click=app.quit]x` would crash a markup parser or run an action
when clicked, and a terminal escape would act on the operator's terminal; every user string
reaches the screen through one of these: never parsed, control characters written out.
"""
from __future__ import annotations

from rich.text import Text
from textual.content import Content

from tui_notifier.core.text import one_line, visible

__all__ = ["cell", "literal", "one_line"]


def cell(value, style: str = "") -> Text:
    """A DataTable cell that is never parsed as markup."""
    return Text(visible(value), style=style, no_wrap=True, overflow="ellipsis")


def literal(value) -> Content:
    """Content for a Static or Label that is never parsed as markup."""
    return Content(visible(value, keep_newlines=True))
