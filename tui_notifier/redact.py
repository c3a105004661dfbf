"""Secrets kept out of everything the program writes: logs, the database, reports, the
dashboard, the command line.

`redact(text)` knows the configured secrets (the gateway's token, login and password, the
mail password, the passwords in the database, queue and gateway URLs) in every form they take
on the way out: plain, base64 (HTTP Basic carries `login:password`), URL- and JSON-encoded. It
also hides any URL's `user:password@` and the credentials of any `Basic` or `Bearer`
header, whatever they are. It is applied where a gateway's text enters the program and on
every log handler; `remember(config)` tells it the secrets when a process loads its config.
"""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"
SHORTEST = 4
"""Shorter values are not searched for: masking every `abc` would mangle ordinary text."""

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s?#@]+@")
_HEADER = re.compile(r"\b(Basic|Bearer|basic|bearer|BASIC|BEARER)(\s+|%20|\+)(?=\S*[0-9A-Z+/=._\-])[A-Za-z0-9+/=._~\-]{8,}")


def url_secrets(url: str) -> list[str]:
    """The user name and password in a URL's `user:password@`, if it has them."""
    try:
        parts = urlsplit(url)
        return [unquote(v) for v in (parts.username, parts.password) if v]
    except ValueError:
        return []


def secrets_of(config) -> list[str]:
    """Every secret a config holds."""
    gateway, mail = config.gateway, config.report_email
    values = [gateway.token, gateway.password, mail.password]
    if gateway.login and gateway.password:
        values.append(f"{gateway.login}:{gateway.password}")
    for url in (config.database, config.queue.url, gateway.url, gateway.dr_url):
        values += url_secrets(url or "")
    return [v for v in values if v]


def _forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret), json.dumps(secret)[1:-1]}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(raw).decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    return {f for f in forms if len(f) >= SHORTEST}


class Redactor:
    """Masks a fixed set of secrets, in all their forms, and every URL's or header's credentials."""

    def __init__(self, secrets=()):
        self.secrets = frozenset(s for s in secrets if s and len(s) >= SHORTEST)
        forms: set[str] = set()
        for secret in self.secrets:
            forms |= _forms(secret)
        self.forms = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, self.forms))) if self.forms else None

    def __call__(self, text):
        if not isinstance(text, str) or not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
        return _HEADER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


_active = Redactor()


def remember(config) -> Redactor:
    """Make `config`'s secrets the ones `redact` masks in this process (with any known before)."""
    global _active
    _active = Redactor([*secrets_of(config), *_active.secrets])
    return _active


def redact(text):
    """`text` with every known secret and every credential in it replaced by `***`."""
    return _active(text)
