"""``payout-desk-admin``: the database administrator's command for a team journal (wiring level; no Qt).

    payout-desk-admin --db CONNINFO migrate
    payout-desk-admin --db CONNINFO add-person LOGIN --role preparer|viewer|admin|agent [--password-stdin]
    payout-desk-admin --db CONNINFO remove-person LOGIN
    payout-desk-admin --db CONNINFO people     (tab-separated: login, role, can log in)
    payout-desk-admin --db CONNINFO audit      (tab-separated: time, actor, action, detail JSON)
    payout-desk-admin --db CONNINFO set-provider URL   (the team's provider: the only one its agents send to)
    payout-desk-admin --db CONNINFO provider   (the team's provider base URL, or a line saying it is not set)

CONNINFO is a libpq URI or key=value string. Exit status: 0 done, 1 failure (a plain message on stderr),
2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import psycopg

from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.migrate import check_version, migrate
from payout_desk.journal.postgres.people import GROUPS, add_person, audit_log, list_people, remove_person
from payout_desk.journal.postgres.store import connect
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.urls import normalize_base_url

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
    return parser


def _set_provider(conn: psycopg.Connection[Any], url: str, out: TextIO) -> None:
    try:
        normalised = normalize_base_url(url.strip())
    except InsecureBaseUrlError as exc:
        raise JournalError(
            f"set-provider URL: {exc} (https:// required; http:// only for a sandbox on this computer)"
        ) from None
    conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (normalised,))
    print(f"provider: {normalised} (agents refuse to send anywhere else)", file=out)


def _show_provider(conn: psycopg.Connection[Any], out: TextIO) -> None:
    row = conn.execute("SELECT provider_base_url FROM payout_desk.team_settings").fetchone()
    url = None if row is None else row[0]
    print(url or "provider: not set; agents send nothing until `set-provider URL` is run", file=out)


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
            created = add_person(conn, args.login, args.role, password)
            print(f"{args.login}: {'created, ' if created else ''}now {args.role}", file=out)
        elif args.command == "remove-person":
            remove_person(conn, args.login)
            print(f"{args.login}: removed", file=out)
        elif args.command == "set-provider":
            _set_provider(conn, args.url, out)
        elif args.command == "provider":
            _show_provider(conn, out)
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
    except (JournalError, psycopg.Error) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"payout-desk-admin: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
