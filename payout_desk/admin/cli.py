"""``payout-desk-admin``'s parser and commands: migrate, people, the audit, the team's provider and re-bind; the
approval commands live in :mod:`payout_desk.admin.rules`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Final, TextIO

import psycopg

from payout_desk.admin.reconcile import add_reconcile_command, reconcile
from payout_desk.admin.rules import APPROVAL_COMMANDS, add_approval_commands, run_approval_command
from payout_desk.domain.approvals import (
    ApprovalRefusedError,
)
from payout_desk.domain.identity import ConnectionIdentity, describe_key
from payout_desk.domain.money import AmountError
from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.migrate import check_version, migrate
from payout_desk.journal.postgres.people import (
    GROUPS,
    add_person,
    audit_log,
    list_people,
    remove_person,
)
from payout_desk.journal.postgres.store import connect
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.urls import normalize_base_url
from payout_desk.services.team import team_identity
from payout_desk.services.team_connection import check_team_connection
from payout_desk.services.team_rebind import rebind_onto_team

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
    provider.add_argument(
        "--force",
        action="store_true",
        help="change it although payouts may still be paid at the current provider (audited; they become "
        "needs reconciliation, for `reconcile`)",
    )
    commands.add_parser("provider", help="show the team's provider base URL")
    rebind = commands.add_parser("rebind", help="move unsent payouts of an earlier provider to the team's (audited)")
    rebind.add_argument("--reason", required=True, help="why (recorded in the admin audit)")
    add_approval_commands(commands)
    add_reconcile_command(commands)
    return parser


def _set_provider(conn: psycopg.Connection[Any], url: str, force: bool, out: TextIO) -> None:
    try:
        normalised = normalize_base_url(url.strip())
    except InsecureBaseUrlError as exc:
        raise JournalError(
            f"set-provider URL: {exc} (https:// required; http:// only for a sandbox on this computer)"
        ) from None
    try:
        row = conn.execute("SELECT payout_desk.set_provider_base_url(%s, %s)", (normalised, force)).fetchone()
    except psycopg.Error as exc:
        if exc.sqlstate == "PDA01" and exc.diag.message_primary:  # payouts still open at the current provider
            raise JournalError(f"set-provider refused: {exc.diag.message_primary}") from None
        raise
    print(
        f"provider: {normalised} (agents refuse to send anywhere else; an agent still running with another "
        "provider claims nothing more and stops)",
        file=out,
    )
    forced = [] if row is None else list(row[0])
    if forced:
        ids = ", ".join(f"#{i}" for i in forced)
        print(
            f"forced (audited): {ids} may still be paid at the former provider and now need reconciliation; no "
            "agent follows them. Check each at that provider, then record it: payout-desk-admin reconcile N "
            "--found PAYMENT_ID --reason TEXT",
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
_OPEN_AT_PROVIDER = ("awaiting_approval", "confirmed", "outcome_unknown", "pending", "created", "needs_reconciliation")


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


def _rebind(conn: psycopg.Connection[Any], reason: str, out: TextIO) -> None:
    """Audit F16: the admin's decision; only payouts no provider can hold move (services/team_rebind.py)."""
    team, done = rebind_onto_team(conn, reason)
    if not done:
        print(f"nothing waits for another provider: every open payout is {describe_key(team)}'s", file=out)
    for result in done:
        moved = ", ".join(f"#{i}" for i in result.moved) or "none"
        print(f"{describe_key(result.old_connection)}: moved to the team's provider: {moved}", file=out)
        if result.left:
            left = ", ".join(f"#{i}" for i in result.left)
            print(f"  left: {left} — they may exist at the old provider (sent or tried there): reconcile them there "
                  "first; re-binding them could pay them twice", file=out)  # fmt: skip


PEOPLE_COMMANDS = ("add-person", "remove-person")
DBA_ONLY = (
    "{command} needs the database administrator's login (a role with CREATEROLE, as `make team` and the README "
    "set up), not an app admin's: ask whoever runs the team's PostgreSQL"
)


#: Maker-checker (audit 2, N3): whoever changes the approval rules neither prepares nor approves payouts.
_MAKERS: Final = frozenset({"preparer", "approver"})
_ROLE_WORDS: Final = {"preparer": "a preparer", "approver": "an approver"}


def _check_roles_apart(conn: psycopg.Connection[Any], login: str, role: str) -> None:
    """Roles that one login may not hold together are refused in words, nothing changed: an agent's login holds
    the agent role alone (it runs with the provider token); an app admin (who changes the approval rules) is no
    preparer or approver, or one person could drop a rule, prepare a payout that then needs no approval, and put
    the rule back (the database refuses such an admin's rule changes too, migration 21)."""
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
    makers = sorted(_MAKERS.intersection(held))
    if role == "admin" and makers:
        raise JournalError(
            f"{login} is {' and '.join(_ROLE_WORDS[m] for m in makers)}: one person may not both change the approval "
            "rules (admin) and prepare or approve payouts, or they could lower a rule for their own payout. Give "
            "the administrator a login of its own; nothing was changed."
        )
    if role in _MAKERS and "admin" in held:
        raise JournalError(
            f"{login} is an app admin (changes the approval rules): one person may not also {role[:-1]} payouts, "
            "or they could lower a rule for their own payout. Give the person a login of their own; nothing was "
            "changed."
        )


def _run(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> None:
    try:
        check_team_connection(args.db)  # the desk's and agent's rule, before anything is dialled
    except ValueError as exc:
        fix = " (use sslmode=verify-full with the server's CA as sslrootcert)" if "sslmode" in str(exc) else ""
        raise JournalError(f"--db: {exc}{fix}; the team database was not contacted") from None
    try:
        _dispatch(args, stdin, out)
    except psycopg.errors.InsufficientPrivilege as exc:
        if args.command in PEOPLE_COMMANDS:
            raise JournalError(DBA_ONLY.format(command=args.command) + f" ({str(exc).strip()})") from None
        raise


def _dispatch(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> None:
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
            _check_roles_apart(conn, args.login, args.role)
            created = add_person(conn, args.login, args.role, password)
            print(f"{args.login}: {'created, ' if created else ''}now {args.role}", file=out)
        elif args.command == "remove-person":
            remove_person(conn, args.login)
            print(f"{args.login}: removed", file=out)
        elif args.command == "set-provider":
            _set_provider(conn, args.url, args.force, out)
        elif args.command == "provider":
            _show_provider(conn, out)
        elif args.command == "rebind":
            _rebind(conn, args.reason, out)
        elif args.command == "reconcile":
            reconcile(conn, args, out)
        elif args.command in APPROVAL_COMMANDS:
            run_approval_command(conn, args, out)
        elif args.command == "people":
            for person in list_people(conn):
                through = f"\tthrough {person.through}" if person.through else ""
                print(f"{person.login}\t{person.role}\t{'login' if person.can_login else 'nologin'}{through}", file=out)
        else:
            for entry in audit_log(conn):
                detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
                print(f"{entry.at.isoformat()}\t{entry.actor}\t{entry.action}\t{detail}", file=out)


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the command; the exit status (argparse exits 2 on a usage error)."""
    args = _parser().parse_args(argv)
    try:
        _run(args, stdin or sys.stdin, out or sys.stdout)
    except BrokenPipeError:  # `rules | head -3`: the reader left; what was done is done, and no traceback
        if out is None:  # the interpreter's last flush of stdout would fail again: point it at nothing
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (JournalError, psycopg.Error, ApprovalRefusedError, AmountError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"payout-desk-admin: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
