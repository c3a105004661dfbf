"""Text that would act on a terminal if it reached one raw: escapes, BEL, a CSI sequence, C1
controls, a bidirectional override and NUL. Tests put it where users and gateways write, and
read it back from every face with `raw_controls`."""
from __future__ import annotations

import re

HOSTILE_TAG = "\x1b[31mred\x1b[0m\x07"
HOSTILE_TEXT = "Sale \x1b[2J\x1b]0;owned\x07 now \x9b31m c1 \x85 \u202eevil\u202c end"
HOSTILE_ERROR = "HTTP 500: \x1b[1;31mboom\x1b[0m\x00 \u202eredli\u202c \x9d"
SHOWN_TAG = r"\x1b[31mred\x1b[0m\x07"
SHOWN_TEXT = r"Sale \x1b[2J\x1b]0;owned\x07 now \x9b31m c1 \x85 \u202eevil\u202c end"
SHOWN_ERROR = r"HTTP 500: \x1b[1;31mboom\x1b[0m\x00 \u202eredli\u202c \x9d"

_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def raw_controls(text: str) -> list[str]:
    """Every control character in `text` that a terminal would act on (line breaks aside)."""
    return _RAW.findall(text)


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A YAML value of a few hundred bytes that spells `width ** levels` strings once its
    aliases are followed: any code that prints it whole prints gigabytes."""
    nested = ["&a [" + ",".join(["xxxxxxxxxx"] * width) + "]"]
    for level in range(1, levels):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        nested.append(f"&{name} [" + ",".join([f"*{previous}"] * width) + "]")
    return f"[{', '.join(nested)}]"


HOSTILE_CONFIGS = {
    "a probe gateway without its url": ("gateway: {kind: probe}\n", "gateway.url: required"),
    "a log file in a folder that does not exist": ("logging: {file: /no/such/folder/notifier.log}\n",
                                                  "logging.file: the folder"),
    "a batch size of 0": ("sending: {batch_size: 0}\n", "sending.batch_size: must be positive"),
    "no requests in flight": ("sending: {concurrency: 0}\n", "sending.concurrency: must be positive"),
    "a timeout of zero": ("gateway: {timeout: 0}\n", "gateway.timeout: must be positive"),
    "an infinite lease": ("sending: {lease_seconds: .inf}\n", "sending.lease_seconds: expected a number"),
    "an alias bomb where a number goes": (f"gateway: {{timeout: {alias_bomb()}}}\n",
                                          "gateway.timeout: expected a number"),
    "a retry factor under 1": ("sending: {retry: {factor: 0.1}}\n", "sending.retry.factor: must be 1 or more"),
    "a fail rate over 1": ("gateway: {sandbox: {fail_rate: 7}}\n", "gateway.sandbox.fail_rate"),
}
"""Config files an operator could write by mistake (or an attacker on purpose), each with the
start of the one line it must be refused with."""
