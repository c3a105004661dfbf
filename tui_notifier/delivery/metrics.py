"""Prometheus metrics of a consumer (`tui-notifier consumer --metrics-port N`).

Counters and the latency histogram count what this consumer did since it started; the
gauges of messages, dispatches, queued tasks and live consumers are read from the database
and the queue at each scrape, so every consumer of a cluster reports the same totals.
`prometheus_client` is the optional extra `[metrics]`.
"""
from __future__ import annotations

import logging

from tui_notifier.core import reports
from tui_notifier.db import database
from tui_notifier.delivery.engine import CONSUMER_STALE_SECONDS
from tui_notifier.delivery.store import leases
from tui_notifier.delivery.store.messages import Result

log = logging.getLogger("tui_notifier.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class MetricsError(Exception):
    """The metrics endpoint cannot be served."""


def _prometheus():
    try:
        import prometheus_client
    except ImportError:
        raise MetricsError("--metrics-port needs prometheus_client: pip install 'tui_notifier[metrics]'") from None
    return prometheus_client


class _StoredState:
    """Gauges read at scrape time: the database's and the queue's view, shared by all consumers."""

    def __init__(self, huey=None, queue: str | None = None):
        self.huey = huey
        self.queue = queue

    def describe(self):
        return []

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("tui_notifier_database_up",
                               "1 when the last scrape could read the database, else 0")
        try:
            with database.connection_context():
                messages, dispatches = reports.totals()
                alive = len(leases.consumers(queue=self.queue, fresh_seconds=CONSUMER_STALE_SECONDS))
        except Exception as exc:
            log.warning("metrics: database not readable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _by_label(GaugeMetricFamily, "tui_notifier_messages", "Messages by status, all dispatches",
                        "status", messages)
        yield _by_label(GaugeMetricFamily, "tui_notifier_dispatches", "Dispatches by status",
                        "status", dispatches)
        yield GaugeMetricFamily("tui_notifier_consumers", "Consumers with a fresh heartbeat on this queue",
                                value=alive)
        if self.huey is not None:
            try:
                tasks = {"pending": self.huey.pending_count(), "scheduled": self.huey.scheduled_count()}
            except Exception as exc:
                log.warning("metrics: queue not readable: %s", exc)
            else:
                yield _by_label(GaugeMetricFamily, "tui_notifier_queue_tasks",
                                "Tasks in the Huey queue: pending (due now) and scheduled (due later)",
                                "state", tasks)


def _by_label(family, name: str, documentation: str, label: str, values: dict):
    metric = family(name, documentation, labels=[label])
    for key, value in values.items():
        metric.add_metric([key], value)
    return metric


class Metrics:
    """The metrics one consumer exposes; the engine reports each batch's outcomes to it."""

    def __init__(self, huey=None, queue: str | None = None):
        pc = _prometheus()
        self.registry = pc.CollectorRegistry()
        self.sends = pc.Counter("tui_notifier_sends", "Requests made to the gateway, by outcome",
                                ["outcome"], registry=self.registry)
        self.retries = pc.Counter("tui_notifier_retries",
                                  "Transient gateway failures scheduled for another attempt",
                                  registry=self.registry)
        self.latency = pc.Histogram("tui_notifier_gateway_latency_seconds",
                                    "Time from a request to the gateway's answer",
                                    buckets=LATENCY_BUCKETS, registry=self.registry)
        self.reports = pc.Counter("tui_notifier_delivery_reports",
                                  "Final delivery reports received, by final status",
                                  ["status"], registry=self.registry)
        for outcome in (Result.SENT, Result.RETRY, Result.REFUSED, Result.FAILED):
            self.sends.labels(outcome)
        for status in ("delivered", "failed"):
            self.reports.labels(status)
        self.registry.register(_StoredState(huey, queue))
        self._server = None

    def record_sends(self, outcomes) -> None:
        for outcome in outcomes:
            if not outcome.attempted:
                continue
            self.sends.labels(outcome.kind).inc()
            if outcome.kind == Result.RETRY:
                self.retries.inc()
            if outcome.latency_ms is not None:
                self.latency.observe(outcome.latency_ms / 1000)

    def record_reports(self, outcomes) -> None:
        for outcome in outcomes:
            if outcome.final_status:
                self.reports.labels(outcome.final_status).inc()

    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Serve `/metrics` over HTTP in a daemon thread; returns the port (useful with 0)."""
        pc = _prometheus()
        try:
            self._server, _thread = pc.start_http_server(port, addr=addr, registry=self.registry)
        except OSError as exc:
            raise MetricsError(f"metrics on {addr}:{port}: {exc.strerror or exc}") from None
        return self._server.server_port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
