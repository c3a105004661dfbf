"""Huey tasks: thin wrappers over the Engine that carry dispatch ids only.

A batch that comes back full enqueues the next one before it starts sending, so the next
claim is made by another worker while this batch is on the wire. The periodic `tick`
(every `consumer.tick_seconds`, see runtime.py) wakes what nobody is working on and hands
the daily summary e-mail, when due, to a worker, so a slow mail server never delays a tick.
"""
from __future__ import annotations

import datetime as _dt

from huey import crontab

from tui_notifier.db import database


class Tasks:
    """The task functions of one Huey instance, and the engine that runs them here (if any)."""

    engine = None

    def need_engine(self):
        if self.engine is None:
            raise RuntimeError("no consumer runs in this process")
        return self.engine


def register_tasks(huey, tick_seconds: float) -> Tasks:
    tasks = Tasks()

    @huey.task(name="start_dispatch")
    def start_dispatch(dispatch_id: str):
        if tasks.need_engine().start_dispatch(dispatch_id):
            send_batch(dispatch_id)

    @huey.task(name="send_batch")
    def send_batch(dispatch_id: str):
        tasks.need_engine().send_batch(dispatch_id, on_more=lambda: send_batch(dispatch_id))

    @huey.task(name="poll_reports")
    def poll_reports():
        tasks.need_engine().poll_reports(on_more=poll_reports)

    @huey.task(name="daily_summary")
    def daily_summary():
        tasks.need_engine().mail_daily_summary()

    @huey.periodic_task(crontab(), name="tick", expires=_dt.timedelta(seconds=max(3 * tick_seconds, 3)))
    def tick():
        report = tasks.need_engine().tick()
        for dispatch_id in report.wake:
            send_batch(str(dispatch_id))
        if report.poll_reports:
            poll_reports()
        if report.mail_summary:
            daily_summary()

    @huey.on_shutdown(name="close_database")
    def close_database():
        if database.obj is not None:
            database.obj.close()

    tasks.start_dispatch = start_dispatch
    tasks.send_batch = send_batch
    tasks.poll_reports = poll_reports
    tasks.daily_summary = daily_summary
    tasks.tick = tick
    return tasks
