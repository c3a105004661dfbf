"""Message text with placeholders: `{first_name}`, `{first_name|клиент}` with a fallback, `{{` for a brace.

A placeholder names a client attribute or one of every client's fields (`phone`,
`operator_code`, `tag`, `timezone`). A placeholder without a fallback that some of a
dispatch's audience lacks is an error when the dispatch is composed, never at send time;
the engine renders each message's text for its client when it sends it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from peewee import fn

from tui_notifier.core.clients import CLIENT_FIELDS
from tui_notifier.core.errors import ValidationError, shown
from tui_notifier.core.sms import count_sms
from tui_notifier.models import Client


@dataclass(frozen=True)
class Placeholder:
    name: str
    fallback: str | None = None


@dataclass(frozen=True)
class Template:
    """A parsed text: literal pieces and placeholders, in order."""

    parts: tuple

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(part for part in self.parts if isinstance(part, Placeholder))

    @property
    def names(self) -> tuple[str, ...]:
        """Every name used, once each, in order of first use."""
        return tuple(dict.fromkeys(p.name for p in self.placeholders))

    @property
    def required(self) -> tuple[str, ...]:
        """Names used somewhere without a fallback: a client must have them."""
        return tuple(dict.fromkeys(p.name for p in self.placeholders if p.fallback is None))

    def render(self, values: Mapping[str, str]) -> str:
        """The text for one client; a missing value takes the fallback, else stays empty."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = values.get(part.name) or ""
                out.append(value if value.strip() else (part.fallback or ""))
        return "".join(out)


def parse(text: str, field: str = "text") -> Template:
    """The template of `text`, or a ValidationError that says where it is broken."""
    parts: list = []
    literal: list[str] = []
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if ch in "{}" and text[i + 1:i + 2] == ch:
            literal.append(ch)
            i += 2
            continue
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        end = text.find("}", i + 1)
        inner = text[i + 1:end] if end != -1 else text[i + 1:]
        if end == -1 or "{" in inner:
            raise ValidationError(field, f"a {{ at character {i + 1} is not closed: "
                                  "write {{ for a brace, or {name} for a placeholder")
        name, bar, fallback = inner.partition("|")
        name = name.strip()
        if not name.isidentifier():
            raise ValidationError(field, f"{shown('{' + inner + '}')} at character {i + 1} is not a placeholder: "
                                  "write {name} or {name|fallback}, or {{ for a brace")
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Placeholder(name, fallback if bar else None))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(tuple(parts))


def client_values(client: Client) -> dict[str, str]:
    """What a placeholder can name for `client`: its fields, then its attributes."""
    values = {name: str(getattr(client, name) or "") for name in CLIENT_FIELDS}
    values.update(client.attributes or {})
    return values


def render_for(text: str, client: Client) -> str:
    return parse(text).render(client_values(client))


def _value_of(name: str):
    """The SQL expression of a placeholder's value for a client."""
    if name in CLIENT_FIELDS:
        return getattr(Client, name)
    return Client.attributes[name].as_text()


def lacking(template: Template, audience) -> dict[str, int]:
    """For each required name, how many clients of `audience` (a Client query) have no value."""
    found = {}
    for name in template.required:
        value = _value_of(name)
        count = audience.where(value.is_null() | (value == "")).count()
        if count:
            found[name] = count
    return found


def check_audience(text: str, audience, field: str = "text") -> Template:
    """The template, or a ValidationError naming each placeholder some of the audience lacks."""
    template = parse(text, field)
    missing = lacking(template, audience)
    if missing:
        total = audience.count()
        said = "; ".join(f"{{{name}}} has no value for {count:,} of {total:,} clients" for name, count in missing.items())
        example = next(iter(missing))
        raise ValidationError(field, f"{said}: give a fallback like {{{example}|…}} or set the attribute")
    return template


@dataclass(frozen=True)
class TextCost:
    """What a dispatch's text costs over its audience: SMS parts per recipient and in all."""

    recipients: int
    min_parts: int
    max_parts: int
    total_sms: int
    encodings: tuple[str, ...]
    sample: str
    """The text rendered for the first client of the audience (or with no values)."""

    def describe(self) -> str:
        parts = (f"{self.min_parts}" if self.min_parts == self.max_parts
                 else f"{self.min_parts}–{self.max_parts}")
        return (f"{parts} SMS per recipient · {self.total_sms:,} SMS for {self.recipients:,} "
                f"recipients · {'/'.join(self.encodings) or '—'}")


def text_cost(text: str, audience) -> TextCost:
    """Parts per recipient and the total a provider bills, computed once per distinct set of values.

    Recipients with the same values get the same text, so the audience is grouped by the
    values its placeholders use; a text without placeholders costs one count.
    """
    template = parse(text)
    names = template.names
    first = audience.select(*Client._meta.sorted_fields).order_by(Client.id).first()
    sample = template.render(client_values(first) if first is not None else {})
    costs: Counter = Counter()
    encodings: set[str] = set()
    if not names:
        groups = [((), audience.count())]
    else:
        values = [_value_of(name) for name in names]
        query = audience.select(*values, fn.COUNT(Client.id)).group_by(*values)
        groups = [(row[:-1], row[-1]) for row in query.tuples()]
    for values, count in groups:
        if not count:
            continue
        sms = count_sms(template.render({name: value or "" for name, value in zip(names, values)}))
        costs[sms.parts] += count
        encodings.add(sms.encoding)
    recipients = sum(costs.values())
    return TextCost(recipients=recipients, min_parts=min(costs, default=0), max_parts=max(costs, default=0),
                    total_sms=sum(parts * count for parts, count in costs.items()),
                    encodings=tuple(sorted(encodings)), sample=sample)
