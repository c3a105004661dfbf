"""The daily statistics e-mail: plain text over SMTP, once a day at `report_email.at`.

Of several consumers sharing a database one sends it (a lease on the day,
`delivery.store.leases.claim_period`); a mail server that is down is logged and tried again
after `report_email.retry_seconds`, doubling up to an hour, never fatal; a consumer that dies
while mailing leaves the day to another when its lease ends.
"""
from __future__ import annotations

import datetime as _dt
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytz

from tui_notifier.clock import utcnow
from tui_notifier.config import Config, ReportEmailConfig
from tui_notifier.core.summary import daily_summary
from tui_notifier.delivery.store import leases

log = logging.getLogger("tui_notifier.mail")
LEASE_PREFIX = "report_email:"
CLAIM_LEASE = 600.0
"""Seconds a consumer has to mail the day's summary before, presumed dead, another may."""


class MailError(Exception):
    """The summary could not be handed to the SMTP server."""


def send_mail(cfg: ReportEmailConfig, subject: str, body: str, timeout: float = 30.0) -> None:
    if not cfg.to:
        raise MailError("report_email.to lists no recipient")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = cfg.sender
    message["To"] = ", ".join(cfg.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="tui-notifier")
    message.set_content(body)
    try:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=timeout) as smtp:
            if cfg.starttls:
                smtp.starttls()
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {cfg.host}:{cfg.port}: {exc}") from None


def send_summary_now(config: Config, now: _dt.datetime | None = None) -> str:
    """Mail the last day's summary at once (`tui-notifier report --email`); returns the text."""
    cfg = config.report_email
    now = now or utcnow()
    body = daily_summary(now).as_text(cfg.timezone)
    day = now.astimezone(pytz.timezone(cfg.timezone)).date()
    send_mail(cfg, f"tui_notifier: daily summary for {day.isoformat()}", body)
    log.info("daily summary mailed to %s", ", ".join(cfg.to))
    return body


def due_period(cfg: ReportEmailConfig, now: _dt.datetime) -> str | None:
    """The name of today's mail lease once the local time has passed `at`, else None."""
    if not cfg.enabled:
        return None
    local = now.astimezone(pytz.timezone(cfg.timezone))
    hour, minute = (int(part) for part in cfg.at.split(":"))
    if (local.hour, local.minute) < (hour, minute):
        return None
    return LEASE_PREFIX + local.date().isoformat()


def summary_due(config: Config, now: _dt.datetime | None = None) -> bool:
    """Whether today's summary is due and may be tried now: a cheap read for every tick."""
    now = now or utcnow()
    period = due_period(config.report_email, now)
    return period is not None and leases.is_free(period, now)


def send_daily_summary_if_due(config: Config, now: _dt.datetime | None = None,
                              holder: int | None = None) -> bool:
    """Send today's summary if it is due and nobody sent it yet. A failure is logged and
    frees the day for another try after a back-off; it never raises MailError."""
    now = now or utcnow()
    period = due_period(config.report_email, now)
    claim = leases.claim_period(period, holder, CLAIM_LEASE, now) if period is not None else None
    if claim is None:
        return False
    try:
        send_summary_now(config, now)
    except MailError as exc:
        delay = leases.release_period(claim, now, first_delay=config.report_email.retry_seconds)
        log.warning("daily summary not sent (attempt %d), next try in %ds: %s", claim.attempt, delay, exc)
        return False
    leases.complete_period(claim)
    return True
