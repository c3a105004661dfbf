"""`tui-notifier tokens create|list|revoke` and `tui-notifier audit`."""
from __future__ import annotations

import getpass


def test_tokens_are_created_once_listed_without_their_text_and_revoked(cli):
    made = cli("tokens", "create", "crm-sync")
    assert made.code == 0
    text = made.out.strip()
    assert len(text) >= 40
    cli("tokens", "create", "reports", "--read-only")
    listed = cli("tokens", "list", "--json")
    assert [(t["name"], t["read_only"]) for t in listed.json()] == [("crm-sync", False), ("reports", True)]
    assert text not in listed.out and text not in cli("tokens", "list").out
    again = cli("tokens", "create", "crm-sync")
    assert again.code == 1 and "exists already" in again.reason
    assert cli("tokens", "revoke", "crm-sync").code == 0
    gone = cli("tokens", "revoke", "crm-sync")
    assert gone.code == 1 and "no token named" in gone.reason


def test_a_bad_token_name_is_one_line(cli):
    bad = cli("tokens", "create", "two words")
    assert bad.code == 1 and "is not a token name" in bad.reason


def test_cli_writes_are_audited_under_the_os_user(cli):
    client_id = cli("clients", "add", "79001234567", "--tag", "vip").out.strip()
    cli("clients", "update", client_id, "--tag", "regular")
    entries = cli("audit", "--json").json()
    assert [(e["action"], e["object_type"], e["object_id"]) for e in entries] == [
        ("update", "client", client_id), ("create", "client", client_id)]
    assert {(e["actor"], e["face"]) for e in entries} == {(getpass.getuser(), "cli")}
    assert "tag=regular" in entries[0]["detail"]
    assert cli("audit", "--since", "2999-01-01", "--json").json() == []
    table = cli("audit")
    assert table.code == 0 and "client " + client_id in table.out
    bad = cli("audit", "--since", "yesterday")
    assert bad.code == 2
