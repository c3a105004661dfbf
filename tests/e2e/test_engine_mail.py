"""The daily summary e-mail from real consumers: once a day however many consumers run,
and a mail server that is down is retried without hurting the consumer."""
from __future__ import annotations

import time

from servers import Inbox
from harness import add_clients, wait_for


def test_two_consumers_mail_the_summary_once_after_the_mail_server_comes_back(stack):
    inbox = Inbox()  # its port is reserved, nothing listens yet
    stack.configure(report_email={"enabled": True, "at": "00:00", "timezone": "UTC",
                                  "to": ["ops@example.org"], "host": "127.0.0.1", "port": inbox.port,
                                  "retry_seconds": 1})
    add_clients(10)
    first, second = stack.consumer("first"), stack.consumer("second")
    d = stack.dispatch()
    stack.wait_status(d.id, "finished", timeout=10)
    wait_for(lambda: "daily summary not sent" in first.log() + second.log(), timeout=10,
             what="a failed try logged")

    inbox.start()
    try:
        wait_for(lambda: inbox.messages, timeout=15, what="the summary mailed")
        time.sleep(5)
        assert len(inbox.messages) == 1
        recipients, text = inbox.messages[0]
        assert recipients == ["ops@example.org"]
        assert "daily summary" in text and "sent       10" in text
        assert first.alive() and second.alive()
    finally:
        inbox.stop()
