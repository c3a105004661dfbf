"""Gateways say what happened to a send, whatever the provider or the network did."""
from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time

import aiohttp
import pytest

from tui_notifier.config import GatewayConfig, SandboxConfig
from tui_notifier.delivery.gateways import make_gateway
from tui_notifier.delivery.gateways.base import Deadlines, outcome_for_status, retry_after_seconds
from tui_notifier.delivery.gateways.hyber import HyberGateway
from tui_notifier.models import SendOutcome

_made: list = []


@pytest.fixture(autouse=True)
async def close_gateways():
    yield
    while _made:
        await _made.pop().close()


def gateway_for(**settings):
    gateway = make_gateway(GatewayConfig(**settings), concurrency=4)
    _made.append(gateway)
    return gateway


def probe(emulator, **kwargs):
    settings = dict(kind="probe", url=emulator.url, token=emulator.faults.token, timeout=1.0)
    settings.update(kwargs)
    return gateway_for(**settings)


def hyber(emulator, **kwargs):
    settings = dict(kind="hyber", url=emulator.url, dr_url=emulator.url, client_id="acme",
                    login="acme", password="s3cret-pw", alpha_name="ACME", timeout=1.0)
    settings.update(kwargs)
    return gateway_for(**settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestProbe:
    async def test_a_200_with_code_0_is_sent(self, emulator):
        result = await probe(emulator).send(101, "79001234567", "hi")
        assert (result.outcome, result.http_status, result.error) == (SendOutcome.SENT, 200, "")
        assert result.latency_ms is not None
        assert emulator.stats.snapshot(True)["ids"] == {"101": 1}

    async def test_a_resend_is_seen_by_the_provider_as_a_repeat_of_the_same_id(self, emulator):
        gateway = probe(emulator)
        await gateway.send(7, "79001234567", "hi")
        await gateway.send(7, "79001234567", "hi")
        assert emulator.stats.snapshot(False)["repeats"] == {"7": 2}

    async def test_a_malformed_body_is_transient(self, emulator):
        emulator.faults.malformed_rate = 1.0
        result = await probe(emulator).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and result.error.startswith("malformed answer")

    async def test_a_5xx_is_transient(self, emulator):
        emulator.faults.fail_rate = 1.0
        result = await probe(emulator).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and result.http_status in (500, 502, 503)

    async def test_a_wrong_token_is_refused(self, emulator):
        result = await probe(emulator, token="wrong").send(1, "79001234567", "hi")
        assert (result.outcome, result.http_status) == (SendOutcome.REFUSED, 401)

    async def test_another_4xx_is_permanent_with_the_reason(self, emulator):
        result = await probe(emulator, url=emulator.url + "/no/such/api").send(1, "79001234567", "hi")
        assert (result.outcome, result.http_status) == (SendOutcome.PERMANENT, 404)
        assert "not found" in result.error

    async def test_a_hanging_request_times_out_as_transient(self, emulator):
        emulator.faults.hang_rate = 1.0
        started = time.monotonic()
        result = await probe(emulator, timeout=0.3).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and "timeout" in result.error
        assert time.monotonic() - started < 2

    async def test_a_late_answer_is_cut_by_the_timeout(self, emulator):
        emulator.faults.latency_ms = 600
        started = time.monotonic()
        result = await probe(emulator, timeout=0.3).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and result.error == "timeout after 0.3 s"
        assert time.monotonic() - started < 0.6

    @pytest.mark.parametrize("timeout", [0.5, 5.05])
    async def test_a_dripping_answer_is_cut_by_the_timeout_of_the_whole_request(self, emulator, timeout):
        """A byte every 0.4 s would take many seconds to finish the answer. The request starts
        just after a whole second of the loop's clock, so a deadline rounded up to a whole
        second (what aiohttp does above 5 s unless told not to) would come 0.9 s late."""
        emulator.faults.update({"drip_rate": 1, "drip_seconds": 0.4})
        loop = asyncio.get_running_loop()
        await asyncio.sleep(1 - loop.time() % 1)
        started = time.monotonic()
        result = await probe(emulator, timeout=timeout).send(1, "79001234567", "hi")
        took = time.monotonic() - started
        assert result.outcome == SendOutcome.TRANSIENT and result.error == f"timeout after {timeout:g} s"
        assert timeout <= took < timeout + 0.7
        assert emulator.stats.accepted == {"1": 1} and emulator.stats.answered == {}

    @pytest.mark.parametrize("status", [429, 503])
    async def test_retry_after_in_seconds_comes_with_a_throttled_send(self, emulator, status):
        emulator.faults.update({"throttle_rate": 1, "throttle_status": status, "retry_after": 7})
        result = await probe(emulator).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and result.http_status == status
        assert result.retry_after == 7

    async def test_retry_after_as_an_http_date_is_the_seconds_until_then(self, emulator):
        emulator.faults.update({"throttle_rate": 1, "retry_after": 30, "retry_after_format": "date"})
        result = await probe(emulator).send(1, "79001234567", "hi")
        assert 28 <= result.retry_after <= 30

    async def test_a_failure_without_retry_after_leaves_the_wait_to_the_back_off(self, emulator):
        emulator.faults.fail_rate = 1.0
        result = await probe(emulator).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and result.retry_after is None

    async def test_a_server_that_is_down_is_transient(self, emulator):
        emulator.faults.update({"down_for": 30})
        result = await probe(emulator).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and "connection" in result.error

    async def test_nobody_listening_is_transient_and_the_address_stays_out_of_the_reason(self):
        port = free_port()
        result = await gateway_for(kind="probe", url=f"http://127.0.0.1:{port}", timeout=1).send(
            1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT and "connection" in result.error
        assert str(port) not in result.error and "127.0.0.1" not in result.error

    async def test_one_keep_alive_session_without_cookies_serves_every_request(self, emulator):
        gateway = probe(emulator)
        await gateway.send(1, "79001234567", "hi")
        session = gateway.session()
        await gateway.send(2, "79001234567", "hi")
        assert gateway.session() is session
        assert isinstance(session.cookie_jar, aiohttp.DummyCookieJar)
        assert session.connector.limit == 4


NOW = dt.datetime(2026, 12, 2, 9, 0, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("header, seconds", [
    ("120", 120.0), (" 3 ", 3.0), ("0", 0.0), ("-5", 0.0), ("99999999999", 86400.0),
    ("Wed, 02 Dec 2026 09:00:45 GMT", 45.0), ("Wed, 02 Dec 2026 08:59:00 GMT", 0.0),
    ("Wednesday, 02-Dec-26 09:01:00 GMT", 60.0), ("soon", None), ("", None), (None, None), ("nan", None),
])
def test_retry_after_reads_seconds_and_http_dates(header, seconds):
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize("status, outcome", [
    (500, SendOutcome.TRANSIENT), (503, SendOutcome.TRANSIENT), (429, SendOutcome.TRANSIENT),
    (400, SendOutcome.PERMANENT), (404, SendOutcome.PERMANENT), (422, SendOutcome.PERMANENT),
    (401, SendOutcome.REFUSED), (403, SendOutcome.REFUSED), (302, SendOutcome.TRANSIENT),
])
def test_http_statuses_map_to_outcomes(status, outcome):
    assert outcome_for_status(status) == outcome


class TestCredentialsInTheUrl:
    """`user:password@` in a gateway's URL is its Basic login; it never disables sending and
    never shows in what the gateway says of itself."""

    async def test_a_hyber_login_in_the_url_authenticates(self, emulator):
        emulator.faults.login, emulator.faults.password = "user1", "p@ss:wörd"
        url = emulator.url.replace("http://", "http://user1:p%40ss%3Aw%C3%B6rd@")
        gateway = hyber(emulator, url=url, dr_url=url, login="", password="")
        result = await gateway.send(57, "79001234567", "hello")
        assert result.outcome == SendOutcome.SENT, result.error
        assert "user1" not in gateway.describe() and "p%40ss" not in gateway.describe()

    async def test_a_token_and_a_login_in_the_url_still_send(self, emulator):
        url = emulator.url.replace("http://", "http://someone:secret@")
        result = await probe(emulator, url=url).send(58, "79001234567", "hi")
        assert (result.outcome, result.error) == (SendOutcome.SENT, "")


class TestHyber:
    @pytest.fixture(autouse=True)
    def credentials(self, emulator):
        emulator.faults.login, emulator.faults.password = "acme", "s3cret-pw"
        emulator.faults.dr_delay = 10.0
        self.now = [1_000_000.0]
        emulator.clock = lambda: self.now[0]

    async def test_a_send_returns_the_provider_message_id(self, emulator):
        result = await hyber(emulator).send(55, "79001234567", "hello")
        assert result.outcome == SendOutcome.SENT and len(result.provider_id) == 36
        assert emulator.stats.snapshot(True)["ids"] == {"55": 1}

    async def test_wrong_credentials_are_refused(self, emulator):
        result = await hyber(emulator, password="nope").send(1, "79001234567", "hello")
        assert (result.outcome, result.http_status) == (SendOutcome.REFUSED, 401)

    async def test_reports_go_from_pending_to_final(self, emulator):
        gateway = hyber(emulator)
        sent = await gateway.send(9, "79001234567", "hello")
        first = await gateway.fetch_report(9, sent.provider_id)
        assert first.report.status == -1 and not first.final
        self.now[0] += 6
        assert (await gateway.fetch_report(9, sent.provider_id)).report.status == 1
        self.now[0] += 5
        final = await gateway.fetch_report(9, sent.provider_id)
        assert final.final and final.delivered and final.report.status == 2
        assert final.report.channel == "sms" and final.report.parts_delivered == 1

    async def test_a_report_can_be_asked_by_our_own_id_when_the_answer_was_lost(self, emulator):
        gateway = hyber(emulator)
        await gateway.send(10, "79001234567", "hello")
        assert (await gateway.fetch_report(10, None)).report.status == -1

    async def test_an_undelivered_message_gets_a_final_failure(self, emulator):
        emulator.faults.undelivered_rate = 1.0
        emulator.faults.dr_delay = 0.0
        gateway = hyber(emulator)
        sent = await gateway.send(11, "79001234567", "hello")
        result = await gateway.fetch_report(11, sent.provider_id)
        assert result.final and not result.delivered and "not delivered" in result.error

    async def test_an_unknown_message_has_no_report_yet(self, emulator):
        result = await hyber(emulator).fetch_report(12, "00000000-0000-0000-0000-000000000000")
        assert result.report is None and "404" in result.error

    async def test_the_request_body_follows_the_provider_api(self, emulator):
        captured = {}
        gateway = hyber(emulator)
        original = gateway.request

        async def spy(method, url, body=None):
            captured.update(body or {})
            return await original(method, url, body)

        gateway.request = spy
        await gateway.send(77, "79001234567", "hello")
        assert captured == {"phone_number": 79001234567, "extra_id": "77", "channels": ["sms"],
                            "channel_options": {"sms": {"text": "hello", "ttl": 300, "alpha_name": "ACME"}}}
        assert isinstance(gateway, HyberGateway)


class TestSandbox:
    def sandbox(self, **settings):
        gateway = make_gateway(GatewayConfig(kind="sandbox", sandbox=SandboxConfig(**settings)))
        self.now = [1_000_000.0]
        gateway.clock = lambda: self.now[0]
        return gateway

    async def test_nothing_leaves_the_machine_and_sends_succeed(self):
        gateway = self.sandbox(latency_ms=5)
        result = await gateway.send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.SENT and not gateway.leaves_machine
        assert "nothing leaves" in gateway.describe()

    async def test_the_fail_rate_gives_transient_failures(self):
        result = await self.sandbox(latency_ms=0, fail_rate=1.0).send(1, "79001234567", "hi")
        assert result.outcome == SendOutcome.TRANSIENT

    async def test_reports_turn_final_after_the_delay(self):
        gateway = self.sandbox(latency_ms=0, dr_delay=0.2)
        sent = await gateway.send(3, "79001234567", "hi")
        assert not (await gateway.fetch_report(3, sent.provider_id)).final
        self.now[0] += 0.25
        final = await gateway.fetch_report(3, sent.provider_id)
        assert final.final and final.delivered

    async def test_the_undelivered_rate_gives_final_failures(self):
        gateway = self.sandbox(latency_ms=0, dr_delay=0, undelivered_rate=1.0)
        sent = await gateway.send(4, "79001234567", "hi")
        result = await gateway.fetch_report(4, sent.provider_id)
        assert result.final and not result.delivered


async def test_deadlines_end_what_outlives_its_timeout_and_nothing_that_came_back_in_time():
    deadlines = Deadlines(0.1)
    loop = asyncio.get_running_loop()

    async def request(seconds: float) -> tuple[str, float]:
        began = time.monotonic()
        entry = deadlines.begin(loop, asyncio.current_task())
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            assert Deadlines.end(entry)
            asyncio.current_task().uncancel()
            return "ended", time.monotonic() - began
        assert not Deadlines.end(entry)
        await asyncio.sleep(0.2)  # well past the deadline: the task goes on undisturbed
        return "answered", time.monotonic() - began

    results = await asyncio.gather(request(0.01), request(5), request(0.03), request(5), request(0.05))
    assert [what for what, _ in results] == ["answered", "ended", "answered", "ended", "answered"]
    assert all(0.1 <= took < 0.6 for what, took in results if what == "ended")


async def test_a_cancel_from_outside_is_not_taken_for_a_timeout(emulator):
    emulator.faults.latency_ms = 2000
    gateway = probe(emulator, timeout=5)
    sending = asyncio.ensure_future(gateway.send(1, "79001234567", "hi"))
    await asyncio.sleep(0.2)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
