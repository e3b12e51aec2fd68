"""``payout-desk-admin``: the database administrator's command for a team journal (wiring level; no Qt).

    payout-desk-admin --db CONNINFO migrate
    payout-desk-admin --db CONNINFO add-person LOGIN --role preparer|approver|viewer|admin|agent [--password-stdin]
    payout-desk-admin --db CONNINFO remove-person LOGIN
    payout-desk-admin --db CONNINFO people     (tab-separated: login, role, can log in)
    payout-desk-admin --db CONNINFO audit      (tab-separated: time, actor, action, detail JSON)
    payout-desk-admin --db CONNINFO set-provider URL   (the team's provider: the only one its agents send to)
    payout-desk-admin --db CONNINFO provider   (the team's provider base URL, or a line saying it is not set)
    payout-desk-admin --db CONNINFO set-rule --currency EUR|* --from AMOUNT --approvers N [--preparer LOGIN]
    payout-desk-admin --db CONNINFO rules      (the approval rules in plain sentences; which currencies need none)
    payout-desk-admin --db CONNINFO set-expiry DAYS   (how long payouts wait for their approvals; default 7)
    payout-desk-admin --db CONNINFO set-retype-threshold --currency EUR AMOUNT|default

CONNINFO is a libpq URI or key=value string. Exit status: 0 done, 1 failure (a plain message on stderr),
2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

import psycopg

from payout_desk.domain.approvals import ApprovalRefusedError, rules_summary, uncovered
from payout_desk.domain.identity import ConnectionIdentity, describe_key
from payout_desk.domain.money import AmountError, Currency, UnknownCurrencyError, currency, parse_amount
from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.migrate import check_version, migrate
from payout_desk.journal.postgres.people import (
    GROUPS,
    add_person,
    audit_log,
    check_login,
    list_people,
    remove_person,
)
from payout_desk.journal.postgres.store import connect
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.urls import normalize_base_url
from payout_desk.services.team import team_identity

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="payout-desk-admin", description="Administer a Payout Desk team database.")
    parser.add_argument("--db", required=True, metavar="CONNINFO", help="libpq URI or key=value connection string")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="create or upgrade the team schema")
    add = commands.add_parser("add-person", help="give a login one of the app's roles (creating the login)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=sorted(GROUPS))
    add.add_argument("--password-stdin", action="store_true", help="read the login's password from stdin")
    remove = commands.add_parser("remove-person", help="remove a login that holds an app role")
    remove.add_argument("login")
    commands.add_parser("people", help="list people and their roles (tab-separated)")
    commands.add_parser("audit", help="list the recorded administrative changes (tab-separated)")
    provider = commands.add_parser("set-provider", help="set the team's provider base URL (audited)")
    provider.add_argument("url", help="https://… (http:// only for a loopback sandbox)")
    commands.add_parser("provider", help="show the team's provider base URL")
    add_approval_commands(commands)
    return parser


def _set_provider(conn: psycopg.Connection[Any], url: str, out: TextIO) -> None:
    try:
        normalised = normalize_base_url(url.strip())
    except InsecureBaseUrlError as exc:
        raise JournalError(
            f"set-provider URL: {exc} (https:// required; http:// only for a sandbox on this computer)"
        ) from None
    conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (normalised,))
    print(
        f"provider: {normalised} (agents refuse to send anywhere else; an agent still running with another "
        "provider claims nothing more and stops)",
        file=out,
    )
    left = _bound_elsewhere(conn, team_identity(normalised).key)
    if left:
        print(
            f"warning: {len(left)} payout{'s' if len(left) != 1 else ''} still bound to a former provider "
            f"will never be sent to {normalised} (an administrator decides about each):",
            file=out,
        )
        for line in left:
            print(f"  {line}", file=out)


#: Payouts not finished at their provider: unsent, waiting, or still followed there.
_OPEN_AT_PROVIDER = ("awaiting_approval", "confirmed", "outcome_unknown", "pending", "created")


def _bound_elsewhere(conn: psycopg.Connection[Any], team_key: str) -> list[str]:
    """One line per open payout bound to another connection than ``team_key``: id, status, amount, provider."""
    rows = conn.execute(
        "SELECT local_id, status, amount, currency, created_by, connection_id FROM payout_desk.payouts"
        " WHERE connection_id IS DISTINCT FROM %s AND status = ANY(%s) ORDER BY local_id",
        (team_key, list(_OPEN_AT_PROVIDER)),
    ).fetchall()
    lines = []
    for local_id, status, amount, code, by, key in rows:
        where = describe_key(key)
        if key:
            with contextlib.suppress(ValueError):
                where = ConnectionIdentity.parse(key).endpoint
        words = "confirmed, not sent" if status == "confirmed" else status.replace("_", " ")
        lines.append(f"#{local_id} {words}, {amount} {code}, prepared by {by}, bound to {where}")
    return lines


def _show_provider(conn: psycopg.Connection[Any], out: TextIO) -> None:
    row = conn.execute("SELECT provider_base_url FROM payout_desk.team_settings").fetchone()
    url = None if row is None else row[0]
    print(url or "provider: not set; agents send nothing until `set-provider URL` is run", file=out)


APPROVAL_COMMANDS = ("set-rule", "rules", "set-expiry", "set-retype-threshold")
_ANY_CURRENCY = Currency("*", "any currency", 4)  # a rule for * is a plain amount of at most 4 decimals


def add_approval_commands(commands: Any) -> None:
    """The approval rules' commands (issue 21)."""
    rule = commands.add_parser("set-rule", help="set one approval tier (audited; --approvers 0 removes it)")
    rule.add_argument("--currency", required=True, help="a currency code (EUR) or * for every other currency")
    rule.add_argument("--from", dest="amount_from", required=True, metavar="AMOUNT", help="from this amount on")
    rule.add_argument("--approvers", required=True, type=int, help="approvals needed (0: remove this tier)")
    rule.add_argument("--preparer", metavar="LOGIN", help="only for this preparer's payouts (adds to the rule)")
    commands.add_parser("rules", help="show the approval rules and which currencies need no approval")
    expiry = commands.add_parser("set-expiry", help="days a payout may wait for its approvals (default 7)")
    expiry.add_argument("days", type=int)
    retype = commands.add_parser("set-retype-threshold", help="from which amount the amount is typed twice")
    retype.add_argument("--currency", required=True)
    retype.add_argument("amount", help="an amount, or default")


def _rule_currency(code: str) -> Currency:
    if code == "*":
        return _ANY_CURRENCY
    try:
        return currency(code.strip().upper())
    except UnknownCurrencyError as exc:
        raise JournalError(f"--currency {code!r}: not an active ISO 4217 currency code (or * for all)") from exc


def _rule_amount(text: str, code: Currency) -> Decimal:
    """An exact amount of zero or more (never float); the money module's rules and words."""
    try:
        return parse_amount(text, code)
    except AmountError as exc:
        if exc.rule == "zero":
            return Decimal(0)
        raise JournalError(f"--from {text!r}: {exc}") from None


def _approvers(n: int) -> str:
    return "no approval" if n == 0 else f"{n} approver{'s' if n != 1 else ''}"


def run_approval_command(conn: psycopg.Connection[Any], args: argparse.Namespace, out: TextIO) -> None:
    """set-rule, rules, set-expiry, set-retype-threshold."""
    if args.command == "set-rule":
        code = _rule_currency(args.currency)
        amount = _rule_amount(args.amount_from, code)
        if args.preparer is not None:
            check_login(args.preparer)
        old = approvals.set_rule(conn, code.code, amount, args.approvers, args.preparer)
        who = f" prepared by {args.preparer}" if args.preparer else ""
        print(
            f"{code.code}{who} from {format(amount, 'f')}: {_approvers(args.approvers)} (was {_approvers(old)}); "
            "applies to payouts confirmed from now on, payouts already waiting keep theirs",
            file=out,
        )
        warning = uncovered(approvals.list_rules(conn))
        if warning:
            print(warning, file=out)
    elif args.command == "rules":
        for line in rules_summary(approvals.list_rules(conn)):
            print(line, file=out)
        print(f"Payouts wait {approvals.expiry_days(conn)} days for their approvals, then expire unsent.", file=out)
    elif args.command == "set-expiry":
        old = approvals.set_expiry(conn, args.days)
        print(f"approval expiry: {args.days} days (was {old}); applies to payouts confirmed from now on", file=out)
    else:
        code = _rule_currency(args.currency)
        if code.code == "*":
            raise JournalError("--currency: a retype threshold is per currency (EUR, JPY, …), not *")
        value = None if args.amount.strip().lower() == "default" else _rule_amount(args.amount, code)
        approvals.set_retype_threshold(conn, code.code, value)
        shown = approvals.retype_thresholds(conn).get(code.code, Decimal(0))
        print(f"{code.code}: the amount is typed twice from {format(shown, 'f')} on", file=out)


def _check_agent_alone(conn: psycopg.Connection[Any], login: str, role: str) -> None:
    """An agent's login holds the agent role alone (it runs with the provider token): refused otherwise."""
    held = sorted({p.role for p in list_people(conn) if p.login == login} - {role})
    if role == "agent" and held:
        raise JournalError(
            f"{login} already holds the role {', '.join(held)}: an agent's login holds the agent role alone (whoever "
            "runs the agent holds the provider token). Give the agent a login of its own; nothing was changed."
        )
    if role != "agent" and "agent" in held:
        raise JournalError(
            f"{login} is an agent's login and holds the agent role alone. Give the person a login of their own; "
            "nothing was changed."
        )


def _run(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> None:
    if args.command == "migrate":
        before, after = migrate(args.db)
        print(f"team schema at version {after}" + (f" (was {before})" if before != after else " (unchanged)"), file=out)
        return
    password = None
    if getattr(args, "password_stdin", False):
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise JournalError("--password-stdin: no password on standard input")
    with connect(args.db) as conn:
        check_version(conn)
        if args.command == "add-person":
            _check_agent_alone(conn, args.login, args.role)
            created = add_person(conn, args.login, args.role, password)
            print(f"{args.login}: {'created, ' if created else ''}now {args.role}", file=out)
        elif args.command == "remove-person":
            remove_person(conn, args.login)
            print(f"{args.login}: removed", file=out)
        elif args.command == "set-provider":
            _set_provider(conn, args.url, out)
        elif args.command == "provider":
            _show_provider(conn, out)
        elif args.command in APPROVAL_COMMANDS:
            run_approval_command(conn, args, out)
        elif args.command == "people":
            for person in list_people(conn):
                print(f"{person.login}\t{person.role}\t{'login' if person.can_login else 'nologin'}", file=out)
        else:
            for entry in audit_log(conn):
                detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
                print(f"{entry.at.isoformat()}\t{entry.actor}\t{entry.action}\t{detail}", file=out)


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the command; the exit status (argparse exits 2 on a usage error)."""
    args = _parser().parse_args(argv)
    try:
        _run(args, stdin or sys.stdin, out or sys.stdout)
    except (JournalError, psycopg.Error, ApprovalRefusedError, AmountError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"payout-desk-admin: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
