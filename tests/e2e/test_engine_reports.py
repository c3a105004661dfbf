"""hyber: sends, then delivery reports polled to a final status, each change kept."""
from __future__ import annotations

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
