"""Typed configuration read from one YAML file.

Every key has a default, so an empty or missing file gives a working setup (SQLite in the
user data dir, the in-process sandbox gateway, an embedded consumer). The file is found via
``--config PATH``, else ``$TUI_NOTIFIER_CONFIG``, else ``config.yaml`` in the user config dir.
``${VAR}`` inside a string value is replaced by the environment variable, so secrets stay out
of the file. An unknown key or a value of the wrong type is a :class:`ConfigError` naming the
key.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import pytz
import yaml

from tui_notifier.core.errors import shown

APP_NAME = "tui_notifier"
ENV_CONFIG = "TUI_NOTIFIER_CONFIG"


def data_dir() -> Path:
    """Where the database and the queue live unless the config says otherwise."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


MAX_CONFIG_BYTES = 1024 * 1024
"""A config is a few dozen lines; a bigger file is a mistake, refused before it is read."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the key."""


def _require(key: str, ok: bool, expected: str, value) -> None:
    """Refuse a setting that makes no sense, naming the key, what it must be, and the value."""
    if not ok:
        raise ConfigError(f"{key}: must be {expected}, got {shown(value)}")


def _positive(section: str, values: dict) -> None:
    for name, value in values.items():
        _require(f"{section}.{name}", value > 0, "positive", value)


def _share(section: str, values: dict) -> None:
    for name, value in values.items():
        _require(f"{section}.{name}", 0 <= value <= 1, "a share from 0 to 1", value)


@dataclass
class QueueConfig:
    backend: typing.Literal["sqlite", "redis"] = "sqlite"
    """Where Huey keeps its tasks: `sqlite` (a file of its own) or `redis` (shared by many consumers)."""
    path: str = ""
    """The SqliteHuey file; empty means `queue.db` in the user data dir."""
    url: str = "redis://127.0.0.1:6379/0"
    """The Redis server for `backend: redis`."""
    name: str = "tui_notifier"
    """The queue's name; consumers and faces that share it share the work."""


@dataclass
class SandboxConfig:
    latency_ms: int = 30
    """Simulated time the sandbox gateway takes to answer, in milliseconds."""
    fail_rate: float = 0.0
    """Share of sends (0..1) the sandbox answers with a transient error."""
    dr_delay: float = 2.0
    """Seconds after a send when the sandbox's delivery report becomes final."""
    undelivered_rate: float = 0.0
    """Share of sent messages (0..1) the sandbox reports as not delivered."""

    def __post_init__(self):
        _require("gateway.sandbox.latency_ms", self.latency_ms >= 0, "0 or more", self.latency_ms)
        _require("gateway.sandbox.dr_delay", self.dr_delay >= 0, "0 or more", self.dr_delay)
        _share("gateway.sandbox", {"fail_rate": self.fail_rate, "undelivered_rate": self.undelivered_rate})


@dataclass
class GatewayConfig:
    kind: typing.Literal["sandbox", "probe", "hyber"] = "sandbox"
    """Which gateway sends: `sandbox` (nothing leaves the machine), `probe` or `hyber`."""
    url: str = ""
    """Base URL of the send API (probe: `{url}/send/{id}`; hyber: `{url}/{client_id}`)."""
    dr_url: str = ""
    """Base URL of hyber's delivery-report API (`{dr_url}/{client_id}/api/dr/...`)."""
    token: str = ""
    """Bearer token for probe. Use `${ENV_VAR}`; it never appears in a log."""
    timeout: float = 10.0
    """Seconds one request may take as a whole: waiting for a connection, connecting, the answer
    however slowly it comes. A stopping consumer exits within this + 2 s."""
    client_id: str = ""
    """hyber: the account's client id, part of every URL."""
    login: str = ""
    """hyber: HTTP Basic login."""
    password: str = ""
    """hyber: HTTP Basic password. Use `${ENV_VAR}`; it never appears in a log."""
    alpha_name: str = ""
    """hyber: the sender name shown on the phone."""
    ttl: int = 300
    """hyber: seconds the provider keeps trying to deliver one SMS."""
    dr_poll_interval: float = 5.0
    """Seconds between the first delivery-report polls of a sent message (then backing off)."""
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    """Behaviour of the in-process sandbox gateway."""

    def __post_init__(self):
        _positive("gateway", {"timeout": self.timeout, "ttl": self.ttl, "dr_poll_interval": self.dr_poll_interval})
        if self.kind != "sandbox" and not self.url.strip():
            raise ConfigError(f"gateway.url: required with gateway.kind {self.kind} (the provider's base URL)")


@dataclass
class RetryConfig:
    base_delay: float = 1.0
    """Seconds before the first retry of a transient failure."""
    factor: float = 2.0
    """Each further retry waits this many times longer."""
    max_delay: float = 60.0
    """The longest wait between two attempts, in seconds, however many attempts failed; also the
    longest a `Retry-After` may pause all sending."""
    jitter: float = 0.2
    """Random share (0..1) added to or taken from each wait, so retries do not march in step."""

    def __post_init__(self):
        _positive("sending.retry", {"base_delay": self.base_delay, "max_delay": self.max_delay})
        _require("sending.retry.factor", self.factor >= 1, "1 or more", self.factor)
        _share("sending.retry", {"jitter": self.jitter})


@dataclass
class SendingConfig:
    concurrency: int = 256
    """Requests in flight at once per consumer, on its event loop (also its gateway connections).
    Rule: in flight ≈ wanted rate × gateway latency, e.g. 1,000 msg/s × 0.25 s = 250."""
    batch_size: int = 256
    """Messages claimed at once by one worker; workers × batch_size ≥ concurrency keeps it busy."""
    lease_seconds: float = 30.0
    """How long a claimed batch stays reserved; a crashed worker's batch is claimed again after it."""
    rate_limit: float = 0.0
    """Messages per second across all threads of one consumer; 0 means no limit."""
    retry: RetryConfig = field(default_factory=RetryConfig)
    """Back-off for transient gateway failures."""

    def __post_init__(self):
        _positive("sending", {"concurrency": self.concurrency, "batch_size": self.batch_size,
                              "lease_seconds": self.lease_seconds})
        _require("sending.rate_limit", self.rate_limit >= 0, "0 (no limit) or more", self.rate_limit)


@dataclass
class ConsumerConfig:
    embedded: bool = True
    """Run the consumer inside the dashboard process; false relies on `tui-notifier consumer`."""
    workers: int = 2
    """Huey worker threads; each works one batch at a time."""
    periodic: bool = True
    """Run the periodic sweep from this consumer; a lease makes it run once per period however
    many consumers share the queue."""
    tick_seconds: float = 2.0
    """How often the sweep runs (end-time cutoff, stalled leases, catch-up after restarts)."""

    def __post_init__(self):
        _positive("consumer", {"workers": self.workers, "tick_seconds": self.tick_seconds})


@dataclass
class LoggingConfig:
    level: str = "INFO"
    """Level of the consumer's log: DEBUG, INFO, WARNING or ERROR."""
    file: str = ""
    """A file to log to as well as stderr; the dashboard logs only here."""

    def __post_init__(self):
        _require("logging.level", self.level.upper() in LOG_LEVELS, " or ".join(LOG_LEVELS), self.level)
        if self.file:
            folder = Path(self.file).expanduser().parent
            if not folder.is_dir():
                raise ConfigError(f"logging.file: the folder {shown(str(folder))} does not exist")


@dataclass
class ReportEmailConfig:
    enabled: bool = False
    """Mail a summary of the last day's dispatches once a day."""
    at: str = "09:00"
    """Local time of day (HH:MM) when the summary is mailed."""
    timezone: str = "UTC"
    """Time zone of `at`."""
    to: list[str] = field(default_factory=list)
    """Recipients."""
    sender: str = "tui-notifier@localhost"
    """The From address (key `from` in the file)."""
    host: str = "127.0.0.1"
    """SMTP server."""
    port: int = 25
    """SMTP port."""
    starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS."""
    user: str = ""
    """SMTP login, if the server wants one."""
    password: str = ""
    """SMTP password. Use `${ENV_VAR}`."""
    retry_seconds: float = 60.0
    """After a failed send, wait this long before trying again; the wait doubles with each
    failure of the same day, up to an hour."""

    def __post_init__(self):
        _positive("report_email", {"retry_seconds": self.retry_seconds})
        _require("report_email.port", 0 < self.port <= 65535, "1..65535", self.port)
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.at):
            raise ConfigError(f"report_email.at: expected a time of day HH:MM, got {shown(self.at)}")
        if self.timezone not in pytz.all_timezones_set:
            raise ConfigError(f"report_email.timezone: unknown time zone {shown(self.timezone)}")


@dataclass
class ApiConfig:
    host: str = "127.0.0.1"
    """Address `tui-notifier serve` listens on; 0.0.0.0 for every interface."""
    port: int = 8000
    """Port of the HTTP API."""
    threads: int = 8
    """Requests answered at once (waitress worker threads)."""
    auth: typing.Literal["token", "none"] = "token"
    """`token`: every route but /docs and /openapi.json wants `Authorization: Token <t>` (or
    Bearer); `none` is refused unless `host` is a loopback address."""
    max_body_size: int = 1048576
    """Largest request body accepted, in bytes; a larger one is answered 413."""

    def __post_init__(self):
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"api.port: must be 0..65535, got {self.port}")
        if self.threads < 1:
            raise ConfigError(f"api.threads: must be at least 1, got {self.threads}")
        if self.max_body_size < 1:
            raise ConfigError(f"api.max_body_size: must be positive, got {self.max_body_size}")


@dataclass
class Config:
    database: str = ""
    """A file path, `sqlite:///path` or `postgresql://user:pass@host:port/db`; empty means
    `tui_notifier.db` in the user data dir."""
    queue: QueueConfig = field(default_factory=QueueConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    sending: SendingConfig = field(default_factory=SendingConfig)
    consumer: ConsumerConfig = field(default_factory=ConsumerConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    report_email: ReportEmailConfig = field(default_factory=ReportEmailConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    source: str = field(default="(defaults)", metadata={"internal": True})
    """Where this config was read from, for messages; not a key of the file."""

    @property
    def database_url(self) -> str:
        return self.database or str(data_dir() / "tui_notifier.db")

    @property
    def queue_path(self) -> str:
        return self.queue.path or str(data_dir() / "queue.db")


_RENAMED_KEYS = {"from": "sender"}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(value: str, key: str) -> str:
    def repl(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{key}: environment variable ${{{name}}} is not set")
        return os.environ[name]

    return _ENV_REF.sub(repl, value)


def _coerce(value, hint, key: str):
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, f"{key}.")
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(map(str, choices))}, not {shown(value)}")
        return value
    if origin is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__}")
        (item_hint,) = typing.get_args(hint)
        return [_coerce(v, item_hint, f"{key}[{i}]") for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {shown(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {shown(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{key}: expected a number, got {shown(value)}")
        return float(value)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f"{key}: expected a string, got {shown(value)}")
        return _expand(str(value), key)
    raise ConfigError(f"{key}: unsupported type")  # pragma: no cover


def _build(cls, data, prefix: str = ""):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        where = prefix.rstrip(".") or "the top level"
        raise ConfigError(f"{where}: expected a mapping of keys, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values = {}
    for raw_key, value in data.items():
        name = _RENAMED_KEYS.get(raw_key, raw_key) if isinstance(raw_key, str) else raw_key
        key = f"{prefix}{raw_key if isinstance(raw_key, str) and len(raw_key) <= 60 else shown(raw_key)}"
        if name not in known:
            raise ConfigError(f"{key}: unknown key")
        values[name] = _coerce(value, hints[name], key)
    return cls(**values)


def parse_config(text: str, source: str = "(text)") -> Config:
    """Build a Config from YAML text; errors name `source` and the key at fault."""
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    try:
        config = _build(Config, data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    config.source = source
    return config


def _nested_keys(cls, prefix=""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _nested_keys(hints[f.name], f"{prefix}{f.name}.")
        else:
            yield prefix + {"sender": "from"}.get(f.name, f.name)


def all_keys() -> list[str]:
    """Every dotted key the file may hold; the example config must document each."""
    return list(_nested_keys(Config))


def default_config_path() -> Path:
    return config_dir() / "config.yaml"


def find_config_path(explicit: str | None = None) -> Path | None:
    """The file to read: `explicit`, else $TUI_NOTIFIER_CONFIG, else the user config dir's."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    candidate = default_config_path()
    return candidate if candidate.exists() else None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_path(explicit)
    if path is None:
        return Config()
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: a config file is at most {MAX_CONFIG_BYTES // 1024} KB; this one is "
                              f"{size / 1024 / 1024:.1f} MB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return parse_config(text, str(path))
