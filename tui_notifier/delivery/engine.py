"""The engine: fan-out, batches sent concurrently, results recorded as they come, sweeps,
delivery reports. Huey tasks are thin wrappers over `Engine`'s methods.

One Engine lives in each consumer process. It owns the process's event loop
(`delivery.sender`, at most `sending.concurrency` requests in flight across every batch),
the gateway with its session on that loop, a rate limiter, and the consumer's identity (its
heartbeat id) that its leases carry.

A batch: a Huey worker thread claims up to `batch_size` due messages under a lease and hands
them to the loop, where each request is checked against the dispatch (end, pause, cancel,
window), the stop list and its client right before it starts, from a view at most 80 ms old
(`delivery.watch`). Results go
to the process's one writer (`delivery.recorder`), and a request keeps its place among the
`sending.concurrency` in flight until its result is committed, so a crash repeats at most
`sending.concurrency` requests. The database is never touched on the loop.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as _dt
import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from tui_notifier.clock import utcnow
from tui_notifier.core import stoplist, testsend
from tui_notifier.core.clients import DELETED_ERROR
from tui_notifier.core.dispatches import pause_dispatch
from tui_notifier.core.errors import CoreError
from tui_notifier.db import TRANSIENT_ERRORS, persist
from tui_notifier.delivery.gateways import Gateway, make_gateway
from tui_notifier.delivery.gateways.base import ReportResult, SendResult
from tui_notifier.delivery.logs import about
from tui_notifier.delivery.policy import REPORT_POLL_HORIZON, report_poll_delay, retry_delay
from tui_notifier.delivery.ratelimit import RateLimiter
from tui_notifier.delivery.recorder import Entry, Recorder, hms
from tui_notifier.delivery.sender import Sender
from tui_notifier.delivery.store import leases, messages, reports
from tui_notifier.delivery.store.common import as_uuid
from tui_notifier.delivery.store.messages import Fate, Result
from tui_notifier.delivery.watch import View, Watch, Watched
from tui_notifier.delivery.mail import send_daily_summary_if_due, summary_due
from tui_notifier.models import MessageStatus, SendOutcome

log = logging.getLogger("tui_notifier.engine")

FLUSH_EVERY = 50
FLUSH_SECONDS = 0.1
"""Delivery-report polls are written every so many results or so many seconds."""
RENEW_CHECK_SECONDS = 0.1
"""How often a batch's worker thread looks whether its leases need renewing."""
UNCHECKED_SECONDS = 5.0
"""How long a request waits for a fresh view of its dispatch before it goes back to the queue."""
HEARTBEAT_SECONDS = 1.0
CONSUMER_STALE_SECONDS = 5.0
TICK_LEASE = "tick"
REPORT_IDLE_SECONDS = 0.2
"""How long the report poller rests when no poll is due: a report is polled this soon after it is due."""
HOST = socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_consumers(now: _dt.datetime | None = None) -> set[int]:
    """Ids of consumers alive now: a fresh heartbeat, and on this host a running process."""
    return {c.id for c in leases.consumers(fresh_seconds=CONSUMER_STALE_SECONDS, now=now)
            if c.host != HOST or _pid_alive(c.pid)}


def report_concurrency(concurrency: int) -> int:
    """Delivery-report polls in flight at once besides the sends: a quarter of them, at least 4."""
    return max(4, concurrency // 4)


@dataclass
class TickReport:
    """What a periodic tick found for the queue to act on."""

    ran: bool = False
    wake: list = field(default_factory=list)
    mail_summary: bool = False
    test_sends: bool = False


class Engine:
    def __init__(self, config, gateway: Gateway | None = None, owner: int | None = None,
                 clock: Callable[[], _dt.datetime] = utcnow):
        self.config = config
        self.sending = config.sending
        concurrency = max(1, self.sending.concurrency)
        polls = report_concurrency(concurrency)
        self.gateway = gateway or make_gateway(config.gateway, concurrency + polls)
        self.sender = Sender(concurrency, on_close=self.gateway.close)
        self.watch = Watch()
        self.recorder = Recorder(self)
        self.report_slots = asyncio.Semaphore(polls)
        """Held by each delivery-report poll on the wire: a pool of their own, so polls never
        queue behind the sends holding `sender.slots`."""
        self.owner = owner
        self.clock = clock
        self.stopping = threading.Event()
        self._stop_deadline = float("inf")
        self._database_failed_at = float("-inf")
        self.limiter = RateLimiter(self.sending.rate_limit)
        self.random = random.Random()
        self.held_until: _dt.datetime | None = None
        """No request starts before this: the gateway's last `Retry-After`, capped at
        `sending.retry.max_delay`."""
        self.metrics = None
        """A `delivery.metrics.Metrics` told of every batch's outcomes, when metrics are served."""
        self.refusals: dict = {}
        """Dispatches the gateway refused our credentials for: no batch of theirs starts another
        request. The value tells whether the pause is committed; a claim made after it means
        the dispatch was resumed."""

    # ------------------------------------------------------------ lifecycle

    def stop_requests(self) -> None:
        """No request starts from now; those in flight end within `gateway.timeout`, and their
        results are written until half a second after that (the database willing)."""
        if not self.stopping.is_set():
            self._stop_deadline = time.monotonic() + self.config.gateway.timeout + 0.5
            self.stopping.set()

    def past_stop_deadline(self) -> bool:
        return time.monotonic() >= self._stop_deadline

    def close(self) -> None:
        """Stop starting requests, let those in flight finish, close the sessions."""
        self.stop_requests()
        self.sender.close(grace=max(self._stop_deadline - time.monotonic(), 0.1))
        self.recorder.stop(timeout=max(self._stop_deadline - time.monotonic(), 0.0) + 0.5)
        self.watch.close()

    # ------------------------------------------------------------ dispatches

    def start_dispatch(self, dispatch_id) -> bool:
        """Fan out a due dispatch; True when it has messages to send now."""
        result = messages.fan_out(dispatch_id, now=self.clock())
        if result.started:
            if result.finished:
                log.info("dispatch=%s started with no matching client: finished", dispatch_id)
            else:
                log.info("dispatch=%s started: %d messages created", dispatch_id, result.created)
        state = messages.dispatch_state(dispatch_id)
        return state is not None and state.status == "running"

    def send_batch(self, dispatch_id, on_more: Callable[[], None] | None = None) -> int:
        """Claim one batch of a dispatch and send it; `on_more` is called first when the batch
        was full, so the next one is claimed by another worker while this one is sent."""
        if self.stopping.is_set():
            return 0
        paused_before = self.refusals.get(as_uuid(dispatch_id))
        read_at = time.monotonic()
        claim = messages.claim(dispatch_id, self.sending.batch_size, self.sending.lease_seconds,
                              self.owner, now=self.clock())
        if claim.messages and paused_before:
            self.refusals.pop(claim.dispatch.id, None)
        full = len(claim.messages) >= self.sending.batch_size
        if full and on_more is not None:
            on_more()
        if claim.messages:
            _Batch(self, claim, read_at).run()
        if not full:
            leases.release(messages.pump_lease(dispatch_id))
        self.settle(dispatch_id)
        return len(claim.messages)

    def settle(self, dispatch_id) -> None:
        """After a batch: cancel what a cancelled dispatch got back, finish one with nothing left."""
        now = self.clock()
        for t in messages.settle_cancelled(dispatch_id, now):
            log.info("%s cancelled: the dispatch was cancelled", about(t.dispatch_id, t.message_id, t.client_id))
        if messages.finish_if_done(dispatch_id, now):
            log.info("dispatch=%s finished: every message has its outcome", dispatch_id)

    # ------------------------------------------------------------ send results

    def fate_of(self, message: messages.Claimed, state: messages.DispatchState, at: _dt.datetime,
                result: SendResult | None, blocker: str | None) -> Fate:
        """What to write for one message; a result nothing else can make sense of is retried
        after the longest back-off (or, accepted by the gateway, recorded sent), never lost."""
        try:
            return self.outcome_for(message, state, at, result, blocker)
        except Exception:
            log.exception("%s result not understood", about(state.id, message.id, message.client_id))
            now = self.clock()
            if result is not None and result.outcome == SendOutcome.SENT:
                return Fate(message.id, Result.SENT, at)
            return Fate(message.id, Result.RETRY if result is not None else Result.RELEASE, at,
                        next_attempt_at=now + _dt.timedelta(seconds=max(self.sending.retry.max_delay, 0.0)),
                        error="internal error: the result could not be read")

    def outcome_for(self, message: messages.Claimed, state: messages.DispatchState, at: _dt.datetime,
                    result: SendResult | None, blocker: str | None) -> Fate:
        if result is None:
            now = self.clock()
            if blocker == "ended":
                return Fate(message.id, Result.TIMEOUT, now, error=messages.ENDED_ERROR)
            if blocker == "cancelled":
                return Fate(message.id, Result.CANCEL, now)
            if blocker == "stopped":
                return Fate(message.id, Result.CANCEL, now, error=stoplist.STOPPED_ERROR)
            if blocker == "deleted":
                return Fate(message.id, Result.CANCEL, now, error=DELETED_ERROR)
            due = now
            if blocker == "window" and state.window is not None:
                due = state.window.next_open(message.timezone, now)
            elif blocker == "held" and self.held_until is not None:
                due = max(now, self.held_until)
            return Fate(message.id, Result.RELEASE, now, next_attempt_at=due)
        outcome = result.outcome
        if outcome == SendOutcome.SENT:
            first_poll = None
            if self.gateway.has_reports:
                first_poll = self.clock() + _dt.timedelta(seconds=self.config.gateway.dr_poll_interval)
            return Fate(message.id, Result.SENT, at, first_poll, result.error, result.http_status,
                        result.latency_ms, result.provider_id)
        if outcome == SendOutcome.PERMANENT:
            return Fate(message.id, Result.FAILED, at, None, result.error, result.http_status, result.latency_ms)
        now = self.clock()
        if outcome == SendOutcome.REFUSED:
            return Fate(message.id, Result.REFUSED, at, now, result.error, result.http_status, result.latency_ms)
        if result.retry_after is not None:
            due = now + _dt.timedelta(seconds=result.retry_after)
        else:
            due = now + _dt.timedelta(seconds=retry_delay(message.attempts + 1, self.sending.retry, self.random))
        if state.window is not None:
            due = state.window.next_open(message.timezone, due)
        return Fate(message.id, Result.RETRY, at, due, result.error, result.http_status, result.latency_ms)

    def hold(self, seconds: float) -> None:
        """The gateway asked us to wait (`Retry-After`): no request of this consumer starts before
        then, however long it asked, no longer than `sending.retry.max_delay`."""
        until = self.clock() + _dt.timedelta(seconds=min(seconds, self.sending.retry.max_delay))
        if self.held_until is None or until > self.held_until:
            if self.held_until is None or self.held_until < self.clock():
                log.warning("gateway asked to wait %gs (Retry-After): no request before %s",
                            seconds, hms(until))
            self.held_until = until

    def refused(self, dispatch_id, result: SendResult) -> None:
        """The gateway refused our credentials: pause the dispatch with the reason, once."""
        reason = f"the gateway refused our credentials ({result.error}); fix the gateway settings and resume"
        try:
            pause_dispatch(dispatch_id, reason=reason)
        except CoreError:
            return
        finally:
            self.refusals[dispatch_id] = True
        log.error("dispatch=%s paused: %s", dispatch_id, reason)

    # ------------------------------------------------------------ delivery reports

    def poll_reports(self) -> int:
        """Poll one batch of sent messages whose delivery report is due (the consumer's report
        poller calls it on a thread of its own, never behind the send tasks)."""
        if not self.gateway.has_reports or self.stopping.is_set():
            return 0
        now = self.clock()
        if not reports.reports_due(now):
            return 0
        due = reports.claim_reports(self.sending.batch_size, self.sending.lease_seconds, now=now)
        if due:
            _ReportBatch(self, due).run()
        return len(due)

    def report_outcome(self, due: reports.ReportDue, result: ReportResult) -> reports.ReportOutcome:
        now = self.clock()
        report = result.report
        store = report if report is not None and report.key != due.last_key else None
        if result.final:
            return reports.ReportOutcome(
                due.message_id, store,
                final_status=MessageStatus.DELIVERED if result.delivered else MessageStatus.FAILED,
                error=result.error)
        sent_at = due.sent_at or now
        if now - sent_at > REPORT_POLL_HORIZON:
            return reports.ReportOutcome(due.message_id, store, next_poll_at=None, error=result.error)
        delay = report_poll_delay((now - sent_at).total_seconds(), self.config.gateway.dr_poll_interval,
                                  self.random)
        return reports.ReportOutcome(due.message_id, store, next_poll_at=now + _dt.timedelta(seconds=delay),
                                     error=result.error)

    # ------------------------------------------------------------ periodic work

    def tick(self) -> TickReport:
        """The periodic sweep: it runs once per period however many consumers share the queue.

        Frees leases of dead consumers, starts due dispatches (catching up after a restart),
        times out what passed its end, finishes what is done, and says which dispatches
        have due work with nobody on them and whether the daily summary is due.

        Right after the database was away every heartbeat is old: until they have had time to
        beat again, every registered consumer counts as alive, so none loses its batch.
        """
        try:
            return self._tick()
        except TRANSIENT_ERRORS:
            self._database_failed_at = time.monotonic()
            raise

    def _tick(self) -> TickReport:
        now = self.clock()
        report = TickReport()
        period = max(self.config.consumer.tick_seconds, 0.5)
        if not leases.acquire(TICK_LEASE, self.owner, period * 0.8, now):
            return report
        report.ran = True
        if time.monotonic() - self._database_failed_at > CONSUMER_STALE_SECONDS + HEARTBEAT_SECONDS:
            live = live_consumers(now)
        else:
            live = {c.id for c in leases.consumers()}
        for t in messages.release_stale(live, now):
            log.warning("%s lease lost (consumer gone or too slow): back to the queue",
                        about(t.dispatch_id, t.message_id, t.client_id))
        for dispatch_id in messages.due_to_start(now):
            if self.start_dispatch(dispatch_id):
                report.wake.append(dispatch_id)
        swept = messages.sweep_ended(now)
        for t in swept.timed_out:
            log.info("%s timeout: %s", about(t.dispatch_id, t.message_id, t.client_id), messages.ENDED_ERROR)
        for dispatch_id in swept.finished:
            log.info("dispatch=%s finished: its end has come", dispatch_id)
        for dispatch_id in messages.recently_cancelled(now):
            self.settle(dispatch_id)
        for dispatch_id in messages.running_dispatches():
            messages.defer_closed(dispatch_id, now)
            self.settle(dispatch_id)
            if (dispatch_id not in report.wake
                    and leases.is_free(messages.pump_lease(dispatch_id), now, live)
                    and messages.has_claimable(dispatch_id, now)):
                report.wake.append(dispatch_id)
        report.mail_summary = summary_due(self.config, now)
        report.test_sends = messages.waiting_test_sends()
        leases.forget_stale_consumers(3600, now)
        return report

    def send_test_sends(self) -> int:
        """Send every waiting test send now: one request each, whatever the dispatch's end,
        audience or window, but never to a phone on the stop list."""
        count = 0
        while waiting := messages.claim_test_sends(now=self.clock()):
            for test in waiting:
                self._send_test(test)
                count += 1
        return count

    def _send_test(self, test) -> None:
        about_it = f"dispatch={test.dispatch_id} test_send={test.id}"
        if stoplist.is_stopped(test.phone):
            messages.record_test_send(test.id, MessageStatus.FAILED, stoplist.STOPPED_ERROR, now=self.clock())
            return
        done = self.sender.submit(self.gateway.send(testsend.GATEWAY_ID_BASE + test.id, test.phone, test.text,
                                                    test.sender))
        try:
            result = done.result(timeout=self.config.gateway.timeout + 5)
        except Exception as exc:  # a gateway bug or a stuck loop: the test send says so
            done.cancel()
            result = SendResult(SendOutcome.TRANSIENT, None, f"internal error: {exc!r}")
        sent = result.outcome == SendOutcome.SENT
        persist(lambda: messages.record_test_send(
            test.id, MessageStatus.SENT if sent else MessageStatus.FAILED,
            "" if sent else result.error or "not accepted", provider_id=result.provider_id,
            now=self.clock()), about_it, self.past_stop_deadline)
        if sent:
            log.info("%s test send accepted", about_it)
        else:
            log.info("%s test send failed: %s", about_it, result.error)

    def mail_daily_summary(self) -> bool:
        """Mail the daily summary if it is due and no other consumer has (see `delivery.mail`)."""
        return send_daily_summary_if_due(self.config, self.clock(), holder=self.owner)


class _Done:
    """Awaited where there is nothing to wait for."""

    def __await__(self):
        return iter(())


_NOTHING_TO_WAIT_FOR = _Done()


class _Collector:
    """The worker-thread side of a batch: starts its requests on the loop, gathers the results
    they hand back, and writes them in small transactions.

    The loop appends to a list and wakes the worker only when a flush's worth has come, so
    the two threads meet once per few dozen results rather than once per result."""

    def __init__(self, engine: Engine, size: int):
        self.engine = engine
        self.pending = size
        self.stalled = False
        """True while results cannot be written: no request of the batch starts meanwhile."""
        self._arrived: list = []
        self._lock = threading.Lock()
        self._wake = threading.Event()

    async def request_all(self) -> None:
        raise NotImplementedError

    def write(self, items: list) -> None:
        raise NotImplementedError

    def between(self) -> None:
        """Called at least every 100 ms while waiting."""

    def keep(self, work: Callable[[], None], what: str) -> None:
        """Write results until the database takes them (a restart only delays them), giving up
        only when the consumer's stop can wait no longer."""
        def give_up() -> bool:
            self.stalled = True
            return self.engine.past_stop_deadline()

        try:
            persist(work, what, give_up)
        finally:
            self.stalled = False

    def put(self, item) -> None:
        """A result, from the loop."""
        with self._lock:
            self._arrived.append(item)
            full = len(self._arrived) >= FLUSH_EVERY
        if full:
            self._wake.set()

    def _take(self) -> list:
        with self._lock:
            items, self._arrived = self._arrived, []
            self._wake.clear()
        return items

    def run(self) -> None:
        done = self.engine.sender.submit(self.request_all())
        done.add_done_callback(lambda _f: self._wake.set())
        try:
            self.collect(done)
        finally:
            done.result()

    def collect(self, done) -> None:
        while self.pending:
            if not done.done():
                self._wake.wait(FLUSH_SECONDS)
            finished = done.done()
            items = self._take()
            if items:
                self.pending -= len(items)
                self.write(items)
            if finished and not items:
                break
            self.between()


class _Batch:
    """One claimed batch: its requests on the loop, each checked against a fresh view of the
    dispatch, the stop list and its client (`delivery.watch`), and on the worker thread lease
    renewals until every result is written."""

    def __init__(self, engine: Engine, claim: messages.Claim, read_at: float):
        self.engine = engine
        self.claim = claim
        self.dispatch_id = claim.dispatch.id
        self.open_ids = {m.id for m in claim.messages}
        """Claimed and not yet recorded: their leases are renewed."""
        self.watched = Watched(engine.sender.loop, claim.dispatch, sorted(self.open_ids), read_at, engine.owner)
        """Its view; only messages not yet requested are looked at again."""
        self.last_renew = time.monotonic()

    @property
    def state(self) -> messages.DispatchState:
        return self.watched.view.state

    def run(self) -> None:
        self.engine.watch.follow(self.watched)
        try:
            done = self.engine.sender.spread(self.send_one, self.claim.messages)
            while True:
                try:
                    return done.result(timeout=RENEW_CHECK_SECONDS)
                except concurrent.futures.TimeoutError:
                    self.between()
        finally:
            self.engine.watch.forget(self.watched)

    # -- on the loop

    def blocker(self, message: messages.Claimed, view: View, now: _dt.datetime) -> str | None:
        engine = self.engine
        if engine.stopping.is_set():
            return "stopping"
        if engine.refusals and self.dispatch_id in engine.refusals:
            return "paused"
        if engine.recorder.stalled:
            return "stalled"
        if engine.held_until is not None and now < engine.held_until:
            return "held"
        if message.id in view.blocked:
            return view.blocked[message.id]
        state = view.state
        reason = state.blocker(now)
        if reason is None and state.window is not None and not state.window.is_open(message.timezone, now):
            reason = "window"
        return reason

    async def send_one(self, message: messages.Claimed) -> None:
        """One message on a lane of the loop: checked against a fresh view right before its
        request, and the lane held until its result is committed. A message the view it has
        already tells is blocked waits for nothing."""
        engine = self.engine
        watched = self.watched
        view = watched.current()
        if view is None or engine.limiter.rate:
            blocker = self.blocker(message, watched.view, engine.clock())
            if blocker is None and engine.limiter.rate:
                await engine.limiter.acquire(engine.stopping)
            if blocker is None:
                view = watched.current() or await watched.fresh(UNCHECKED_SECONDS)
                if view is None:
                    blocker = "unchecked"
            if blocker is not None:
                watched.started(message.id)
                return await self.record(message, engine.clock(), None, blocker)
        at = engine.clock()
        blocker = self.blocker(message, view, at)
        watched.started(message.id)
        if blocker is not None:
            return await self.record(message, at, None, blocker)
        state = view.state
        try:
            result = await engine.gateway.send(message.id, message.phone, message.text or state.text, state.sender)
            if result.retry_after is not None:
                engine.hold(result.retry_after)
        except Exception as exc:  # a gateway bug must not lose the message
            log.exception("%s gateway error", about(self.dispatch_id, message.id, message.client_id))
            result = SendResult(SendOutcome.TRANSIENT, None, f"internal error: {exc!r}")
        await self.record(message, at, result, None)

    def record(self, message: messages.Claimed, at: _dt.datetime, result: SendResult | None,
               blocker: str | None) -> Awaitable[None]:
        """Hand the result to the recorder; what it returns is done once the result is
        committed. A message whose claim was lost is not this batch's to write: it is only let go."""
        self.open_ids.discard(message.id)
        if blocker == "lost":
            log.warning("%s claim taken back before its request: not sent by this consumer",
                        about(self.dispatch_id, message.id, message.client_id))
            return _NOTHING_TO_WAIT_FOR
        fate = self.engine.fate_of(message, self.state, at, result, blocker)
        refusal = None
        if fate.kind == Result.REFUSED:
            self.engine.refusals.setdefault(self.dispatch_id, False)
            refusal = result
        return self.engine.recorder.put(Entry(self.dispatch_id, message, fate, refusal))

    # -- on the worker thread

    def between(self) -> None:
        try:
            self.refresh()
        except TRANSIENT_ERRORS:  # the database is away: the last snapshot stands until it is back
            pass

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.last_renew >= self.engine.sending.lease_seconds / 3:
            self.last_renew = now
            messages.renew(sorted(self.open_ids), self.engine.owner, self.engine.sending.lease_seconds,
                          self.engine.clock())


class _ReportBatch(_Collector):
    def __init__(self, engine: Engine, due: list):
        super().__init__(engine, len(due))
        self.due = due

    async def request_all(self) -> None:
        await asyncio.gather(*(self.fetch_one(item) for item in self.due))

    async def fetch_one(self, item: reports.ReportDue) -> None:
        engine = self.engine
        try:
            if engine.stopping.is_set():
                result = ReportResult(error="consumer stopping")
            else:
                async with engine.report_slots:
                    result = await engine.gateway.fetch_report(item.message_id, item.provider_id)
        except Exception as exc:
            log.exception("%s report poll error", about(item.dispatch_id, item.message_id, item.client_id))
            result = ReportResult(error=f"internal error: {exc!r}")
        self.put((item, result))

    def write(self, items: list) -> None:
        outcomes = []
        for item, result in items:
            outcome = self.engine.report_outcome(item, result)
            outcomes.append(outcome)
            prefix = about(item.dispatch_id, item.message_id, item.client_id)
            if outcome.final_status:
                log.info("%s delivery report status=%s: %s%s", prefix, result.report.status,
                         outcome.final_status, f" ({result.error})" if result.error else "")
            elif result.report is not None:
                log.info("%s delivery report status=%s: not final, next poll %s", prefix,
                         result.report.status, hms(outcome.next_poll_at))
            else:
                log.warning("%s delivery report unavailable: %s; next poll %s", prefix, result.error,
                            hms(outcome.next_poll_at))
        self.keep(lambda: reports.record_reports(outcomes, now=self.engine.clock()), "delivery reports")
        if self.engine.metrics is not None:
            self.engine.metrics.record_reports(outcomes)
