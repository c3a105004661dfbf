"""The `sandbox` gateway: nothing leaves the machine.

It waits `latency_ms`, fails a `fail_rate` share of sends with a transient error, and gives
delivery reports that turn final `dr_delay` seconds after the send (`undelivered_rate` of them
as not delivered). The provider id carries the send time, and a message's fate follows from
its id, so reports survive a consumer restart without any state.
"""
from __future__ import annotations

import asyncio
import random
import time

from tui_notifier.delivery.store.reports import ReportData
from tui_notifier.delivery.gateways.base import Gateway, ReportResult, SendResult
from tui_notifier.models import SendOutcome

SANDBOX_PREFIX = "sandbox"


def _fate(message_id: int) -> float:
    """A stable number in [0, 1) for a message, so its report never changes its mind."""
    return random.Random(message_id * 7919 + 17).random()


class SandboxGateway(Gateway):
    kind = "sandbox"
    has_reports = True
    leaves_machine = False

    def __init__(self, gateway_config):
        self.settings = gateway_config.sandbox
        self._random = random.Random()
        self.clock = time.time
        """Epoch seconds; reports turn final by it (a test may step it)."""

    def describe(self) -> str:
        return "sandbox (in-process; nothing leaves this machine)"

    async def send(self, message_id: int, phone: str, text: str, sender: str = "") -> SendResult:
        started = time.monotonic()
        if self.settings.latency_ms > 0:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        latency = int((time.monotonic() - started) * 1000)
        if self._random.random() < self.settings.fail_rate:
            return SendResult(SendOutcome.TRANSIENT, 503, "HTTP 503: sandbox failure (sandbox.fail_rate)",
                              latency_ms=latency)
        provider_id = f"{SANDBOX_PREFIX}-{message_id}-{int(self.clock() * 1000)}"
        return SendResult(SendOutcome.SENT, 200, provider_id=provider_id, latency_ms=latency)

    async def fetch_report(self, message_id: int, provider_id: str | None) -> ReportResult:
        try:
            sent_ms = int(str(provider_id).rsplit("-", 1)[1])
        except (IndexError, ValueError):
            return ReportResult(error=f"unknown provider id {provider_id!r}")
        if self.clock() * 1000 < sent_ms + self.settings.dr_delay * 1000:
            return ReportResult(ReportData(status=-1, channel="sms"))
        delivered = _fate(message_id) >= self.settings.undelivered_rate
        status = 2 if delivered else 5
        report = ReportData(status=status, substatus=23 if delivered else 51, channel="sms",
                            parts_total=1, parts_delivered=1 if delivered else 0)
        return ReportResult(report, final=True, delivered=delivered,
                            error="" if delivered else "not delivered: status 5, substatus 51 (sandbox)")
