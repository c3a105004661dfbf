"""An operator changing dispatches at random while real consumers send through a faulty gateway,
the status counters checked against the messages after every change: what the exactness tests
of the counters run on SQLite (tests/e2e) and on Redis + PostgreSQL (tests/scale)."""
from __future__ import annotations

import datetime as dt
import random
import time

import peewee as pw

from harness import add_clients, wait_for
from tui_notifier import counts
from tui_notifier.clock import utcnow
from tui_notifier.core import clients, dispatches, stoplist
from tui_notifier.core.errors import NotFound, StateError, ValidationError
from tui_notifier.models import Client, Dispatch, DispatchStatus, Message, MessageStatus

CLIENTS = 400


def grouped() -> dict:
    """The truth the counters must equal: a GROUP BY over the messages."""
    out: dict = {}
    for dispatch_id, status, n in (Message.select(Message.dispatch, Message.status, pw.fn.COUNT(pw.SQL("*")))
                                   .group_by(Message.dispatch, Message.status).tuples()):
        out.setdefault(counts.key_of(dispatch_id), {})[status] = n
    return out


def start_faulty_hyber(stack):
    """The emulator failing, garbling and hanging some sends, and reporting some undelivered."""
    stack.start_emulator("--login", "acme", "--password", "churn-pw", "--fail-rate", "0.25",
                         "--malformed-rate", "0.05", "--hang-rate", "0.02", "--hang-seconds", "3",
                         "--dr-delay", "0.5", "--undelivered-rate", "0.3")
    return {"kind": "hyber", "url": stack.emulator.url, "dr_url": stack.emulator.url, "client_id": "acme",
            "login": "acme", "password": "churn-pw", "timeout": 1.0, "dr_poll_interval": 0.3}


def churn(stack, consumers: int, seconds: float, seed: int) -> dict:
    """Run it; return the counts of every status seen over every dispatch at the end."""
    add_clients(CLIENTS)
    stack.several(*(f"c{n}" for n in range(consumers)))
    rnd = random.Random(seed)

    def some(status=None):
        query = Dispatch.select(Dispatch.id)
        if status:
            query = query.where(Dispatch.status.in_(status))
        ids = [d for (d,) in query.tuples()]
        return rnd.choice(ids) if ids else None

    def create():
        stack.dispatch(lasts=rnd.uniform(4, 12), text="Hello")

    def pause_resume():
        d = some((DispatchStatus.RUNNING, DispatchStatus.PAUSED))
        if d is not None:
            (dispatches.resume_dispatch if rnd.random() < 0.5 else dispatches.pause_dispatch)(d)

    def cancel():
        d = some((DispatchStatus.RUNNING, DispatchStatus.PAUSED))
        if d is not None and rnd.random() < 0.5:
            dispatches.cancel_dispatch(d)

    def end_soon():
        d = some((DispatchStatus.RUNNING, DispatchStatus.PAUSED))
        if d is not None:
            dispatches.update_dispatch(d, end=utcnow() + dt.timedelta(seconds=rnd.uniform(0.2, 2)))

    def delete():
        d = some()
        if d is not None and rnd.random() < 0.3:
            dispatches.delete_dispatch(d)

    def stop():
        phones = [p for (p,) in Client.select(Client.phone).order_by(pw.fn.RANDOM()).limit(5).tuples()]
        stoplist.add_phones(phones, "STOP")

    def delete_client():
        ids = [c for (c,) in Message.select(Message.client).where(
            Message.client.is_null(False) & (Message.status == MessageStatus.CREATED)).limit(50).tuples()]
        if ids:
            clients.delete_client(rnd.choice(ids))

    def resend():
        d = some()
        if d is not None:
            now = utcnow()
            dispatches.resend_dispatch(d, now, now + dt.timedelta(seconds=rnd.uniform(3, 8)),
                                       statuses=dispatches.RESENDABLE)

    operations = [create, create, pause_resume, pause_resume, cancel, end_soon, delete, stop, delete_client,
                  resend]
    for _ in range(3):
        create()
    deadline = time.monotonic() + seconds
    changes = 0
    while time.monotonic() < deadline:
        assert counts.verify() == [], "the counters disagree with the messages while consumers send"
        try:
            rnd.choice(operations)()
            changes += 1
        except (StateError, ValidationError, NotFound):
            pass
        time.sleep(rnd.uniform(0.05, 0.3))

    def settled():
        assert counts.verify() == []
        open_ = Dispatch.select().where(Dispatch.status.not_in(DispatchStatus.CLOSED)).exists()
        busy = Message.select().where(Message.status.in_((MessageStatus.SENDING, MessageStatus.SENT))).exists()
        return not open_ and not busy

    wait_for(settled, timeout=90, interval=0.2, what="every dispatch closed and every report final")
    assert counts.verify() == [] and counts.read() == grouped()
    assert changes > 10
    return counts.totals()
