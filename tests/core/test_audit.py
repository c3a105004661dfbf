"""Every write through the core leaves one audit entry in its own transaction: who, which
face, what, on which object; a change that fails leaves none."""
from __future__ import annotations

import pytest

from tui_notifier.core import audit, clients, dispatches, stoplist, tokens
from tui_notifier.core.errors import Conflict


def trail() -> list[tuple]:
    return [(e.actor, e.face, e.action, e.object_type) for e in audit.list_entries(newest_first=False)]


def test_each_write_is_recorded_under_the_acting_face(db, new_dispatch):
    with audit.acting_as("alice", "cli"):
        client = clients.add_client("79001234567")
        clients.update_client(client.id, tag="vip")
        stoplist.add_phones(["79001234567"], reason="asked")
        stoplist.remove_phones(["79001234567"])
    with audit.acting_as("crm-sync", "api"):
        dispatch = new_dispatch()
        dispatches.update_dispatch(dispatch.id, text="Hello again", now=dispatch.created_at)
        dispatches.pause_dispatch(dispatch.id)
        dispatches.resume_dispatch(dispatch.id)
        dispatches.cancel_dispatch(dispatch.id)
        dispatches.delete_dispatch(dispatch.id)
    with audit.acting_as("bob", "dashboard"):
        clients.delete_client(client.id)
        tokens.create_token("ci")
        tokens.revoke_token("ci")
    assert trail() == [
        ("alice", "cli", "create", "client"), ("alice", "cli", "update", "client"),
        ("alice", "cli", "add", "stoplist"), ("alice", "cli", "remove", "stoplist"),
        ("crm-sync", "api", "create", "dispatch"), ("crm-sync", "api", "update", "dispatch"),
        ("crm-sync", "api", "pause", "dispatch"), ("crm-sync", "api", "resume", "dispatch"),
        ("crm-sync", "api", "cancel", "dispatch"), ("crm-sync", "api", "delete", "dispatch"),
        ("bob", "dashboard", "delete", "client"), ("bob", "dashboard", "create", "token"),
        ("bob", "dashboard", "revoke", "token"),
    ]
    entries = audit.list_entries(newest_first=False)
    assert entries[1].object_id == str(client.id) and "tag=vip" in entries[1].detail
    assert entries[5].object_id == str(dispatch.id) and "message_text=Hello again" in entries[5].detail


def test_a_refused_write_leaves_no_entry_and_secrets_never_reach_it(db):
    clients.add_client("79001234567")
    with pytest.raises(Conflict):
        clients.add_client("89001234567")
    _token, text = tokens.create_token("ci")
    assert [e.action for e in audit.list_entries()] == ["create", "create"]
    assert all(text not in e.detail and text not in e.object_id for e in audit.list_entries())


def test_since_and_paging(db):
    for n in range(5):
        clients.add_client(f"7900123456{n}")
    newest = audit.list_entries()
    assert audit.count_entries(since=newest[1].at) >= 2
    first = audit.page(2)
    assert [e.id for e in first] == sorted(e.id for e in newest)[:2]
    assert [e.id for e in audit.page(2, after_id=first[-1].id)] == sorted(e.id for e in newest)[2:4]
