"""hyber: sends, then delivery reports polled to a final status, each change kept."""
from __future__ import annotations

import statistics

import peewee as pw

from harness import add_clients, wait_for
from tui_notifier.models import DeliveryReport, Message


def test_delivery_reports_reach_a_final_status_with_their_history(stack):
    stack.start_emulator("--login", "acme", "--password", "hyber-pw-77", "--dr-delay", "3",
                         "--undelivered-rate", "0.3")
    stack.configure(gateway={"kind": "hyber", "dr_url": stack.emulator.url, "client_id": "acme",
                             "login": "acme", "password": "hyber-pw-77", "alpha_name": "ACME"})
    add_clients(20)
    consumer = stack.consumer()
    d = stack.dispatch()

    def finals():
        got = stack.counts(d.id)
        return got.get("delivered", 0) + got.get("failed", 0)

    wait_for(lambda: finals() == 20, timeout=25, what="every report final")
    for message in Message.select():
        history = [r.status for r in DeliveryReport.select()
                   .where(DeliveryReport.message == message.id).order_by(DeliveryReport.id)]
        assert len(history) >= 2 and history[0] in (-1, 1)
        assert history[-1] == (2 if message.status == "delivered" else 5)
        assert message.provider_id
    assert stack.wait_status(d.id, "finished", timeout=5)
    consumer.terminate()
    assert "hyber-pw-77" not in consumer.log()


def test_counts_move_while_sending_and_reports_land_soon_after_being_due(stack):
    """Thousands of messages through a standalone consumer: the sent count is seen growing in
    small steps rather than a batch at a time, `delivered` grows while sending goes on, and a
    report is recorded soon after it is due (about a second on a quiet machine, a few on a busy
    one), never waiting for the periodic sweep nor behind the sends. The sweep comes every 30 s
    here: reports it polled would be 15 s late on the median."""
    total, batch, poll_every = 2000, 256, 0.5
    stack.start_emulator("--latency-ms", "40", "--dr-delay", "0.3")
    stack.configure(gateway={"kind": "hyber", "dr_url": stack.emulator.url, "client_id": "acme",
                             "dr_poll_interval": poll_every, "timeout": 5},
                    sending={"concurrency": 32, "batch_size": batch, "lease_seconds": 30, "rate_limit": 200},
                    consumer={"workers": 2, "tick_seconds": 30})
    add_clients(total)
    stack.consumer()
    d = stack.dispatch()
    seen = []

    def all_final():
        seen.append(stack.counts(d.id))
        return seen[-1].get("delivered", 0) + seen[-1].get("failed", 0) == total

    wait_for(all_final, timeout=120, interval=0.05, what="every report final")

    sent_steps, last_sent = [], 0
    for got in seen:
        sent = got.get("sent", 0) + got.get("delivered", 0) + got.get("failed", 0)
        if sent > last_sent:
            sent_steps.append(sent - last_sent)
        last_sent = sent
    assert len(sent_steps) >= 3 * total / batch and statistics.median(sent_steps) < batch / 2, sent_steps
    delivered_while_sending = {got.get("delivered", 0) for got in seen
                               if got.get("created", 0) + got.get("sending", 0)}
    assert len(delivered_while_sending - {0}) >= 5, seen

    final_at = (Message.select(Message.sent_at, pw.fn.MAX(DeliveryReport.received_at))
                .join(DeliveryReport, on=(DeliveryReport.message == Message.id))
                .group_by(Message.id).tuples())
    lags = sorted((received - sent).total_seconds() - poll_every for sent, received in final_at)
    assert len(lags) == total
    median, p95 = statistics.median(lags), lags[int(total * 0.95)]
    assert median < 6.0, f"reports recorded {median:.2f} s (median; p95 {p95:.2f} s) after being due"
