"""Serving the API on waitress: a bounded body, quiet queue warnings, and SIGTERM stopping it
the way Ctrl-C does (waitress itself only handles the latter)."""
from __future__ import annotations

import ipaddress
import logging
import signal
import socket

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from tui_notifier.api.app import ApiOptions, make_app

log = logging.getLogger("tui_notifier.api")


TRANSPORT_SLACK = 16
"""waitress refuses bodies this many times over the limit (as text, before reading them);
smaller excess reaches the app, which answers 413 in JSON."""


class ServeError(Exception):
    """The server cannot start as asked."""


class Channel(HTTPChannel):
    """waitress's connection without its busy loop: while a worker thread sends the answer it
    wrote, it holds the connection's output lock, and the loop, seeing output not sent yet, woke
    at once again and again only to find it could not send it (each time asking every connection
    whether it wants to read or write). Under the API benchmark that was about 15 wake-ups per
    client created (their workers wait for the interpreter lock longer), 1.5 per bare request.
    The worker sends what it wrote itself and wakes the loop when any of it is left."""

    def writable(self):
        if self.will_close or self.close_when_flushed:
            return True
        if not self.total_outbufs_len:
            return False
        if self.outbuf_lock.acquire(False):
            self.outbuf_lock.release()
            return True
        return False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def make_server(host: str, port: int, threads: int, options: ApiOptions, app=None):
    """A waitress server for `app` (default: the project's app made with `options`).

    Each server gets a socket map of its own: with waitress's shared default, stopping one
    server in a process (`shutdown` closes every socket of its map) closed the others too. Its
    connections are `Channel`s."""
    if not options.auth and not is_loopback(host):
        raise ServeError(f"refusing to serve without auth on {host}: bind a loopback address "
                         "(127.0.0.1) or create tokens with `tui-notifier tokens create NAME`")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    sockets: dict = {}
    try:
        server = create_server(app or make_app(options), map=sockets, host=host, port=port, threads=threads,
                               max_request_body_size=options.max_body_size * TRANSPORT_SLACK,
                               ident="tui-notifier",
                               clear_untrusted_proxy_headers=True)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    for listener in sockets.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = Channel
    return server


def serve(server, on_ready=None) -> None:
    """Run until SIGTERM or Ctrl-C; requests in flight are answered first (up to 5 s)."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if on_ready is not None:
            on_ready(server)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutdown(server)


def shutdown(server, timeout: float = 5.0) -> None:
    """Stop `server` from its own loop's thread: the requests in flight are answered first,
    then its sockets and wake-up pipe close.

    The order matters: a worker finishing a request wakes the loop through the server's pipe.
    Closed first, that pipe's descriptor numbers were free for the next file or socket the
    process opened, and a late wake-up wrote into whatever held them then (another server's
    pipe or connection, a database file). After the stop, a late wake-up goes nowhere."""
    server.task_dispatcher.shutdown(timeout=timeout)
    server.pull_trigger = _nowhere
    server.close()
    wasyncore.close_all(server._map)


def _nowhere(*args) -> None:
    """The wake-up of a stopped server."""


def stop_running(server, thread, timeout: float = 10.0) -> None:
    """Stop a server whose `run()` loops (or looped) on `thread`: the loop itself closes
    everything, so no socket is closed under its feet. Stopping a stopped server does nothing.

    The stop is handed to the loop with its wake-up held locked until the byte is written:
    waitress's own `pull_trigger` queues the call before writing, so a loop already awake
    (a finishing request leaves a wake-up behind) could run the stop, closing the pipe, before
    the byte went in, and the write failed on the closed pipe."""
    if server.pull_trigger is _nowhere:
        return
    if not thread.is_alive():
        shutdown(server)
        return
    trigger = server.trigger
    with trigger.lock:
        trigger.thunks.append(lambda: shutdown(server))
        trigger._physical_pull()
    thread.join(timeout)
