"""People of the team journal: PostgreSQL login roles that are members of the app's group roles.

Creating and removing people is the database administrator's job (a superuser, or a role with CREATEROLE
outside the app's roles); ``payout-desk-admin`` does it through these functions, and each change is
recorded in ``payout_desk.admin_audit`` in the same transaction (``record_admin_change``, migration 4).
Passwords are sent only as SCRAM verifiers computed here (never as plain text a server log could keep).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import sql

from payout_desk.journal.models import JournalError

__all__ = [
    "GROUPS",
    "SUPERUSER_WORDS",
    "AuditEntry",
    "Person",
    "add_person",
    "audit_log",
    "check_login",
    "check_member",
    "list_people",
    "remove_person",
]

#: The app's group roles by the name people are given.
GROUPS: Final[dict[str, str]] = {
    "preparer": "payout_desk_preparer",
    "approver": "payout_desk_approver",
    "viewer": "payout_desk_viewer",
    "admin": "payout_desk_admin",
    "agent": "payout_desk_agent",
}
#: Why a superuser's login is refused where a person's is expected.
SUPERUSER_WORDS: Final = "a superuser is not a person of the team: log in as yourself"
_LOGIN: Final = re.compile(r"^[a-z_][a-z0-9_.@-]{0,62}$")


@dataclass(frozen=True)
class Person:
    """A login and the app role it holds (one line per role held, and per way it holds it).

    ``through``: "" when granted the app role itself; else the group roles it holds it through, nearest the
    login first (``"approvers"``; ``"team_a → approvers"``), second audit N5."""

    login: str
    role: str
    can_login: bool
    through: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One recorded administrative change."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def check_login(login: str) -> None:
    if not _LOGIN.match(login):
        raise JournalError(
            f"login {login!r}: use 1–63 lower-case letters, digits, '_', '.', '@' or '-', starting with a letter or '_'"
        )
    if login.startswith(("payout_desk_", "pg_")):
        raise JournalError(f"login {login!r}: names starting with payout_desk_ or pg_ are reserved")


def check_member(conn: psycopg.Connection[Any]) -> None:
    """JournalError unless the login holds one of the app's roles and is no superuser (audit F9)."""
    row = conn.execute(
        "SELECT session_user, bool_or(pg_has_role(session_user, g, 'USAGE')),"
        " (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user),"
        " array_agg(g ORDER BY g) FILTER (WHERE pg_has_role(session_user, g, 'MEMBER'))"
        " FROM unnest(%s::text[]) AS g",
        (list(GROUPS.values()),),
    ).fetchone()
    if row is not None and row[2]:
        raise JournalError(f"The login {row[0]} is a database superuser: {SUPERUSER_WORDS}.")
    if row is not None and not row[1] and row[3]:  # audit 2, N9: a member that does not inherit its group's rights
        raise JournalError(
            f"The login {row[0]} is a member of {', '.join(row[3])} but does not inherit its rights (the login is "
            f"NOINHERIT). Ask your database administrator to run: ALTER ROLE {row[0]} INHERIT"
        )
    if row is None or not row[1]:
        login = row[0] if row else "this login"
        raise JournalError(
            f"The login {login} has no Payout Desk role in this team database. Ask your database administrator "
            "to add you (payout-desk-admin add-person)."
        )


def _role(conn: psycopg.Connection[Any], login: str) -> tuple[bool, bool] | None:
    """(is superuser, can log in) of an existing role, or None."""
    row = conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]))


def _audit(conn: psycopg.Connection[Any], action: str, detail: dict[str, Any]) -> None:
    conn.execute("SELECT payout_desk.record_admin_change(%s, %s::jsonb)", (action, json.dumps(detail)))


def add_person(conn: psycopg.Connection[Any], login: str, role: str, password: str | None = None) -> bool:
    """Make ``login`` a member of the app role ``role`` (creating the login role when missing, with the
    password when given); True when the role was created. One transaction, audited."""
    check_login(login)
    if role not in GROUPS:
        raise JournalError(f"role {role!r}: choose one of {', '.join(GROUPS)}")
    with conn.transaction():
        existing = _role(conn, login)
        if existing is not None and existing[0]:
            raise JournalError(f"{login} is a database superuser; give people roles of their own")
        ident = sql.Identifier(login)
        if existing is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        if password is not None:
            verifier = conn.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(verifier.decode())))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS[role]), ident))
        detail = {"login": login, "role": role, "created": existing is None, "password_set": password is not None}
        _audit(conn, "add-person", detail)
    return existing is None


def remove_person(conn: psycopg.Connection[Any], login: str) -> None:
    """Remove a person: drop the login role (their payouts and events keep the name). Audited."""
    check_login(login)
    with conn.transaction():
        held = sorted({p.role for p in list_people(conn) if p.login == login})
        if not held:
            raise JournalError(f"{login} is not a Payout Desk person (no app role); nothing was changed")
        try:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(login)))
        except psycopg.errors.DependentObjectsStillExist as exc:
            detail = exc.diag.message_detail
            raise JournalError(f"{login} still owns or holds rights on other objects: {detail}") from exc
        _audit(conn, "remove-person", {"login": login, "roles": held})


#: Members of the app roles at any depth (a login granted a group that holds the role: second audit N5), with the
#: groups in between, nearest the member first. PostgreSQL refuses membership loops; the depth cap is a guard.
_MEMBERS: Final = """
WITH RECURSIVE held(member, app_role, through, depth) AS (
    SELECT a.member, a.roleid, ARRAY[]::text[] COLLATE "C", 1
      FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid
     WHERE g.rolname = ANY(%s)
    UNION
    SELECT a.member, h.app_role,
           (SELECT r.rolname::text COLLATE "C" FROM pg_roles r WHERE r.oid = h.member) || h.through, h.depth + 1
      FROM pg_auth_members a JOIN held h ON a.roleid = h.member
     WHERE h.depth < 32
)
SELECT DISTINCT m.rolname, g.rolname, m.rolcanlogin, array_to_string(h.through, ' → ')
  FROM held h JOIN pg_roles m ON m.oid = h.member JOIN pg_roles g ON g.oid = h.app_role
 ORDER BY 1, 2, 4
"""


def list_people(conn: psycopg.Connection[Any]) -> list[Person]:
    """Every member of an app role, directly or through groups, by login then role (direct first)."""
    rows = conn.execute(_MEMBERS, (list(GROUPS.values()),)).fetchall()
    names = {group: name for name, group in GROUPS.items()}
    return [Person(login, names[group], bool(can_login), through) for login, group, can_login, through in rows]


def audit_log(conn: psycopg.Connection[Any]) -> list[AuditEntry]:
    """The administrative changes, oldest first."""
    rows = conn.execute("SELECT at, actor, action, detail FROM payout_desk.admin_audit_log()").fetchall()
    return [AuditEntry(*row) for row in rows]
