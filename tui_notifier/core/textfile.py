"""A file of text opened for streaming: its encoding found from the BOM, bytes counted for progress.

Loads read files far larger than memory, so nothing here holds more than a buffer of the file;
what a whole-file problem needs (the line of a bad byte) is found by reading the file again,
on the error path only.
"""
from __future__ import annotations

import codecs
import io
import os
from pathlib import Path
from typing import NamedTuple

from tui_notifier.core.errors import CoreError

SNIFF_BYTES = 8192


class LoadError(CoreError):
    """The whole file is unusable; the message names the file, and the line when known."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        where = path if line is None else f"{path}:{line}" if column is None else f"{path}:{line}:{column}"
        super().__init__(f"{where}: {message}")


CELLS = ("phone", "operator_code", "tag", "timezone", "attributes")
"""The order of a row's cells when a reader gives them as a tuple."""


class SourceRow(NamedTuple):
    """One row as read: `row` counts from 1, `line` is where it starts.

    `data` is a mapping of field to value, or a tuple of the `CELLS` as text where a blank
    cell is a value left out (the cheap form of a table's row; without the attributes when
    it has none), or None when the row is not
    a mapping at all. `problems` are (field, message) pairs found while reading, or None.
    Readers may yield plain tuples of these four fields.
    """

    row: int
    line: int
    data: dict | tuple | None
    problems: list[tuple[str, str]] | None = None


class _CountingReader(io.RawIOBase):
    """A raw file that remembers how many bytes were read from it, for progress."""

    def __init__(self, raw):
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        self.consumed += count or 0
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class TextFile:
    """An open file of `kind` text (YAML, CSV): `binary` for parsers that decode, `text()` for those that do not."""

    def __init__(self, reopen, source: str, kind: str, size: int):
        self.source = source
        self.kind = kind
        self.size = size
        self._reopen = reopen
        self._counter = _CountingReader(reopen())
        self.binary = io.BufferedReader(self._counter, buffer_size=1 << 16)
        head = self.binary.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding, self.encoding_name = "utf-16", "UTF-16"
        elif b"\x00" in head:
            self.close()
            raise LoadError(source, f"is a binary file, not {kind} text")
        else:
            self.encoding, self.encoding_name = "utf-8-sig", "UTF-8"

    @classmethod
    def open(cls, path, kind: str) -> "TextFile":
        """The file at `path`, or a LoadError that says why it cannot be read."""
        source = str(path)
        try:
            if os.path.isdir(path):
                raise IsADirectoryError
            size = os.path.getsize(path)
            open(path, "rb").close()
        except FileNotFoundError:
            raise LoadError(source, "no such file") from None
        except IsADirectoryError:
            raise LoadError(source, f"is a directory, not a {kind} file") from None
        except PermissionError:
            raise LoadError(source, "cannot read the file: permission denied") from None
        except OSError as exc:
            raise LoadError(source, f"cannot read the file: {exc.strerror or exc}") from None
        return cls(lambda: open(path, "rb", buffering=0), source, kind, size)

    @classmethod
    def of_text(cls, text: str, source: str, kind: str) -> "TextFile":
        """Text already in memory, read the same way as a file."""
        data = text.encode("utf-8")
        return cls(lambda: io.BytesIO(data), source, kind, len(data))

    @property
    def consumed(self) -> int:
        """Bytes read so far (a buffer ahead of the parser)."""
        return min(self._counter.consumed, self.size)

    def text(self, newline: str | None = None) -> io.TextIOWrapper:
        return io.TextIOWrapper(self.binary, encoding=self.encoding, newline=newline)

    def close(self) -> None:
        self.binary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def undecodable(self) -> LoadError:
        """The error for the first byte that is not text in this file's encoding, found by a second read."""
        decoder = codecs.getincrementaldecoder(self.encoding)()
        line = 1
        with self._reopen() as again:
            while chunk := again.read(1 << 16):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    start = max(exc.start - (len(exc.object) - len(chunk)), 0)
                    line += chunk.count(b"\n", 0, start)
                    return LoadError(self.source, f"is not {self.encoding_name} text "
                                     f"(byte {chunk[start]:#04x} cannot be decoded)", line=line)
                line += chunk.count(b"\n")
        return LoadError(self.source, f"is not {self.encoding_name} text")

    def line_at(self, offset: int) -> int:
        """The 1-based line holding byte `offset` of the file's text as UTF-8 (libyaml's offsets)."""
        line, seen = 1, 0
        with self._reopen() as raw, io.TextIOWrapper(raw, encoding=self.encoding, errors="replace",
                                                     newline="") as again:
            while seen < offset and (chunk := again.read(1 << 14)):
                data = chunk.encode("utf-8")
                part = data[:offset - seen]
                line += part.count(b"\n") + part.count(b"\r") - part.count(b"\r\n")
                seen += len(data)
        return line


def suffix_of(path) -> str:
    return Path(str(path)).suffix.lower()
