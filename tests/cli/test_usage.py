"""The command line as a whole: help everywhere, exit codes, the config it reads, both entry points."""
import pytest

COMMANDS = [
    [],
    ["clients"], ["clients", "load"], ["clients", "list"], ["clients", "add"], ["clients", "update"],
    ["clients", "delete"], ["clients", "export"],
    ["stoplist"], ["stoplist", "add"], ["stoplist", "remove"], ["stoplist", "list"], ["stoplist", "load"],
    ["dispatches"], ["dispatches", "create"], ["dispatches", "list"], ["dispatches", "show"],
    ["dispatches", "update"], ["dispatches", "preview"], ["dispatches", "pause"], ["dispatches", "resume"],
    ["dispatches", "cancel"], ["dispatches", "delete"], ["dispatches", "clone"], ["dispatches", "resend"],
    ["dispatches", "test-send"],
    ["report"], ["consumer"], ["sandbox-gateway"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "tui-notifier")
def test_every_command_explains_itself_with_help(cli, command):
    result = cli(*command, "--help")
    assert result.code == 0, result.err
    assert result.out.startswith("usage: tui-notifier")
    assert " ".join(["tui-notifier", *command]) in result.out.splitlines()[0]
    assert result.err == ""


def test_the_top_level_help_names_every_command_group(cli):
    out = cli("--help").out
    for group in ("clients", "dispatches", "report"):
        assert group in out


def test_the_create_help_names_its_options(cli):
    out = cli("dispatches", "create", "--help").out
    for option in ("--start", "--end", "--text", "--timezone", "--operator", "--tag", "--window", "--json"):
        assert option in out


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["clients"],
        ["dispatches"],
        ["clients", "add"],
        ["clients", "update", "not-a-number", "--tag", "x"],
        ["clients", "delete"],
        ["clients", "export", "--format", "xml"],
        ["stoplist", "add"],
        ["stoplist", "load"],
        ["clients", "list", "--limit", "many"],
        ["clients", "list", "--no-such-option"],
        ["clients", "load", "x.yaml", "--on-conflict", "merge"],
        ["dispatches", "create", "--start", "2030-01-01T00:00", "--end", "2030-01-02T00:00"],
        ["dispatches", "list", "--status", "sleeping"],
        ["dispatches", "show"],
        ["report", "--page", "first"],
        ["report", "0000", "--messages", "--status", "bogus"],
        ["report", "--page", "0"],
        ["report", "--page-size", "-5"],
        ["clients", "list", "--limit", "0"],
        ["clients", "list", "--offset", "-1"],
        ["consumer", "--workers", "0"],
        ["consumer", "--metrics-port", "70000"],
        ["consumer", "--metrics-port", "http"],
    ],
    ids=lambda a: " ".join(a),
)
def test_bad_usage_exits_2_with_the_reason_on_stderr(cli, args):
    result = cli(*args)
    assert result.code == 2
    assert result.out == ""
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("tui-notifier") and ": error: " in last


def test_the_console_script_is_the_same_program(cli):
    assert cli("--help", script=True).out == cli("--help").out
    added = cli("clients", "add", "+7 900 123-45-67", script=True)
    assert (added.code, added.out) == (0, "1\n")
    assert cli("clients", "list", "--json").json()[0]["phone"] == "79001234567"
    assert cli("no-such-command", script=True).code == 2


def test_the_console_script_reports_failures_like_the_module(cli):
    cli("clients", "add", "79001234567", script=True)
    failed = cli("clients", "add", "79001234567", script=True)
    assert failed.code == 1
    assert "already in the directory" in failed.reason


# --- where the config comes from ---------------------------------------------------------

def test_the_config_is_found_through_the_environment_variable(cli, config_file, cli_env):
    env = dict(cli_env, TUI_NOTIFIER_CONFIG=str(config_file))
    assert cli("clients", "add", "79001234567", config=None, env=env).code == 0
    assert cli("clients", "list", "--count").out == "1\n"


def test_the_config_option_wins_over_the_environment_variable(cli, tmp_path, cli_env):
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(f'database: "{tmp_path / "other.db"}"\n', encoding="utf-8")
    env = dict(cli_env, TUI_NOTIFIER_CONFIG=str(elsewhere))
    assert cli("clients", "add", "79001234567", env=env).code == 0
    assert cli("clients", "list", "--count", config=elsewhere).out == "0\n"
    assert cli("clients", "list", "--count").out == "1\n"


def test_a_missing_config_file_is_a_one_line_failure_naming_it(cli, tmp_path):
    result = cli("clients", "list", config=tmp_path / "absent.yaml")
    assert result.code == 1
    assert "absent.yaml" in result.reason


def test_an_unknown_config_key_is_a_one_line_failure_naming_the_key(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f'database: "{tmp_path / "x.db"}"\ngateway:\n  knd: probe\n', encoding="utf-8")
    result = cli("clients", "list", config=bad)
    assert result.code == 1
    assert "gateway.knd" in result.reason


def test_a_database_file_that_is_not_a_database_is_a_one_line_failure(cli, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is plain text, not SQLite " * 200)
    config = tmp_path / "junk.yaml"
    config.write_text(f'database: "{junk}"\n', encoding="utf-8")
    result = cli("clients", "list", config=config)
    assert result.code == 1
    assert "not a database" in result.reason
