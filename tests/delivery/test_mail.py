"""The daily statistics e-mail, against a real SMTP server on 127.0.0.1."""
import datetime as dt

import pytest

from servers import free_port
from tui_notifier import counts
from tui_notifier.clock import UTC
from tui_notifier.config import ConfigError, parse_config
from tui_notifier.core import clients, dispatches
from tui_notifier.delivery import mail
from tui_notifier.delivery.store.leases import claim_period, release_period
from tui_notifier.models import Dispatch, Message, MessageStatus

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _config(port, **extra):
    text = (f"report_email: {{enabled: true, to: [ops@example.org, boss@example.org], "
            f"host: 127.0.0.1, port: {port}, at: '09:00', timezone: Europe/Moscow}}")
    return parse_config(text)


def _a_day_of_sending():
    clients.add_client("79001234567")
    clients.add_client("79011234567")
    d = dispatches.create_dispatch(NOW - dt.timedelta(hours=5), NOW + dt.timedelta(hours=5),
                                   "Sale", now=NOW - dt.timedelta(hours=6))
    Dispatch.update(status="running", fanned_out_at=NOW - dt.timedelta(hours=5)).execute()
    Message.insert_many([
        {"dispatch": d.id, "client": 1, "phone": "79001234567", "status": MessageStatus.DELIVERED},
        {"dispatch": d.id, "client": 2, "phone": "79011234567", "status": MessageStatus.FAILED,
         "last_error": "HTTP 400: [bad] number"},
    ]).execute()
    counts.rebuild()
    return d


def test_the_summary_is_mailed_once_a_day_after_its_local_time(db, smtp):
    _a_day_of_sending()
    config = _config(smtp.port)
    before = dt.datetime(2026, 11, 22, 5, 59, tzinfo=UTC)
    assert mail.send_daily_summary_if_due(config, before) is False
    assert mail.send_daily_summary_if_due(config, NOW) is True
    assert mail.send_daily_summary_if_due(config, NOW + dt.timedelta(minutes=1)) is False
    assert len(smtp.messages) == 1
    recipients, text = smtp.messages[0]
    assert recipients == ["ops@example.org", "boss@example.org"]
    assert "Subject: tui_notifier: daily summary for 2026-11-22" in text
    assert "delivered  1" in text and "failed     1" in text
    assert "started: 1" in text
    assert "HTTP 400: [bad] number" in text
    assert mail.send_daily_summary_if_due(config, NOW + dt.timedelta(days=1)) is True
    assert len(smtp.messages) == 2


def test_a_mail_server_that_is_down_is_retried_later_with_a_doubling_wait(db, smtp, caplog):
    down = _config(free_port())
    up = _config(smtp.port)
    assert mail.send_daily_summary_if_due(down, NOW) is False
    assert "SMTP 127.0.0.1" in caplog.text and "next try in 60s" in caplog.text

    later = NOW + dt.timedelta(seconds=30)
    assert mail.summary_due(up, later) is False
    assert mail.send_daily_summary_if_due(up, later) is False
    assert mail.send_daily_summary_if_due(down, NOW + dt.timedelta(seconds=61)) is False
    assert "attempt 2" in caplog.text and "next try in 120s" in caplog.text
    assert mail.send_daily_summary_if_due(up, NOW + dt.timedelta(seconds=150)) is False

    assert mail.summary_due(up, NOW + dt.timedelta(seconds=185)) is True
    assert mail.send_daily_summary_if_due(up, NOW + dt.timedelta(seconds=185)) is True
    assert len(smtp.messages) == 1
    assert mail.summary_due(up, NOW + dt.timedelta(hours=1)) is False


def test_a_consumer_that_died_while_mailing_leaves_the_day_to_another_after_its_lease(db, smtp):
    config = _config(smtp.port)
    dead = claim_period(mail.LEASE_PREFIX + "2026-11-22", 1, mail.CLAIM_LEASE, NOW)
    assert dead is not None and dead.attempt == 1

    within = NOW + dt.timedelta(seconds=mail.CLAIM_LEASE - 1)
    assert mail.summary_due(config, within) is False
    assert mail.send_daily_summary_if_due(config, within) is False
    after = NOW + dt.timedelta(seconds=mail.CLAIM_LEASE + 1)
    assert mail.summary_due(config, after) is True
    assert mail.send_daily_summary_if_due(config, after) is True
    assert len(smtp.messages) == 1

    release_period(dead, after)
    assert mail.summary_due(config, after + dt.timedelta(hours=2)) is False, \
        "a claim that was taken over cannot undo the work of its successor"


def test_the_retry_wait_is_configurable_and_must_be_positive():
    assert parse_config("report_email: {retry_seconds: 5}").report_email.retry_seconds == 5
    with pytest.raises(ConfigError, match="report_email.retry_seconds"):
        parse_config("report_email: {retry_seconds: 0}")


def test_report_email_time_must_be_a_time_of_day():
    with pytest.raises(ConfigError, match="report_email.at: expected a time of day"):
        parse_config("report_email: {at: '9am'}")
    with pytest.raises(ConfigError, match="report_email.timezone: unknown time zone"):
        parse_config("report_email: {timezone: Mars/Olympus}")


def test_report_email_sends_the_summary_now_from_the_command_line(tmp_path, smtp):
    import subprocess
    import sys

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"database: {tmp_path / 'n.db'}\nreport_email: {{to: [ops@example.org], "
                   f"host: 127.0.0.1, port: {smtp.port}}}\n")
    run = subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(cfg), "report", "--email"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "daily summary mailed to ops@example.org"
    assert len(smtp.messages) == 1
    cfg.write_text(f"database: {tmp_path / 'n.db'}\nreport_email: {{to: [ops@example.org], "
                   f"host: 127.0.0.1, port: {free_port()}}}\n")
    run = subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(cfg), "report", "--email"],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.startswith("tui-notifier: error: SMTP 127.0.0.1:")
    assert len(run.stderr.strip().splitlines()) == 1
