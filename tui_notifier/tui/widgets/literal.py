"""Text from operators and gateways, shown exactly as typed.

Tags such as `[/]` or `[@click=app.quit]x` would crash a markup parser or run an action
when clicked; every user string reaches the screen through one of these.
"""
from __future__ import annotations

from rich.text import Text
from textual.content import Content


def cell(value, style: str = "") -> Text:
    """A DataTable cell that is never parsed as markup."""
    return Text("" if value is None else str(value), style=style, no_wrap=True, overflow="ellipsis")


def literal(value) -> Content:
    """Content for a Static or Label that is never parsed as markup."""
    return Content("" if value is None else str(value))


def one_line(value, limit: int = 60) -> str:
    """A text squeezed onto one line, cut at `limit` characters."""
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
