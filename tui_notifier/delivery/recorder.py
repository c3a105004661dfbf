"""The one writer of send results in a consumer process.

Every batch hands its results here from the event loop, and this thread commits them: all
that came in while the last write ran, in one transaction (a group commit), so under load a
write grows with the rate instead of their number growing with it. A request keeps its place
among the `sending.concurrency` in flight until its result is committed, so requests on the
wire and results not yet written never add up to more than `sending.concurrency`: a consumer
killed with `kill -9` repeats at most that many requests. While the database cannot be
written the results wait here, their requests keep their places, and nothing more is sent.

One summary line per dispatch and write goes to the log at INFO (at most one a second while
results stream in); each message's line is written at DEBUG.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from tui_notifier.db import TRANSIENT_ERRORS, database, persist
from tui_notifier.delivery.logs import about
from tui_notifier.delivery.store import messages
from tui_notifier.delivery.store.messages import Claimed, Fate, Result

log = logging.getLogger("tui_notifier.engine")

SUMMARY_SECONDS = 1.0
LINGER_SHARE = 0.05
"""A result waits for others to share its write at most this share of what requests take."""
LINGER_MOST = 0.01
"""...and never longer than this many seconds."""
ENOUGH_TO_WRITE = 128
"""Results that make a write worth doing without waiting for more."""


@dataclass(slots=True)
class Entry:
    """One message's result, with the batch's dispatch and what the loop waits on."""

    dispatch_id: object
    message: Claimed
    fate: Fate
    refusal: object = None
    """The gateway's answer when it refused our credentials (the dispatch is paused)."""


class Recorder:
    """A thread that writes the results of every batch of one engine (`delivery.engine.Engine`:
    its clock, loop, metrics and `refused`)."""

    def __init__(self, engine):
        self.engine = engine
        self._entries: list[Entry] = []
        self._written: asyncio.Future | None = None
        """Done once the entries put since the last write are committed (on the loop)."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._abandon = False
        self.stalled = False
        """True while the database refuses writes: no request starts meanwhile."""
        self.linger = 0.0
        """Seconds the first result of a write waits for others: a write costs about the same
        for 10 results as for 60, and at 200 ms per request results came 10 a write and cost
        twice the CPU each (89 us against 51 at 20 ms). Waiting a twentieth of a request's time
        keeps a request's place at most that much longer."""
        self._latency: float | None = None
        self._first_at = 0.0
        self._summary: dict = {}
        self._summary_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def put(self, entry: Entry) -> asyncio.Future:
        """A result to write (from the loop); the future is done once it is committed, one
        future for every result of a write. The thread is woken once per write, not once per
        result: setting an Event costs a lock."""
        with self._lock:
            self._entries.append(entry)
            written = self._written
            if written is None:
                written = self._written = self.engine.sender.loop.create_future()
                self._first_at = time.monotonic()
            asleep = not self._wake.is_set()
        if asleep:
            self._wake.set()
        return written

    def stop(self, timeout: float = 5.0) -> None:
        """Write what has come in, then end the thread; results still unwritten after
        `timeout` (the database down) are given up, and their batch is claimed again later."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abandon = True
            self._thread.join(1)

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(SUMMARY_SECONDS)
                self._linger()
                with self._lock:
                    entries, self._entries = self._entries, []
                    written, self._written = self._written, None
                    self._wake.clear()
                if entries:
                    self._write(entries, written)
                elif self._stopping:
                    break
                else:
                    self._log_summary()
        finally:
            self._log_summary()
            if database.obj is not None:
                database.close()

    def _linger(self) -> None:
        """Let a write wait for company, up to `linger` after its first result came."""
        if self.linger and not self._stopping and len(self._entries) < ENOUGH_TO_WRITE:
            wait = self._first_at + self.linger - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _learn(self, fates: list[Fate]) -> None:
        """Follow how long requests take (a moving average), and the linger with it."""
        took = [f.latency_ms for f in fates if f.latency_ms is not None]
        if took:
            mean = sum(took) / len(took) / 1000
            self._latency = mean if self._latency is None else 0.8 * self._latency + 0.2 * mean
            self.linger = min(LINGER_MOST, LINGER_SHARE * self._latency)

    def _write(self, entries: list[Entry], written: asyncio.Future | None) -> None:
        fates = [e.fate for e in entries]
        self._learn(fates)

        def give_up() -> bool:
            self.stalled = True
            return self._abandon or self.engine.past_stop_deadline()

        try:
            unrecorded = persist(lambda: messages.record(fates, now=self.engine.clock()),
                                 f"{len(fates)} results", give_up)
        except TRANSIENT_ERRORS as exc:
            log.error("%d results not recorded, the database cannot be written (%s): "
                      "their messages are sent again once their lease ends", len(fates), exc)
            self._release(written)
            return
        except Exception:  # a bug here must not end the thread that every batch waits on
            log.exception("%d results not recorded", len(fates))
            unrecorded = fates
        finally:
            self.stalled = False
        lost = {f.message_id for f in unrecorded}
        refusals = {}
        for e in entries:
            if e.message.id in lost:
                log.error("%s result %s could not be recorded: the message stays claimed until its lease ends",
                          about(e.dispatch_id, e.message.id, e.message.client_id), e.fate.kind)
            if e.refusal is not None:
                refusals.setdefault(e.dispatch_id, e.refusal)
        if self.engine.metrics is not None:
            self.engine.metrics.record_sends(fates)
        self._tell(entries)
        for dispatch_id, refusal in refusals.items():
            self.engine.refused(dispatch_id, refusal)
        self._release(written)

    def _release(self, written: asyncio.Future | None) -> None:
        if written is not None:
            try:
                self.engine.sender.loop.call_soon_threadsafe(_done, written)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def _tell(self, entries: list[Entry]) -> None:
        debug = log.isEnabledFor(logging.DEBUG)
        summary = self._summary
        for e in entries:
            told = summary.get(e.dispatch_id)
            if told is None:
                told = summary[e.dispatch_id] = [Counter(), ""]
            fate = e.fate
            told[0][fate.kind] += 1
            if fate.error and fate.kind != Result.SENT:
                told[1] = fate.error
            if debug:
                log_outcome(e.dispatch_id, e.message, fate)
        if not self._entries or time.monotonic() - self._summary_at >= SUMMARY_SECONDS:
            self._log_summary()

    def _log_summary(self) -> None:
        summary, self._summary = self._summary, {}
        self._summary_at = time.monotonic()
        for dispatch_id, (counts, error) in summary.items():
            log.info("dispatch=%s results: %s%s", dispatch_id,
                     " ".join(f"{kind}={counts[kind]}" for kind in Result if counts[kind]),
                     f"; last error: {error}" if error else "")


def _done(written: asyncio.Future) -> None:
    if not written.done():
        written.set_result(None)


_VERBS = {
    Result.SENT: "sent",
    Result.RETRY: "transient failure, retry at {next}",
    Result.REFUSED: "refused by the gateway",
    Result.FAILED: "failed",
    Result.RELEASE: "not sent ({why}), back to the queue for {next}",
    Result.TIMEOUT: "timeout: the end came before the request",
    Result.CANCEL: "cancelled before the request",
}


def log_outcome(dispatch_id, message: Claimed, outcome: Fate) -> None:
    prefix = about(dispatch_id, message.id, message.client_id)
    if outcome.attempted:
        verb = _VERBS[outcome.kind].format(next=hms(outcome.next_attempt_at), why="")
        log.debug("%s attempt=%d %s http=%s %sms%s", prefix, message.attempts + 1, verb,
                  outcome.http_status if outcome.http_status is not None else "-",
                  outcome.latency_ms if outcome.latency_ms is not None else "-",
                  f" error={outcome.error}" if outcome.error else "")
    else:
        why = "dispatch paused or consumer stopping" if outcome.kind == Result.RELEASE else ""
        log.debug("%s %s", prefix, _VERBS[outcome.kind].format(next=hms(outcome.next_attempt_at), why=why))


def hms(moment) -> str:
    return moment.strftime("%H:%M:%S.%f")[:-3] + "Z" if moment else "-"
