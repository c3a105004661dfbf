"""`tui-notifier dispatches create|clone|resend|list|show|update|preview|pause|resume|cancel|delete`."""
from __future__ import annotations

from tui_notifier.cli.output import attribute_arg, print_fields, print_json, print_table
from tui_notifier.core.text import one_line

_TIME_HELP = "ISO 8601; a time without an offset is read in --timezone"


def register(subparsers) -> None:
    dispatches = subparsers.add_parser("dispatches", help="SMS dispatches (campaigns)",
                                       description="Compose and control dispatches.")
    commands = dispatches.add_subparsers(dest="dispatches_command", metavar="COMMAND", required=True)

    p = commands.add_parser("create", help="compose a dispatch",
                            description="Create a dispatch; prints its id alone (the whole dispatch with --json).")
    p.add_argument("--start", required=True, help=_TIME_HELP)
    p.add_argument("--end", required=True, help=_TIME_HELP)
    p.add_argument("--text", required=True, help="the message text; {first_name|fallback} placeholders allowed")
    _audience_options(p)
    p.set_defaults(handler=run_create)

    p = commands.add_parser("clone", help="a new dispatch like this one",
                            description="Create a dispatch with the text, audience, window and sender of "
                                        "another; its times unless --start/--end are given. Prints the new id.")
    p.add_argument("id")
    p.add_argument("--start", help=_TIME_HELP + " (the dispatch's own time zone)")
    p.add_argument("--end", help=_TIME_HELP + " (the dispatch's own time zone)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_clone)

    p = commands.add_parser("test-send", help="send the dispatch's text to one phone now",
                            description="Send the text, rendered for a client (--client) or given "
                                        "attributes (--attr), to PHONE now: outside the audience and the "
                                        "end, recorded apart from the dispatch's counts. Waits for a "
                                        "running consumer to send it.")
    p.add_argument("id")
    p.add_argument("phone")
    p.add_argument("--client", type=int, metavar="ID", help="render the text with this client's values")
    p.add_argument("--attr", action="append", type=attribute_arg, default=[], metavar="NAME=VALUE",
                   help="a value for a placeholder; repeat for more")
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for a consumer to send it (default: gateway.timeout + 10)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_test_send)

    p = commands.add_parser("resend", help="send the text again to the clients whose messages failed",
                            description="Create a dispatch with the same text whose audience is exactly the "
                                        "clients of the messages in the given statuses (not the filters "
                                        "again). Prints the new id.")
    p.add_argument("id")
    p.add_argument("--status", default="failed,timeout", metavar="STATUSES",
                   help="comma-separated, some of failed, timeout, cancelled (default failed,timeout)")
    p.add_argument("--start", required=True, help=_TIME_HELP + " (the dispatch's own time zone)")
    p.add_argument("--end", required=True, help=_TIME_HELP + " (the dispatch's own time zone)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_resend)

    p = commands.add_parser("update", help="change a dispatch (once started: only its end)")
    p.add_argument("id")
    p.add_argument("--start", help=_TIME_HELP)
    p.add_argument("--end", help=_TIME_HELP)
    p.add_argument("--text")
    _audience_options(p)
    p.set_defaults(handler=run_update)

    p = commands.add_parser("list", help="list dispatches")
    p.add_argument("--status", choices=("scheduled", "running", "paused", "finished", "cancelled"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_list)

    p = commands.add_parser("show", help="one dispatch with its counts")
    p.add_argument("id", help="the dispatch id, or a unique leading part of it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_show)

    p = commands.add_parser("preview", help="how many clients a filter matches; with --text, what it costs",
                            description="Print how many clients the filters match. With --text: the text "
                                        "rendered for the first of them, SMS parts per recipient and the "
                                        "total SMS a provider bills.")
    p.add_argument("--operator", metavar="CODES", help='operator codes, e.g. "900,901"')
    p.add_argument("--tag", metavar="TAGS", help="tags, comma-separated")
    p.add_argument("--text", help="a message text, placeholders like {first_name|клиент} included")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_preview)

    for name, verb in (("pause", "stop sending until resumed"), ("resume", "carry on sending"),
                       ("cancel", "stop for good; unsent messages become cancelled"),
                       ("delete", "remove the dispatch and its messages")):
        p = commands.add_parser(name, help=verb)
        p.add_argument("id")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=run_state_change, change=name)


def _audience_options(p) -> None:
    p.add_argument("--timezone", help="time zone of times given without an offset (default UTC)")
    p.add_argument("--operator", metavar="CODES", help='operator codes, e.g. "900,901" (empty: all)')
    p.add_argument("--tag", metavar="TAGS", help="tags, comma-separated (empty: all)")
    p.add_argument("--window", metavar="HH:MM-HH:MM",
                   help="send only inside this window of each client's local time (may wrap midnight)")
    p.add_argument("--sender", metavar="NAME",
                   help="the alpha name recipients see: 1-11 Latin letters, digits, spaces, . or - "
                        "(default: gateway.alpha_name)")
    p.add_argument("--json", action="store_true", help="print the whole dispatch as JSON")


def dispatch_json(dispatch) -> dict:
    from tui_notifier.core.reports import dispatch_report

    return dispatch_report(dispatch.id).as_json()


def _print_dispatch(dispatch, as_json: bool) -> None:
    if as_json:
        print_json(dispatch_json(dispatch))
    else:
        print(dispatch.id)


def run_create(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database(wake_engine=True)
    dispatch = dispatches.create_dispatch(
        args.start, args.end, args.text, timezone=args.timezone or "UTC",
        operator_codes=args.operator, tags=args.tag, window=args.window, sender=args.sender,
    )
    _print_dispatch(dispatch, args.json)
    return 0


def run_clone(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database(wake_engine=True)
    _print_dispatch(dispatches.clone_dispatch(args.id, start=args.start, end=args.end), args.json)
    return 0


def run_test_send(args, ctx) -> int:
    import time

    from tui_notifier.cli import Failure
    from tui_notifier.core import testsend

    ctx.open_database(wake_engine=True)
    test = testsend.request_test_send(args.id, args.phone, client_id=args.client, attributes=dict(args.attr))
    wait = args.wait if args.wait is not None else ctx.config.gateway.timeout + 10
    deadline = time.monotonic() + wait
    while testsend.is_waiting(test) and time.monotonic() < deadline:
        time.sleep(0.1)
        test = testsend.get_test_send(test.id)
    if args.json:
        print_json({"id": test.id, "phone": test.phone, "text": test.text, "status": test.status,
                    "error": test.error})
    if testsend.is_waiting(test):
        raise Failure(f"test send {test.id} is queued, but no consumer sent it within {wait:g} s: "
                      "start one with `tui-notifier consumer`")
    if test.status != "sent":
        raise Failure(f"test send {test.id} to {test.phone} failed: {test.error}")
    if not args.json:
        print(f"sent to {test.phone}: {test.text}")
    return 0


def run_resend(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database(wake_engine=True)
    _print_dispatch(dispatches.resend_dispatch(args.id, args.start, args.end, statuses=args.status), args.json)
    return 0


def run_update(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database(wake_engine=True)
    changes = {name: value for name, value in (
        ("start", args.start), ("end", args.end), ("text", args.text), ("timezone", args.timezone),
        ("operator_codes", args.operator), ("tags", args.tag), ("window", args.window),
        ("sender", args.sender),
    ) if value is not None}
    dispatch = dispatches.update_dispatch(args.id, **changes)
    _print_dispatch(dispatch, args.json)
    return 0


def run_state_change(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database(wake_engine=True)
    action = {"pause": dispatches.pause_dispatch, "resume": dispatches.resume_dispatch,
              "cancel": dispatches.cancel_dispatch}.get(args.change)
    if action is None:
        dispatches.delete_dispatch(args.id)
        return 0
    dispatch = action(args.id)
    if args.json:
        print_json(dispatch_json(dispatch))
    else:
        print(f"{dispatch.id} {dispatch.status}")
    return 0


def run_list(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database()
    found = dispatches.list_dispatches(args.status)
    if args.json:
        print_json([dispatch_json(d) for d in found])
        return 0
    print_table(
        ["id", "status", "start", "end", "audience", "text"],
        [[d.id, d.status, local_time(d.start_at, d.timezone), local_time(d.end_at, d.timezone),
          audience_label(d), one_line(d.message_text, 40)] for d in found],
    )
    return 0


def run_show(args, ctx) -> int:
    from tui_notifier.core import dispatches, testsend
    from tui_notifier.core.reports import dispatch_report

    ctx.open_database()
    dispatch = dispatches.get_dispatch(args.id)
    report = dispatch_report(dispatch.id)
    if args.json:
        print_json(report.as_json())
        return 0
    print_fields([
        ("id", dispatch.id),
        ("status", dispatch.status + (f" ({dispatch.status_reason})" if dispatch.status_reason else "")),
        ("start", local_time(dispatch.start_at, dispatch.timezone)),
        ("end", local_time(dispatch.end_at, dispatch.timezone)),
        ("window", dispatch.window or "any time"),
        ("audience", audience_label(dispatch)),
        ("matching now", dispatches.audience_count(dispatch)),
        ("left out", f"{dispatch.skipped_stoplist} on the stop list at the start"),
        ("sender", dispatch.sender or "the gateway's alpha name"),
        ("text", dispatch.message_text),
        ("messages", report.total),
        ("test sends", ", ".join(f"{t.phone} {t.status}" for t in testsend.list_test_sends(dispatch.id)) or "none"),
        *[(f"  {status}", n) for status, n in sorted(report.counts.items())],
    ])
    return 0


def run_preview(args, ctx) -> int:
    from tui_notifier.core import dispatches

    ctx.open_database()
    if args.text is None:
        count = dispatches.preview_audience(args.operator, args.tag)
        print_json({"count": count}) if args.json else print(count)
        return 0
    cost = dispatches.preview_text(args.text, args.operator, args.tag)
    if args.json:
        print_json({"count": cost.recipients, "sample": cost.sample, "min_parts": cost.min_parts,
                    "max_parts": cost.max_parts, "total_sms": cost.total_sms, "encodings": list(cost.encodings)})
    else:
        print_fields([("recipients", cost.recipients), ("sample", cost.sample),
                      ("parts each", cost.min_parts if cost.min_parts == cost.max_parts
                       else f"{cost.min_parts}-{cost.max_parts}"),
                      ("total SMS", cost.total_sms), ("encoding", "/".join(cost.encodings))])
    return 0


def local_time(moment, timezone: str) -> str:
    """A stored UTC instant shown in the dispatch's own time zone."""
    import pytz

    return moment.astimezone(pytz.timezone(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def audience_label(dispatch) -> str:
    if dispatch.explicit_audience:
        return f"the clients of a resend of {str(dispatch.source)[:8]}" if dispatch.source else "a list of clients"
    parts = []
    if dispatch.operator_codes:
        parts.append("operators " + ",".join(dispatch.operator_codes))
    if dispatch.tags:
        parts.append("tags " + ",".join(dispatch.tags))
    return "; ".join(parts) or "everyone"

