"""The verbs of `desk ticket`, each an `add(subparsers)` and a `run(args) -> status`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Callable

from . import ticket_output as out
from .ticket_store import (CHANNELS, EXIT_CONFLICT, PRIORITIES, STATUSES, Refused, add_format,
                     now, opened)


@dataclass(frozen=True)
class Verb:
    add: Callable[[Any], argparse.ArgumentParser]
    run: Callable[[argparse.Namespace], int]


# -- list ------------------------------------------------------------------------------------

def _add_list(sub: Any) -> argparse.ArgumentParser:
    from ..core.queue_views import VIEWS_BY_KEY

    p = sub.add_parser("list", help="the queue: a view and the queue's filter")
    p.add_argument("filter", nargs="*",
                   help="the queue's filter, e.g. 'status:open -tag:spam' (one quoted argument, "
                        "or after `--`, so that a term starting with - is not an option)")
    p.add_argument("--view", choices=list(VIEWS_BY_KEY), default="open",
                   help="the queue's view (default: open; all and solved_today read closed tickets)")
    add_format(p)
    return p


def _list(args: argparse.Namespace) -> int:
    from ..core.filter import parse
    from ..core.queue import Lookups, build_row
    from ..core.queue_views import VIEWS_BY_KEY, ViewContext, select

    flt = parse(" ".join(args.filter))
    for note in flt.notes:
        sys.stderr.write(f"desk ticket list: note: {note}\n")
    view = VIEWS_BY_KEY[args.view]
    with opened(args, writing=False) as store:
        lookups = Lookups.build({c.id: c.model_dump(mode="json") for c in store.customers()},
                                {p.id: p.model_dump(mode="json") for p in store.products()})
        rows = [build_row(doc, lookups) for doc in store.ticket_docs(include_archive=view.needs_archive)]
        chosen = select(rows, view, flt, ViewContext.at(store.agent, now()))
    listed = [out.list_row(row.doc or {"id": row.id}) for row in chosen.rows]
    if args.format == "json":
        out.write_json(listed)
    elif args.format == "csv":
        out.write_csv(out.LIST_COLUMNS, listed)
    else:
        out.print_list(listed)
    return 0


# -- show ------------------------------------------------------------------------------------

def _add_show(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("show", help="one ticket and its thread (CSV: one row per message)")
    p.add_argument("id", help="the ticket, e.g. T-12")
    add_format(p)
    return p


def _show(args: argparse.Namespace) -> int:
    with opened(args, writing=False) as store:
        ticket = store.get_ticket(args.id)
    if args.format == "json":
        out.write_json(ticket.to_doc())
    elif args.format == "csv":
        out.write_csv(out.MESSAGE_COLUMNS, out.message_rows(ticket))
    else:
        out.print_ticket(ticket)
    return 0


def _print_changed(args: argparse.Namespace, ticket: Any, what: str) -> int:
    if getattr(args, "format", "table") == "json":
        out.write_json(ticket.to_doc())
    else:
        print(f"{ticket.id} {what} (revision {ticket.rev})")
    return 0


# -- new -------------------------------------------------------------------------------------

def _add_new(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("new", help="a new ticket (for a known customer, or a new one)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", metavar="C", help="the customer: an id (C-3), an email or a phone")
    who.add_argument("--new-customer", metavar="NAME", help="add this customer first")
    p.add_argument("--email", help="the new customer's email")
    p.add_argument("--phone", help="the new customer's phone")
    p.add_argument("--language", default="en", help="the new customer's language (BCP 47)")
    p.add_argument("--subject", required=True)
    p.add_argument("--body", help="the first message (default: read from standard input)")
    p.add_argument("--channel", choices=CHANNELS, default="email")
    p.add_argument("--priority", choices=PRIORITIES, default="normal")
    p.add_argument("--product", help="a product id")
    p.add_argument("--source", choices=("customer", "agent"), default="customer",
                   help="who opened it: the customer, or you (an outbound contact)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def _find_customer(store: Any, typed: str) -> str:
    for customer in store.customers():
        if typed in (customer.id, customer.email, customer.phone):
            return customer.id
    raise Refused(f"no customer is {typed!r} (an id, an email or a phone; or use --new-customer)")


def _new(args: argparse.Namespace) -> int:
    body = _body(args)
    with opened(args, writing=True) as store:
        if args.product and args.product not in {p.id for p in store.products()}:
            raise Refused(f"--product: no product {args.product!r}")
        customer = (_find_customer(store, args.customer) if args.customer else store.insert_customer(
            name=args.new_customer, email=args.email, phone=args.phone, language=args.language).id)
        ticket = store.insert_ticket(customer=customer, subject=args.subject, body=body,
                                     channel=args.channel, priority=args.priority,
                                     product=args.product, source=args.source)
    return _print_changed(args, ticket, "created")


def _body(args: argparse.Namespace) -> str:
    body = args.body if args.body is not None else sys.stdin.read()
    if not body.strip():
        raise Refused("the message is empty (give --body TEXT or text on standard input)")
    return body


# -- update ----------------------------------------------------------------------------------

def _add_update(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("update", help="change fields; refused if the ticket moved past --rev")
    p.add_argument("id")
    p.add_argument("--rev", type=int, help="the revision your change is based on (default: the "
                   "current one); a stale one is refused, exit status 3")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--priority", choices=PRIORITIES)
    p.add_argument("--assignee", metavar="LOGIN", help="an agent's login, `me`, or `-` for nobody")
    p.add_argument("--group")
    p.add_argument("--product")
    p.add_argument("--subject")
    p.add_argument("--resolution-code", dest="resolution_code")
    p.add_argument("--add-tag", action="append", default=[], metavar="TAG")
    p.add_argument("--remove-tag", action="append", default=[], metavar="TAG")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


FIELDS = ("status", "priority", "group", "product", "subject", "resolution_code")


def _changes(args: argparse.Namespace, agent: str) -> dict[str, Any]:
    from ..core.identity import AgentNameError, safe_agent_name

    changes = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    if args.assignee is not None:
        try:
            changes["assignee"] = (None if args.assignee == "-" else agent if args.assignee == "me"
                                   else safe_agent_name(args.assignee))
        except AgentNameError as exc:
            raise Refused(f"--assignee: {exc}") from None
    return changes


def _update(args: argparse.Namespace) -> int:
    with opened(args, writing=True) as store:
        changes = _changes(args, store.agent)
        if not changes and not args.add_tag and not args.remove_tag:
            raise Refused("nothing to change (give --status, --priority, --assignee, --add-tag, …)")
        ticket = store.get_ticket(args.id)
        rev = ticket.rev if args.rev is None else args.rev
        if changes:
            ticket = store.update_ticket(args.id, changes, expected_rev=rev)
        elif rev != ticket.rev:  # tags alone commute, but a stale base is still named
            raise Refused(f"conflict: {args.id} was changed by someone else (you had revision "
                          f"{rev}, it is now {ticket.rev}); nothing was changed", EXIT_CONFLICT)
        if args.add_tag or args.remove_tag:
            ticket = store.change_tags(args.id, args.add_tag, args.remove_tag)
    return _print_changed(args, ticket, "updated")


# -- reply and note --------------------------------------------------------------------------

def _add_message(kind: str, help_text: str) -> Callable[[Any], argparse.ArgumentParser]:
    def add(sub: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(kind, help=help_text)
        p.add_argument("id")
        p.add_argument("--body", help="the text (default: read from standard input)")
        p.add_argument("--rev", type=int, help="the revision you read; if the ticket has since "
                       "changed, nothing is sent, exit status 3")
        if kind == "reply":
            p.add_argument("--status", choices=STATUSES, help="and set the status (send and solve)")
        p.add_argument("--format", choices=("table", "json"), default="table")
        return p
    return add


def _message(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        body = _body(args)
        with opened(args, writing=True) as store:
            ticket = store.get_ticket(args.id)
            if args.rev is not None and args.rev != ticket.rev:
                raise Refused(f"conflict: {args.id} was changed by someone else (you had "
                              f"revision {args.rev}, it is now {ticket.rev}, status "
                              f"{ticket.status}, {len(ticket.messages)} messages); nothing was "
                              "sent: show it, then retry with its revision", EXIT_CONFLICT)
            ticket = store.append_message(args.id, kind="public_reply" if kind == "reply"
                                          else "internal_note", body=body)
            if getattr(args, "status", None):
                ticket = store.update_ticket(args.id, {"status": args.status}, ticket.rev)
        return _print_changed(args, ticket, "reply sent" if kind == "reply" else "note added")
    return run


# -- merge -----------------------------------------------------------------------------------

def _add_merge(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("merge", help="merge a ticket into another (the same problem twice)")
    p.add_argument("id", help="the ticket to merge (it is solved and points to the target)")
    p.add_argument("into", help="the ticket that takes its thread and contacts")
    p.add_argument("--rev", type=int, help="the revision of the merged ticket you read")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def _merge(args: argparse.Namespace) -> int:
    from ..core.merge import merge_tickets

    with opened(args, writing=True) as store:
        merged = merge_tickets(store, args.id, args.into, args.rev)
    if args.format == "json":
        out.write_json({"source": merged.source.to_doc(), "target": merged.target.to_doc()})
    else:
        print(f"{merged.source.id} merged into {merged.target.id} "
              f"({len(merged.target.messages)} messages there now)")
    return 0


VERBS = {
    "list": Verb(_add_list, _list),
    "show": Verb(_add_show, _show),
    "new": Verb(_add_new, _new),
    "update": Verb(_add_update, _update),
    "reply": Verb(_add_message("reply", "a public reply"), _message("reply")),
    "note": Verb(_add_message("note", "an internal note"), _message("note")),
    "merge": Verb(_add_merge, _merge),
}
