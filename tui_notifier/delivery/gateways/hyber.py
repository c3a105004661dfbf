"""The `hyber` gateway: send with HTTP Basic auth, then poll delivery reports.

Send: `POST {url}/{client_id}` with `{"phone_number", "extra_id", "channels": ["sms"],
"channel_options": {"sms": {"text", "ttl", "alpha_name"}}}` -> `{"message_id": "<uuid>"}`;
errors look like `{"error_code": N, "error_text": "..."}`. The message's own id goes out as
`extra_id`, so a resend is recognisable at the provider.

Reports: `GET {dr_url}/{client_id}/api/dr/{message_id}/simple` (or `/external/{extra_id}/simple`
when the send's answer was lost). `status` -1 means no final status yet and 1 still in
delivery; 2 is delivered; any other value is a final failure.
"""
from __future__ import annotations

import datetime as _dt
import json

import aiohttp

from tui_notifier.clock import UTC
from tui_notifier.delivery.store.reports import ReportData
from tui_notifier.delivery.gateways.base import (
    HttpGateway,
    ReportResult,
    SendResult,
    failure,
    parse_json,
    short,
    without_login,
)
from tui_notifier.models import SendOutcome

PENDING_STATUSES = (-1, 1)
DELIVERED = 2


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def report_from_json(data: dict) -> ReportData | None:
    """A simple delivery report -> ReportData; None when it has no usable status."""
    status = _int(data.get("status"))
    if status is None:
        return None
    at = _int(data.get("time"))
    return ReportData(
        status=status,
        substatus=_int(data.get("substatus")),
        provider_status=_int(data.get("hyber_status")),
        channel=str(data.get("last_partner") or "")[:32],
        parts_total=_int(data.get("total_sms_parts")),
        parts_delivered=_int(data.get("delivered_sms_parts")),
        clicks=_int(data.get("clicks")),
        reported_at=_dt.datetime.fromtimestamp(at / 1000, UTC) if at else None,
        raw=json.dumps(data, ensure_ascii=False, sort_keys=True)[:2000],
    )


def judge(report: ReportData) -> ReportResult:
    final = report.status not in PENDING_STATUSES
    return ReportResult(report, final=final, delivered=final and report.status == DELIVERED,
                        error="" if not final or report.status == DELIVERED else
                        f"not delivered: status {report.status}, substatus {report.substatus}")


class HyberGateway(HttpGateway):
    kind = "hyber"
    has_reports = True

    def __init__(self, gateway_config, concurrency: int = 8):
        super().__init__(gateway_config, concurrency)
        self.send_url = f"{self.url.rstrip('/')}/{gateway_config.client_id}"
        dr_url = without_login(gateway_config.dr_url)[0] if gateway_config.dr_url else self.url
        self.dr_base = f"{dr_url.rstrip('/')}/{gateway_config.client_id}/api/dr"

    def headers(self) -> dict[str, str]:
        if self.config.login or self.config.password:
            return {"Authorization": aiohttp.encode_basic_auth(self.config.login, self.config.password)}
        return {}

    def describe(self) -> str:
        return f"hyber at {self.send_url}"

    async def send(self, message_id: int, phone: str, text: str, sender: str = "") -> SendResult:
        sms = {"text": text, "ttl": self.config.ttl}
        if sender or self.config.alpha_name:
            sms["alpha_name"] = sender or self.config.alpha_name
        body = {"phone_number": int(phone), "extra_id": str(message_id), "channels": ["sms"],
                "channel_options": {"sms": sms}}
        response, error, latency = await self.request("POST", self.send_url, body)
        if response is None:
            return SendResult(SendOutcome.TRANSIENT, None, error, latency_ms=latency)
        status = response.status
        data = parse_json(response)
        if status == 200:
            if data is not None and data.get("message_id"):
                return SendResult(SendOutcome.SENT, status, provider_id=str(data["message_id"])[:64],
                                  latency_ms=latency)
            if data is not None and "error_code" in data:
                return SendResult(SendOutcome.PERMANENT, status, _error_text(data, response), latency_ms=latency)
            return SendResult(SendOutcome.TRANSIENT, status,
                              f"malformed answer: {short(response.text, 120)!r}", latency_ms=latency)
        return failure(response, f"HTTP {status}: {_error_text(data, response)}", latency)

    async def fetch_report(self, message_id: int, provider_id: str | None) -> ReportResult:
        path = f"{provider_id}/simple" if provider_id else f"external/{message_id}/simple"
        response, error, _ = await self.request("GET", f"{self.dr_base}/{path}")
        if response is None:
            return ReportResult(error=error)
        data = parse_json(response)
        if response.status != 200:
            return ReportResult(error=f"HTTP {response.status}: {_error_text(data, response)}")
        report = report_from_json(data) if data is not None else None
        if report is None:
            return ReportResult(error=f"malformed report: {short(response.text, 120)!r}")
        return judge(report)


def _error_text(data: dict | None, response) -> str:
    if data and ("error_text" in data or "error_code" in data):
        return short(f"error {data.get('error_code')}: {data.get('error_text', '')}", 160)
    return short(response.text, 160)
