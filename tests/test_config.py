"""Config: every key has a default, the example documents each, errors name the key."""
from pathlib import Path

import pytest
import yaml

from tui_notifier.config import Config, ConfigError, all_keys, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"


def _flatten(data, prefix=""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_example_documents_every_key_with_its_default():
    data = yaml.safe_load(EXAMPLE.read_text())
    assert sorted(_flatten(data)) == sorted(all_keys())
    assert parse_config(EXAMPLE.read_text()) == parse_config("")


def test_an_empty_file_gives_the_embedded_defaults():
    config = parse_config("")
    assert config.gateway.kind == "sandbox"
    assert config.queue.backend == "sqlite"
    assert config.consumer.embedded is True
    assert config.sending.concurrency == 256
    assert config.database_url.endswith("tui_notifier.db")
    assert config.queue_path.endswith("queue.db")


@pytest.mark.parametrize("text, key", [
    ("queue: {bakend: redis}", "queue.bakend: unknown key"),
    ("gateway: {timeout: soon}", "gateway.timeout: expected a number"),
    ("gateway: {kind: smoke}", "gateway.kind: must be one of sandbox, probe, hyber"),
    ("sending: {concurrency: 2.5}", "sending.concurrency: expected an integer"),
    ("consumer: {embedded: yes please}", "consumer.embedded: expected true or false"),
    ("queue: 7", "queue: expected a mapping"),
    ("- a\n- b", "the top level: expected a mapping"),
    ("gateway: {sandbox: {fail_rate: [1]}}", "gateway.sandbox.fail_rate: expected a number"),
])
def test_a_bad_key_or_type_is_an_error_naming_the_key(text, key):
    with pytest.raises(ConfigError) as err:
        parse_config(text, "notifier.yaml")
    assert str(err.value).startswith("notifier.yaml: ")
    assert key in str(err.value)


def test_malformed_yaml_is_an_error_naming_the_file():
    with pytest.raises(ConfigError, match=r"notifier.yaml:\d+:\d+: not valid YAML"):
        parse_config("queue: [unclosed", "notifier.yaml")


def test_environment_variables_are_expanded(monkeypatch):
    monkeypatch.setenv("PROBE_TOKEN", "s3cret")
    config = parse_config("gateway: {token: 'Bearer ${PROBE_TOKEN}'}")
    assert config.gateway.token == "Bearer s3cret"


def test_a_missing_environment_variable_is_an_error(monkeypatch):
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    with pytest.raises(ConfigError, match=r"gateway.password: environment variable \$\{NO_SUCH_VAR\}"):
        parse_config("gateway: {password: '${NO_SUCH_VAR}'}")


def test_the_from_key_of_the_report_email(tmp_path):
    assert parse_config("report_email: {from: ops@example.org}").report_email.sender == "ops@example.org"


def test_config_is_found_by_flag_then_environment(tmp_path, monkeypatch):
    by_env = tmp_path / "env.yaml"
    by_env.write_text("sending: {concurrency: 4}")
    by_flag = tmp_path / "flag.yaml"
    by_flag.write_text("sending: {concurrency: 8}")
    monkeypatch.setenv("TUI_NOTIFIER_CONFIG", str(by_env))
    assert load_config().sending.concurrency == 4
    assert load_config(str(by_flag)).sending.concurrency == 8


def test_a_missing_config_file_given_explicitly_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))


def test_without_any_file_the_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.delenv("TUI_NOTIFIER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_config() == Config()


@pytest.mark.parametrize("text, key", [
    ("sending: {batch_size: 0}", "sending.batch_size: must be positive, got 0"),
    ("sending: {concurrency: -4}", "sending.concurrency: must be positive"),
    ("sending: {lease_seconds: 0}", "sending.lease_seconds: must be positive"),
    ("sending: {rate_limit: -1}", "sending.rate_limit: must be 0 (no limit) or more"),
    ("sending: {retry: {base_delay: 0}}", "sending.retry.base_delay: must be positive"),
    ("sending: {retry: {max_delay: -3}}", "sending.retry.max_delay: must be positive"),
    ("sending: {retry: {factor: 0.5}}", "sending.retry.factor: must be 1 or more"),
    ("sending: {retry: {jitter: 2}}", "sending.retry.jitter: must be a share from 0 to 1"),
    ("gateway: {timeout: 0}", "gateway.timeout: must be positive"),
    ("gateway: {timeout: .inf}", "gateway.timeout: expected a number"),
    ("gateway: {timeout: .nan}", "gateway.timeout: expected a number"),
    ("gateway: {ttl: 0}", "gateway.ttl: must be positive"),
    ("gateway: {dr_poll_interval: -1}", "gateway.dr_poll_interval: must be positive"),
    ("gateway: {kind: probe}", "gateway.url: required with gateway.kind probe"),
    ("gateway: {kind: hyber, url: '  '}", "gateway.url: required with gateway.kind hyber"),
    ("gateway: {sandbox: {fail_rate: 1.5}}", "gateway.sandbox.fail_rate: must be a share from 0 to 1"),
    ("gateway: {sandbox: {latency_ms: -1}}", "gateway.sandbox.latency_ms: must be 0 or more"),
    ("consumer: {workers: 0}", "consumer.workers: must be positive"),
    ("consumer: {tick_seconds: 0}", "consumer.tick_seconds: must be positive"),
    ("logging: {level: LOUD}", "logging.level: must be DEBUG or INFO or WARNING or ERROR"),
    ("logging: {file: /no/such/folder/notifier.log}", "logging.file: the folder '/no/such/folder' does not exist"),
    ("report_email: {port: 0}", "report_email.port: must be 1..65535"),
])
def test_settings_that_make_no_sense_are_refused_when_the_config_loads(text, key):
    with pytest.raises(ConfigError) as err:
        parse_config(text, "notifier.yaml")
    assert str(err.value) == f"notifier.yaml: {key}" or str(err.value).startswith(f"notifier.yaml: {key}")


def test_a_value_quoted_in_an_error_is_cut_short_whatever_its_size():
    """Nine levels of YAML aliases, nine each: 600 bytes that spell 9**9 strings."""
    levels = ["&a [" + ",".join(["xxxxxxxxxx"] * 9) + "]"]
    for level in "bcdefghi":
        levels.append(f"&{level} [" + ",".join([f"*{chr(ord(level) - 1)}"] * 9) + "]")
    text = f"gateway: {{timeout: [{', '.join(levels)}]}}\n"
    assert len(text) < 600
    with pytest.raises(ConfigError) as err:
        parse_config(text, "notifier.yaml")
    assert str(err.value).startswith("notifier.yaml: gateway.timeout: expected a number, got [[")
    assert len(str(err.value)) < 300


def test_a_long_unknown_key_is_cut_short():
    with pytest.raises(ConfigError) as err:
        parse_config(f"{'k' * 1000}: 1", "notifier.yaml")
    assert "unknown key" in str(err.value) and len(str(err.value)) < 300


def test_a_config_file_of_many_megabytes_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as out:
        out.write("# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError, match="a config file is at most 1024 KB; this one is 2.0 MB"):
        load_config(str(path))


def test_invalid_yaml_is_one_line_naming_the_line_and_column():
    with pytest.raises(ConfigError) as err:
        parse_config("gateway:\n  timeout: 1\n bad: [", "notifier.yaml")
    assert "\n" not in str(err.value)
    assert str(err.value).startswith("notifier.yaml:3:")
