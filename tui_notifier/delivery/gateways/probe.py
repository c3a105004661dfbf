"""The `probe` gateway: the test task's sending server.

`POST {url}/send/{msgId}` with `Authorization: Bearer <token>` and `{"id", "phone", "text"}`
(phone as an integer). Only HTTP 200 with `{"code": 0}` is a success; a 200 with any other
body is a malformed answer and is retried.
"""
from __future__ import annotations

import yarl

from tui_notifier.delivery.gateways.base import (
    HttpGateway,
    SendResult,
    failure,
    json_text,
    parse_json,
    short,
)
from tui_notifier.models import SendOutcome


class ProbeGateway(HttpGateway):
    kind = "probe"

    def __init__(self, gateway_config, concurrency: int = 8):
        super().__init__(gateway_config, concurrency)
        self.base_url = self.url.rstrip("/")
        self._send_prefix = str(yarl.URL(self.base_url)) + "/send/"
        """Every send's URL but its id, encoded once: parsing a URL costs more than building it."""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token}"} if self.config.token else {}

    def describe(self) -> str:
        return f"probe at {self.base_url}"

    async def send(self, message_id: int, phone: str, text: str, sender: str = "") -> SendResult:
        body = b'{"id": %d, "phone": %d, "text": %s}' % (message_id, int(phone), json_text(text))
        url = yarl.URL(f"{self._send_prefix}{message_id}", encoded=True)
        response, error, latency = await self.request("POST", url, body)
        if response is None:
            return SendResult(SendOutcome.TRANSIENT, None, error, latency_ms=latency)
        status = response.status
        data = parse_json(response)
        if status == 200:
            if data is not None and data.get("code") == 0:
                return SendResult(SendOutcome.SENT, status, "", provider_id=None, latency_ms=latency)
            return SendResult(SendOutcome.TRANSIENT, status,
                              f"malformed answer: {short(response.text, 120)!r}", latency_ms=latency)
        detail = (data or {}).get("message") or response.text
        return failure(response, f"HTTP {status}: {short(detail, 160)}", latency)
