"""One redaction for every output: the configured secrets in each form they travel in, and any
URL's or HTTP header's credentials."""
import base64
from urllib.parse import quote, quote_plus

import pytest

from tui_notifier.config import parse_config
from tui_notifier.redact import Redactor, secrets_of

SECRET = "s3cr3t/t0ken+x=y"


@pytest.mark.parametrize("form", [
    SECRET, quote(SECRET, safe=""), quote_plus(SECRET), base64.b64encode(SECRET.encode()).decode(),
    base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
])
def test_a_secret_is_masked_in_every_form_it_travels_in(form):
    assert Redactor([SECRET])(f"the gateway said: {form}!") == "the gateway said: ***!"


@pytest.mark.parametrize("text, shown", [
    ("GET https://bob:hunter2@api.example/v1", "GET https://***@api.example/v1"),
    ("redis://:pw@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
    ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
    ("you sent 'Bearer eyJhbGciOi.J9.x'", "you sent 'Bearer ***'"),
])
def test_credentials_in_urls_and_headers_are_masked_whatever_they_are(text, shown):
    assert Redactor()(text) == shown


@pytest.mark.parametrize("text", ["basic settings apply", "HTTP 500: internal error", "https://example.org/a@b"])
def test_ordinary_text_is_left_alone(text):
    assert Redactor([SECRET, "abc"])(text) == text


def test_a_config_names_its_secrets_wherever_they_are():
    config = parse_config(
        "database: postgresql://app:db-pass@db/app\n"
        "queue: {url: 'redis://:queue-pass@q:6379/0'}\n"
        "gateway: {kind: hyber, url: 'https://gw-user:gw-pass@gw', login: acme, password: hyber-pass, token: tok-123}\n"
        "report_email: {password: mail-pass}\n")
    assert set(secrets_of(config)) >= {"db-pass", "queue-pass", "gw-pass", "hyber-pass", "acme:hyber-pass",
                                        "tok-123", "mail-pass"}
