"""Client rows of a YAML file, one at a time, each with the line it starts on.

A file is a list of mappings, or a mapping with a `clients:` list. The C parser hands out
events; a plain row (a mapping of plain or quoted scalars, the usual case) is built straight
from them, and any other row (anchors, aliases, merge keys, tags, nested values) is composed
and constructed by PyYAML from the events it was read from. Only the current row is ever in
memory, so a file of any size loads in the same space.
"""
from __future__ import annotations

import reprlib
from typing import Iterator

import yaml
from yaml.composer import Composer, ComposerError
from yaml.events import (AliasEvent, CollectionStartEvent, DocumentEndEvent, DocumentStartEvent,
                         MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent, CollectionEndEvent)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from tui_notifier.core.clients import CLIENT_FIELDS
from tui_notifier.core.textfile import LoadError, SourceRow, TextFile

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "<<"
_ROW_SHAPE = f"expected a mapping with {', '.join(CLIENT_FIELDS)}"
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)
REMEMBERED_TAGS = 10_000
_TOP_SHAPE = "a list of clients or a mapping with a `clients:` list"


class _Replay(Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """Composes and constructs one row from its recorded events; anchors live on across rows."""

    def __init__(self):
        Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._events: list = []

    def check_event(self, *choices) -> bool:
        if not self._events:
            return False
        return not choices or isinstance(self._events[0], choices)

    def peek_event(self):
        return self._events[0]

    def get_event(self):
        return self._events.pop(0)

    def node(self, events: list):
        self._events = events
        return self.compose_node(None, None)

    def forget(self) -> None:
        """Drop what construction cached, so memory does not grow with the rows."""
        self.constructed_objects = {}
        self.recursive_objects = {}


def read_rows(text: TextFile) -> Iterator[SourceRow]:
    """Every row of the file in order; a LoadError when the file as a whole is unusable."""
    parser = yaml.CSafeLoader(text.binary)
    try:
        yield from _Rows(parser, text).rows()
    except yaml.YAMLError as exc:
        raise _yaml_load_error(text, exc) from None
    finally:
        parser.dispose()


class _Rows:
    def __init__(self, parser, text: TextFile):
        self.parser = parser
        self.text = text
        self.replay = _Replay()
        self.count = 0
        self.tags: dict[str, str] = {}

    def rows(self) -> Iterator[SourceRow]:
        parser = self.parser
        parser.get_event()
        if parser.check_event(StreamEndEvent):
            raise LoadError(self.text.source, f"is empty: expected {_TOP_SHAPE}")
        document = parser.get_event()
        top = parser.peek_event()
        if isinstance(top, SequenceStartEvent):
            yield from self._list()
        elif isinstance(top, MappingStartEvent):
            yield from self._mapping()
        else:
            node = self._compose()
            if isinstance(node, ScalarNode) and node.tag == _NULL:
                raise LoadError(self.text.source, f"is empty: expected {_TOP_SHAPE}")
            raise LoadError(self.text.source, f"expected {_TOP_SHAPE}, got {_describe_node(node)}",
                            line=node.start_mark.line + 1)
        parser.get_event()
        if parser.check_event(DocumentStartEvent):
            extra = parser.get_event()
            raise ComposerError("expected a single document in the stream", document.start_mark,
                                "but found another document", extra.start_mark)

    def _mapping(self) -> Iterator[SourceRow]:
        parser = self.parser
        start = parser.get_event()
        keys: list = []
        clients_node_shape = None
        while not parser.check_event(MappingEndEvent):
            key = self._compose()
            name = key.value if isinstance(key, ScalarNode) else None
            keys.append(name)
            if name == "clients" and parser.check_event(SequenceStartEvent):
                yield from self._list()
            else:
                value = self._compose()
                if name == "clients":
                    clients_node_shape = value
        parser.get_event()
        unknown = [key for key in keys if key != "clients"]
        if "clients" not in keys or unknown:
            found = ", ".join(repr(key) for key in keys) or "nothing"
            raise LoadError(self.text.source, f"a mapping at the top must have just a `clients:` list, found {found}",
                            line=start.start_mark.line + 1)
        if clients_node_shape is not None:
            raise LoadError(self.text.source, "`clients:` must be a list of clients, got "
                            f"{_describe_node(clients_node_shape)}", line=clients_node_shape.start_mark.line + 1)

    def _list(self) -> Iterator[SourceRow]:
        parser = self.parser
        parser.get_event()
        while not parser.check_event(SequenceEndEvent):
            self.count += 1
            yield self._row()
        parser.get_event()

    def _row(self) -> SourceRow:
        """The next row: built from plain events while they stay plain, else composed from all of them."""
        get_event = self.parser.get_event
        tag_of = self._tag_of
        first = get_event()
        line = first.start_mark.line + 1
        events = [first]
        if first.__class__ is MappingStartEvent and first.anchor is None and first.implicit:
            data: dict = {}
            problems: list[tuple[str, str]] = []
            while True:
                key_event = get_event()
                events.append(key_event)
                if key_event.__class__ is not ScalarEvent:
                    if key_event.__class__ is MappingEndEvent:
                        return SourceRow(self.count, line, data, problems)
                    break
                if key_event.anchor is not None or key_event.tag is not None or tag_of(key_event) != _STR:
                    break
                key = key_event.value
                if key == _MERGE:
                    break
                value_event = get_event()
                events.append(value_event)
                if value_event.__class__ is not ScalarEvent or value_event.anchor is not None \
                        or value_event.tag is not None:
                    break
                if key in data:
                    problems.append((key, "given twice in the row"))
                tag = tag_of(value_event)
                if tag == _STR:
                    data[key] = value_event.value
                    continue
                try:
                    data[key] = self._scalar(value_event, tag)
                except _CONSTRUCT_ERRORS as exc:
                    problems.append((key, _constructor_problem(exc)))
        self._rest_of_node(events)
        node = self.replay.node(events)
        try:
            return SourceRow(self.count, line, *_construct_row(node, self.replay))
        finally:
            self.replay.forget()

    def _rest_of_node(self, events: list) -> None:
        """Read on until the node that `events` began is whole."""
        depth = sum(1 if isinstance(e, CollectionStartEvent) else -1 if isinstance(e, CollectionEndEvent) else 0
                    for e in events)
        while depth > 0:
            event = self.parser.get_event()
            events.append(event)
            if isinstance(event, CollectionStartEvent):
                depth += 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1

    def _compose(self):
        """The next whole node, composed (for the rare shapes outside the row list)."""
        events = [self.parser.get_event()]
        self._rest_of_node(events)
        return self.replay.node(events)

    def _tag_of(self, event) -> str:
        """The tag a scalar without one resolves to; the resolutions of plain scalars are
        remembered (a file repeats its keys and many of its values)."""
        if not event.implicit[0]:
            return _STR
        tag = self.tags.get(event.value)
        if tag is None:
            tag = self.replay.resolve(ScalarNode, event.value, event.implicit)
            if len(self.tags) < REMEMBERED_TAGS:
                self.tags[event.value] = tag
        return tag

    def _scalar(self, event, tag: str):
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.replay.construct_object(node)
        finally:
            self.replay.forget()


def _construct_row(node, loader) -> tuple[dict | None, list[tuple[str, str]]]:
    """The row's mapping from its node; each value that cannot be built is a problem of its field."""
    if not (isinstance(node, MappingNode) and node.tag == _MAP):
        return _construct_general(node, loader)
    data: dict = {}
    problems: list[tuple[str, str]] = []
    for key_node, value_node in node.value:
        if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR):
            return _construct_general(node, loader)
        key = key_node.value
        if key in data:
            problems.append((key, "given twice in the row"))
        if isinstance(value_node, ScalarNode) and value_node.tag == _STR:
            data[key] = value_node.value
            continue
        try:
            data[key] = loader.construct_object(value_node, deep=True)
        except _CONSTRUCT_ERRORS as exc:
            problems.append((key, _constructor_problem(exc)))
    return data, problems


def _construct_general(node, loader):
    """Rows that are not plain mappings, or use merge keys (`<<: *defaults`), take the full constructor."""
    try:
        value = loader.construct_object(node, deep=True)
    except _CONSTRUCT_ERRORS as exc:
        return None, [("row", _constructor_problem(exc))]
    if not isinstance(value, dict):
        return None, [("row", f"{_ROW_SHAPE}, got {_describe_value(value)}")]
    return {str(key): item for key, item in value.items()}, []


def _yaml_load_error(text: TextFile, exc: yaml.YAMLError) -> LoadError:
    source = text.source
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context:
        where = f" on line {context_mark.line + 1}" if context_mark is not None else ""
        problem = f"{context}{where}: {problem}"
    if mark is not None:
        return LoadError(source, f"malformed YAML: {problem}", line=mark.line + 1, column=mark.column + 1)
    position = getattr(exc, "position", None)
    if isinstance(exc, yaml.reader.ReaderError) and position is not None:
        if "UTF-8" in str(exc.reason) or "UTF-16" in str(exc.reason) or "octet" in str(exc.reason):
            return text.undecodable()
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return LoadError(source, f"malformed YAML: character {ord(character):#06x} is not allowed",
                         line=text.line_at(position))
    return LoadError(source, f"malformed YAML: {problem}")


def _constructor_problem(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    return problem or str(exc).splitlines()[0]


def _describe_node(node) -> str:
    if isinstance(node, ScalarNode):
        return "null" if node.tag == _NULL else f"the value {node.value!r}"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a mapping"


def _describe_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {reprlib.repr(value)}"
