"""`tui-notifier report [ID]`: counts by status for every dispatch, or one with its messages."""
from __future__ import annotations

import sys

from tui_notifier.cli import Failure
from tui_notifier.cli.output import count_arg, print_json, print_table
from tui_notifier.models import MessageStatus


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="counts of messages by status",
        description="Without ID: every dispatch with its counts by status. With ID: that dispatch, "
                    "and with --messages a page of its messages.",
    )
    p.add_argument("id", nargs="?", help="a dispatch id (or a unique leading part)")
    p.add_argument("--json", action="store_true",
                   help="the report API's shape: a list for all, one object for one dispatch")
    p.add_argument("--messages", action="store_true", help="with ID: list the dispatch's messages")
    p.add_argument("--status", choices=MessageStatus.ALL, metavar="STATUS",
                   help="with --messages: only messages in this status (" + ", ".join(MessageStatus.ALL) + ")")
    p.add_argument("--page", type=count_arg(1), default=1, help="with --messages: page number (from 1)")
    p.add_argument("--page-size", type=count_arg(1), default=50)
    p.add_argument("--format", choices=("table", "csv"), default="table",
                   help="with --messages: csv writes every message of the dispatch (no pages) for a spreadsheet")
    p.add_argument("--email", action="store_true",
                   help="mail the last day's summary now to report_email.to over SMTP")
    p.add_argument("--verify", action="store_true",
                   help="count the messages again and say whether the counters reports read agree (exit 1 if not)")
    p.add_argument("--repair", action="store_true",
                   help="count every dispatch's messages again into its counters")
    p.set_defaults(handler=run)


def check_counts(repair: bool) -> int:
    from tui_notifier.core import reports

    if repair:
        print(f"recounted: {reports.repair_counts()} counters were wrong")
        return 0
    wrong = reports.verify_counts()
    if not wrong:
        print("the counters agree with the messages")
        return 0
    print_table(["dispatch", "status", "counted", "messages"],
                [[m.dispatch_id, m.status, m.counted, m.actual] for m in wrong])
    raise Failure(f"{len(wrong)} counters disagree with the messages: run `tui-notifier report --repair`")


def run(args, ctx) -> int:
    from tui_notifier.core.text import one_line
    from tui_notifier.core import reports
    from tui_notifier.core.export import message_row

    ctx.open_database()
    if args.email:
        from tui_notifier.delivery import mail

        try:
            mail.send_summary_now(ctx.config)
        except mail.MailError as exc:
            raise Failure(str(exc)) from None
        print(f"daily summary mailed to {', '.join(ctx.config.report_email.to)}")
        return 0
    if args.verify or args.repair:
        return check_counts(args.repair)
    if args.id is None:
        found = reports.all_reports()
        if args.json:
            print_json([r.as_json() for r in found])
        else:
            print_table(
                ["id", "status", "total", "created", "sending", "sent", "delivered", "failed",
                 "timeout", "cancelled", "text"],
                [[r.dispatch.id, r.dispatch.status, r.total, *(r.counts.get(s, 0) for s in (
                    "created", "sending", "sent", "delivered", "failed", "timeout", "cancelled")),
                  one_line(r.dispatch.message_text, 30)] for r in found],
            )
        return 0
    report = reports.dispatch_report(args.id)
    data = report.as_json()
    if args.messages and args.format == "csv":
        from tui_notifier.core.export import export_messages

        export_messages(sys.stdout, report.dispatch.id, args.status)
        return 0
    if args.messages:
        page = max(args.page, 1)
        messages = reports.dispatch_messages(report.dispatch.id, status=args.status,
                                             limit=args.page_size, offset=(page - 1) * args.page_size)
        rows = [message_row(m) for m in messages]
        if args.json:
            data["messages"] = rows
            data["page"] = page
            data["messages_total"] = reports.count_messages(report.dispatch.id, args.status)
        else:
            print_table(["id", "phone", "status", "attempts", "sent_at", "last_error"],
                        [[m["id"], m["phone"], m["status"], m["attempts"], m["sent_at"], m["last_error"]]
                         for m in rows])
            return 0
    if args.json:
        print_json(data)
    else:
        print_table(["status", "count"], [[s, n] for s, n in data["counts"].items()] + [["total", data["total"]]])
    return 0
