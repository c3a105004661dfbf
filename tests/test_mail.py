"""The daily statistics e-mail, against a real SMTP server on 127.0.0.1."""
import datetime as dt

import pytest
from aiosmtpd.controller import Controller

from servers import free_port
from tui_notifier.clock import UTC
from tui_notifier.config import ConfigError, parse_config
from tui_notifier import mail
from tui_notifier.core import clients, dispatches
from tui_notifier.models import Dispatch, Message, MessageStatus

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


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


def test_a_mail_server_that_is_down_is_retried_later(db, smtp):
    down = _config(free_port())
    with pytest.raises(mail.MailError, match="SMTP 127.0.0.1"):
        mail.send_daily_summary_if_due(down, NOW)
    assert mail.send_daily_summary_if_due(_config(smtp.port), NOW) is True
    assert len(smtp.messages) == 1


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
