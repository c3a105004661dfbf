"""The engine: what sends the messages.

`store/` is its SQL (messages, delivery reports, leases), `engine.py` the batch logic run by
Huey's worker threads, `sender.py` the one event loop per process where every gateway
request runs, `gateways/` the providers, `queue.py` Huey and its tasks, `consumer.py` a
running consumer (standalone or embedded), `mail.py` the daily summary, `metrics.py`
Prometheus, `emulator.py` the local stand-in gateway.
"""
