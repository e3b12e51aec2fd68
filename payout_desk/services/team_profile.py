"""A Team profile at work: its password in the keychain, the conninfo the launch opens, and Test connection.

* :func:`resolve_team_conninfo` — what the launch calls to open a desk on a Team profile: the saved libpq
  settings, checked (:func:`~payout_desk.services.team_connection.check_team_connection`), with the password
  from the keychain added when there is one. Blocking (the keychain): call it off the GUI thread.
* :func:`store_team_password` / :func:`forget_team_password` — the password, in the OS keychain under
  ``payout-desk-team`` / ``login@host:port/database`` (:class:`~payout_desk.services.secrets.TokenStore`;
  memory only, for this session, when there is no real keychain). Never in the settings file, a log or an error.
* :func:`check_team_database` — Test connection: connects once and says in plain words what happened (auth
  failed, unreachable, the secure connection not verified, no such database, not a Payout Desk database, the
  wrong schema version, the login not a person of the team, or connected as whom). Blocking: off the GUI thread.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final

import psycopg

from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.migrate import TeamSchemaTooNewError, check_version
from payout_desk.journal.postgres.people import GROUPS, SUPERUSER_WORDS
from payout_desk.services.profiles import Profile
from payout_desk.services.secrets import TEAM_SERVICE_NAME, TokenStore
from payout_desk.services.team_connection import TeamConnection, check_team_connection

__all__ = [
    "TeamCheck",
    "TeamCheckStatus",
    "check_team_database",
    "forget_team_password",
    "resolve_team_conninfo",
    "store_team_password",
    "team_password",
    "team_passwords",
]

_ROLE_NAMES: Final = {group: name for name, group in GROUPS.items()}
_AUTH_WORDS: Final = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf rejects",
    "no pg_hba.conf entry",
)
_TLS_WORDS: Final = ("ssl", "certificate", "tls")


def team_passwords(secrets: TokenStore) -> TokenStore:
    """The keychain store of Team profiles' database passwords (beside ``secrets``, the provider tokens)."""
    return secrets.for_service(TEAM_SERVICE_NAME)


def _connection(profile: Profile) -> TeamConnection:
    if profile.kind != "team" or profile.team is None:
        raise ValueError(f"the profile “{profile.name}” is not a Team profile")
    return profile.team


def team_password(profile: Profile, secrets: TokenStore) -> str | None:
    """The stored database password of a Team profile, or None (blocking: the keychain)."""
    return team_passwords(secrets).get(_connection(profile).keychain_account)


def store_team_password(tc: TeamConnection, password: str, secrets: TokenStore) -> None:
    """Keep ``password`` for ``tc``'s login, host, port and database in the keychain (blocking)."""
    team_passwords(secrets).set(tc.keychain_account, password)


def forget_team_password(tc: TeamConnection, secrets: TokenStore) -> None:
    """Remove the stored password of ``tc`` (no error if there was none; blocking)."""
    team_passwords(secrets).delete(tc.keychain_account)


def resolve_team_conninfo(profile: Profile, secrets: TokenStore) -> str:
    """The conninfo that opens a desk on the Team ``profile``: its libpq settings, checked, with the keychain's
    password when one is stored (without one libpq may still use a certificate, Kerberos or ~/.pgpass).
    ValueError, naming the field and the rule, when the profile is not a Team profile or breaks the rule."""
    tc = _connection(profile)
    check_team_connection(tc)
    return tc.conninfo(team_passwords(secrets).get(tc.keychain_account))


class TeamCheckStatus(enum.Enum):
    """What Test connection found."""

    OK = "ok"
    SETTINGS = "settings"  # the rule refused the settings; nothing was tried
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"
    TLS_ERROR = "tls_error"
    NO_DATABASE = "no_database"
    NOT_PAYOUT_DESK = "not_payout_desk"
    WRONG_SCHEMA = "wrong_schema"
    NOT_A_PERSON = "not_a_person"


@dataclass(frozen=True)
class TeamCheck:
    """Test connection's verdict: the status, the sentence for the person, and who they are when connected."""

    status: TeamCheckStatus
    message: str
    login: str | None = None
    roles: tuple[str, ...] = ()
    version: int | None = None

    @property
    def ok(self) -> bool:
        """True when the desk could open on this profile."""
        return self.status is TeamCheckStatus.OK


def _detail(exc: Exception) -> str:
    text = str(exc).strip().removeprefix("connection failed:").strip()
    return text.split("\n")[0] if text else type(exc).__name__


def _connect_failure(tc: TeamConnection, exc: psycopg.OperationalError, with_password: bool) -> TeamCheck:
    text = str(exc).lower()
    detail = _detail(exc)
    where = tc.display()
    if any(words in text for words in _AUTH_WORDS) or ("role" in text and "does not exist" in text):
        hint = "" if with_password else " No password is stored for this login: type it in the Password field."
        return TeamCheck(TeamCheckStatus.AUTH_FAILED,
                         f"The database refused the login {tc.user}: check the login and its password.{hint} "
                         f"({detail})")  # fmt: skip
    if "database" in text and "does not exist" in text:
        return TeamCheck(TeamCheckStatus.NO_DATABASE,
                         f"The server has no database named “{tc.dbname}”, so it is not a Payout Desk database. "
                         f"Check the database name with your administrator. ({detail})")  # fmt: skip
    if any(words in text for words in _TLS_WORDS):
        return TeamCheck(TeamCheckStatus.TLS_ERROR,
                         f"The secure connection to {tc.host or 'the server'} could not be verified, so nothing was "
                         f"sent. Check the CA certificate (sslrootcert) or ask IT. ({detail})")  # fmt: skip
    return TeamCheck(TeamCheckStatus.UNREACHABLE,
                     f"Could not reach the team database at {where}. Check the host and port, your network or VPN, "
                     f"and try again. ({detail})")  # fmt: skip


def _inspect(conn: psycopg.Connection[Any], tc: TeamConnection) -> TeamCheck:
    groups = list(GROUPS.values())
    row = conn.execute(
        "SELECT session_user,"
        " (SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)),"
        " EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'payout_desk')",
        (groups,),
    ).fetchone()
    assert row is not None
    login, known_groups, has_schema = str(row[0]), int(row[1]), bool(row[2])
    if known_groups == 0 or not has_schema:
        return TeamCheck(TeamCheckStatus.NOT_PAYOUT_DESK,
                         f"Connected, but “{tc.dbname}” is not a Payout Desk database (it has no team journal). "
                         "Check the database name, or ask your administrator to run `payout-desk-admin migrate` "
                         "on it.", login)  # fmt: skip
    held = conn.execute(
        "SELECT g FROM unnest(%s::text[]) AS g WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g)"
        " AND pg_has_role(session_user, g, 'USAGE')"
        " AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) ORDER BY g",
        (groups,),
    ).fetchall()
    roles = tuple(_ROLE_NAMES[g] for (g,) in held)
    superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").fetchone()
    if superuser is not None and superuser[0]:
        return TeamCheck(TeamCheckStatus.NOT_A_PERSON,
                         f"Connected as {login}, a database superuser: {SUPERUSER_WORDS} (the login your "
                         "administrator gave you with payout-desk-admin add-person).", login)  # fmt: skip
    if not roles:
        return TeamCheck(TeamCheckStatus.NOT_A_PERSON,
                         f"Connected as {login}, but {login} is not a person of this team (no Payout Desk role). "
                         f"Ask your administrator: payout-desk-admin add-person {login} --role preparer.",
                         login)  # fmt: skip
    try:
        version = check_version(conn)
    except JournalError as exc:
        status = TeamCheckStatus.WRONG_SCHEMA
        if not isinstance(exc, TeamSchemaTooNewError) and "no Payout Desk team journal" in str(exc):
            status = TeamCheckStatus.NOT_PAYOUT_DESK
        return TeamCheck(status, str(exc), login, roles)
    return TeamCheck(TeamCheckStatus.OK,
                     f"Connected to “{tc.dbname}” as {login} ({', '.join(roles)}); the team journal is at "
                     f"version {version}, the one this Payout Desk uses.", login, roles, version)  # fmt: skip


def check_team_database(tc: TeamConnection, password: str | None) -> TeamCheck:
    """Test connection: connect once as ``tc`` (with ``password`` if given), look, disconnect. Blocking."""
    try:
        check_team_connection(tc)
    except ValueError as exc:
        return TeamCheck(TeamCheckStatus.SETTINGS, f"Not tried: {exc}.")
    try:
        conn = psycopg.connect(tc.conninfo(password), autocommit=True)
    except psycopg.OperationalError as exc:
        return _connect_failure(tc, exc, with_password=bool(password))
    try:
        return _inspect(conn, tc)
    except psycopg.Error as exc:
        return TeamCheck(TeamCheckStatus.NOT_PAYOUT_DESK,
                         f"Connected, but reading the team journal failed: {_detail(exc)}")  # fmt: skip
    finally:
        conn.close()
