"""The domain: validation, clients, dispatches, reports, send windows.

Imports neither textual, huey nor requests: the faces and the engine call into it.
"""
