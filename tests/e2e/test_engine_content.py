"""What reaches the gateway: each client's own text, the dispatch's sender name, nothing to a stopped phone."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness import add_clients, wait_for
from tui_notifier.core import stoplist
from tui_notifier.core.clients import add_client, delete_client
from tui_notifier.core.reports import message_history
from tui_notifier.models import Message


@pytest.fixture
def cli_in():
    """Run `tui-notifier --config <the stack's config> ARGS...` as a real process."""

    def run(stack, *args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tui_notifier", "--config", str(stack.config_path),
                               *map(str, args)], capture_output=True, text=True, timeout=60)

    return run


def test_each_client_gets_the_text_rendered_for_it_and_the_message_keeps_it(stack):
    stack.configure()
    anna = add_client("79001234567", attributes={"first_name": "Анна"})
    nobody = add_client("79001234568")
    stack.consumer()
    d = stack.dispatch(text="Hi {first_name|friend}! {{code}}")

    stack.wait_status(d.id, "finished", timeout=20)

    texts = stack.emulator.stats(ids=True)["texts"]
    by_client = {m.client_id: m for m in Message.select()}
    assert texts[str(by_client[anna.id].id)] == "Hi Анна! {code}"
    assert texts[str(by_client[nobody.id].id)] == "Hi friend! {code}"
    assert message_history(by_client[anna.id].id).text == "Hi Анна! {code}"
    assert message_history(by_client[nobody.id].id).text == "Hi friend! {code}"


def test_hyber_gets_the_dispatch_sender_name_else_the_configured_one(stack):
    stack.start_emulator("--login", "acme", "--password", "pw-1234567")
    stack.configure(gateway={"kind": "hyber", "dr_url": stack.emulator.url, "client_id": "acme",
                             "login": "acme", "password": "pw-1234567", "alpha_name": "ACME"})
    add_clients(2)
    stack.consumer()
    named = stack.dispatch(sender="Shop.Ru")
    stack.wait_status(named.id, "finished", timeout=20)
    plain = stack.dispatch(text="again")
    stack.wait_status(plain.id, "finished", timeout=20)

    senders = stack.emulator.stats(ids=True)["senders"]
    by_dispatch = {}
    for m in Message.select():
        by_dispatch.setdefault(m.dispatch_id, set()).add(senders[str(m.id)])
    assert by_dispatch == {named.id: {"Shop.Ru"}, plain.id: {"ACME"}}


def test_a_phone_stopped_or_a_client_deleted_mid_dispatch_gets_nothing_more(stack):
    stack.configure(sending={"rate_limit": 20})
    add_clients(200)
    stack.consumer()
    d = stack.dispatch()
    wait_for(lambda: stack.emulator.stats()["accepted"] >= 10, timeout=15, what="sending")

    waiting = list(Message.select().where((Message.dispatch == d.id) & (Message.status == "created"))
                   .order_by(Message.id.desc()).limit(20))
    stopped, deleted = waiting[:10], waiting[10:]
    stoplist.add_phones([m.phone for m in stopped])
    for m in deleted:
        delete_client(m.client_id)

    stack.wait_status(d.id, "finished", timeout=30)
    accepted = stack.emulator.stats(ids=True)["ids"]
    assert not {str(m.id) for m in waiting} & set(accepted), "a request started after the stop"
    assert {Message.get_by_id(m.id).last_error for m in stopped} == {stoplist.STOPPED_ERROR}
    assert {Message.get_by_id(m.id).status for m in waiting} == {"cancelled"}


def test_a_test_send_goes_to_one_phone_now_rendered_and_apart_from_the_counts(stack, cli_in):
    stack.configure()
    anna = add_client("79001234567", attributes={"first_name": "Анна"})
    stack.consumer()
    d = stack.dispatch(start_in=3600, text="Hi {first_name|friend}")

    rendered = cli_in(stack, "dispatches", "test-send", str(d.id), "79990001122", "--client", anna.id, "--json")
    given = cli_in(stack, "dispatches", "test-send", str(d.id), "79990001122", "--attr", "first_name=Ян")
    stoplist.add_phones(["79990001123"])
    refused = cli_in(stack, "dispatches", "test-send", str(d.id), "79990001123")

    assert rendered.returncode == 0, rendered.stderr
    assert json.loads(rendered.stdout)["status"] == "sent"
    assert given.stdout == "sent to 79990001122: Hi Ян\n"
    assert refused.returncode == 1 and "is on the stop list" in refused.stderr
    texts = sorted(stack.emulator.stats(ids=True)["texts"].values())
    assert texts == ["Hi Анна", "Hi Ян"]
    assert stack.counts(d.id) == {} and Message.select().count() == 0


def test_a_test_send_with_no_consumer_says_so_and_a_consumer_started_later_sends_it(stack, cli_in):
    stack.configure()
    d = stack.dispatch(start_in=3600)

    queued = cli_in(stack, "dispatches", "test-send", str(d.id), "79990001122", "--wait", "0.5")
    assert queued.returncode == 1 and "no consumer sent it" in queued.stderr

    stack.consumer()
    wait_for(lambda: stack.emulator.stats()["accepted"] == 1, timeout=15, what="the queued test send")
