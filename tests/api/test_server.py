"""Stopping a waitress server in a process that runs several: what is in flight is answered,
and nothing of the stopped server touches a descriptor after it is closed."""
from __future__ import annotations

import logging
import os
import threading
import time

import falcon
import pytest
import requests

from harness import wait_for
from tui_notifier.api.app import ApiOptions
from tui_notifier.api.server import Channel, make_server, stop_running


class Slow:
    """Answers once released, so a request can be held in flight while the server stops."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def on_get(self, req, resp):
        self.entered.set()
        self.release.wait(30)
        resp.media = {"done": True}


@pytest.fixture
def slow_server():
    slow = Slow()
    app = falcon.App()
    app.add_route("/slow", slow)
    server = make_server("127.0.0.1", 0, 2, ApiOptions(auth=False), app=app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server, thread, slow
    slow.release.set()
    stop_running(server, thread)


def test_a_request_in_flight_is_answered_before_the_server_closes_its_wake_up_pipe(slow_server, caplog):
    server, thread, slow = slow_server
    answers = []
    client = threading.Thread(target=lambda: answers.append(
        requests.get(f"http://127.0.0.1:{server.effective_port}/slow", timeout=30)))
    client.start()
    assert slow.entered.wait(10)

    with caplog.at_level(logging.WARNING, logger="waitress"):
        stopper = threading.Thread(target=stop_running, args=(server, thread))
        stopper.start()
        wait_for(lambda: server.task_dispatcher.stop_count, timeout=10, what="the stop to begin")
        slow.release.set()
        client.join(30)
        stopper.join(30)

    assert [(a.status_code, a.json()) for a in answers] == [(200, {"done": True})]
    assert not thread.is_alive() and server.trigger._closed
    assert [r.getMessage() for r in caplog.records if r.name.startswith("waitress")] == []


def test_a_late_wake_up_of_a_stopped_server_writes_nowhere_though_its_pipe_number_is_taken(slow_server):
    server, thread, slow = slow_server
    slow.release.set()
    stop_running(server, thread)
    old = server.trigger.trigger
    pipes = []
    try:
        while not any(old in pipe for pipe in pipes) and len(pipes) < 100:
            pipes.append(os.pipe())
        assert any(old in pipe for pipe in pipes), "the stopped server's pipe number was not reused"
        for r, _w in pipes:
            os.set_blocking(r, False)

        server.pull_trigger()

        for r, _w in pipes:
            with pytest.raises(BlockingIOError):
                os.read(r, 1)
    finally:
        for pipe in pipes:
            for fd in pipe:
                os.close(fd)


def test_a_stop_whose_wake_up_is_read_before_it_is_fully_sent_still_stops_cleanly(slow_server):
    server, thread, slow = slow_server
    slow.release.set()
    write = server.trigger._physical_pull

    def awake_loop_then_write():
        write()
        time.sleep(0.3)
        write()

    server.trigger._physical_pull = awake_loop_then_write

    stop_running(server, thread)

    assert not thread.is_alive() and server.trigger._closed


def test_the_loop_does_not_wake_for_output_a_worker_is_still_sending(slow_server):
    """A worker holds its connection's output lock while it sends; the loop, finding output not
    sent yet, used to wake at once again and again until the worker let go."""
    server, thread, slow = slow_server
    client = threading.Thread(target=lambda: requests.get(f"http://127.0.0.1:{server.effective_port}/slow",
                                                          timeout=30))
    client.start()
    assert slow.entered.wait(10)
    channel = next(obj for obj in list(server._map.values()) if isinstance(obj, Channel))
    sending, done = threading.Event(), threading.Event()

    def send():
        with channel.outbuf_lock:
            channel.total_outbufs_len += 1
            sending.set()
            done.wait(30)
            channel.total_outbufs_len -= 1

    worker = threading.Thread(target=send)
    worker.start()
    assert sending.wait(10)
    try:
        assert not channel.writable()
    finally:
        done.set()
        worker.join(30)
    slow.release.set()
    client.join(30)
