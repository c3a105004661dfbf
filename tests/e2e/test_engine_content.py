"""What reaches the gateway: each client's own text, the dispatch's sender name, nothing to a stopped phone."""
from __future__ import annotations

from harness import add_clients, wait_for
from tui_notifier.core import stoplist
from tui_notifier.core.clients import add_client, delete_client
from tui_notifier.core.reports import message_history
from tui_notifier.models import Message


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
