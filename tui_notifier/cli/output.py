"""Printing for the CLI: JSON for scripts, aligned plain-text tables for people.

Whatever a user or a gateway wrote is printed with its control characters written out
(`visible`), so no stored text acts on the terminal that reads it.
"""
from __future__ import annotations

import argparse
import json
import sys

from tui_notifier.core.text import json_visible, visible


def count_arg(minimum: int, maximum: int | None = None):
    """An argparse type: an integer of at least `minimum` (and at most `maximum`), else a
    usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def attribute_arg(text: str) -> tuple[str, str]:
    """An argparse type: `name=value` (the value may be empty), else a usage error."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def print_json(data) -> None:
    sys.stdout.write(json_visible(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[visible(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    out = [line]
    for row in cells:
        out.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    sys.stdout.write("\n".join(out) + "\n")


def print_fields(pairs: list[tuple[str, object]]) -> None:
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        sys.stdout.write(f"{name.ljust(width)}  {visible(value)}\n")
