"""Client rows of a CSV file, one at a time, each with the line it starts on.

The first row names the columns: `phone` is required, `operator_code`, `tag` and `timezone`
are optional, in any order; any other column is an attribute of the client (`first_name`
for `{first_name}` in a text), set where its cell is not empty. The separator is the comma, or the semicolon or tab a
spreadsheet writes, whichever the header uses. An empty cell is a value left out. A quoted
cell may hold a line break, so a row's line is the line it starts on.
"""
from __future__ import annotations

import csv
from operator import itemgetter
from typing import Iterator

from tui_notifier.core.clients import CLIENT_FIELDS, clean_attribute_name
from tui_notifier.core.errors import ValidationError, shown
from tui_notifier.core.textfile import LoadError, SourceRow, TextFile

SEPARATORS = ",;\t"


def read_rows(text: TextFile) -> Iterator[tuple]:
    """Every row of the file in order, as `SourceRow` fields; a LoadError when the file as a
    whole is unusable. A row's data is the tuple of its cells (`textfile.CELLS`, the attributes
    left out when the file has no other columns), blanks as read."""
    reader = None
    try:
        reader = csv.reader(text.text(newline=""), delimiter=_separator(text), strict=True)
        columns = _columns(text.source, next(reader, None))
        width = len(columns)
        pick = _picker(columns)
        attributes = [(index, name) for index, name in enumerate(columns) if name not in CLIENT_FIELDS]
        count = 0
        line = reader.line_num + 1
        for record in reader:
            if not record:
                line = reader.line_num + 1
                continue
            count += 1
            if len(record) != width:
                yield SourceRow(count, line, None, [("row", f"has {len(record)} fields, the header has {width}")])
            elif attributes:
                yield count, line, pick(record) + (
                    {name: record[index] for index, name in attributes if record[index].strip()},), None
            else:
                yield count, line, pick(record), None
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise text.undecodable() from None
    except csv.Error as exc:
        problem = str(exc)
        if "NUL" in problem:
            raise LoadError(text.source, "is a binary file, not CSV text", line=reader.line_num) from None
        raise LoadError(text.source, f"malformed CSV: {problem}", line=reader.line_num) from None


def _picker(columns: list[str]):
    """The cells of a record for `CLIENT_FIELDS`, in that order; None for a column the file lacks."""
    index = [columns.index(name) if name in columns else None for name in CLIENT_FIELDS]
    if None not in index:
        return itemgetter(*index)
    return lambda record: tuple(None if at is None else record[at] for at in index)


def _separator(text: TextFile) -> str:
    """The separator the header line uses most (a comma when it uses none)."""
    header = text.binary.peek(1 << 16).decode(text.encoding, errors="ignore").split("\n", 1)[0]
    best = max(SEPARATORS, key=header.count)
    return best if header.count(best) else ","


def _columns(source: str, header: list[str] | None) -> list[str]:
    if not header or not any(cell.strip() for cell in header):
        raise LoadError(source, f"is empty: expected a header row naming the columns ({', '.join(CLIENT_FIELDS)})")
    columns = [cell.strip() for cell in header]
    columns = [name.lower() if name.lower() in CLIENT_FIELDS else name for name in columns]
    for number, name in enumerate(columns, start=1):
        if not name:
            raise LoadError(source, f"column {number} of the header has no name", line=1)
        if name not in CLIENT_FIELDS:
            try:
                clean_attribute_name(name, "column")
            except ValidationError as exc:
                raise LoadError(source, f"column {number} of the header: {exc.message}", line=1) from None
        if columns.index(name) != number - 1:
            raise LoadError(source, f"column {shown(name)} is named twice in the header", line=1)
    if "phone" not in columns:
        raise LoadError(source, f"the header has no phone column (found {', '.join(columns)})", line=1)
    return columns
