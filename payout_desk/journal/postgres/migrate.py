"""The team database's schema: versioned SQL migrations (``migrations/NNNN_*.sql``, shipped as package data),
applied in order under an advisory lock, each in one transaction with its row in ``schema_migrations``.

Only ``payout-desk-admin migrate`` (a superuser or the database owner) applies them; a desk or an agent
checks the version on connecting and refuses one it does not know, or one it would have to migrate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import psycopg

from payout_desk.journal.models import JournalError, SchemaTooNewError

__all__ = [
    "MIGRATE_LOCK",
    "Migration",
    "TeamSchemaMissingError",
    "TeamSchemaTooNewError",
    "TeamSchemaTooOldError",
    "check_version",
    "current_version",
    "migrate",
    "migrations",
    "supported_version",
]

#: pg_advisory_xact_lock key serialising migrations ("PDMG").
MIGRATE_LOCK: Final = 0x50444D47
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class TeamSchemaTooNewError(SchemaTooNewError):
    """The team database was migrated by a newer Payout Desk."""

    def __init__(self, where: str, found: int, supported: int) -> None:
        JournalError.__init__(
            self,
            f"The team database {where} has schema version {found}, but this version of Payout Desk only "
            f"understands up to version {supported}. Update Payout Desk on this computer; the database was "
            "not changed.",
        )
        self.found = found
        self.supported = supported


class TeamSchemaTooOldError(JournalError):
    """The team database needs migrating before this version of Payout Desk can use it."""


class TeamSchemaMissingError(JournalError):
    """The database has no Payout Desk team schema."""


@dataclass(frozen=True)
class Migration:
    """One step: the database goes from ``version - 1`` to ``version``."""

    version: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration shipped with this version, in order (numbered 1, 2, … without gaps)."""
    found: list[Migration] = []
    for entry in resources.files("payout_desk.journal.postgres").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2].replace("_", " "), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise JournalError(f"team schema migrations are not numbered 1…n: {[m.version for m in found]}")
    return tuple(found)


def supported_version() -> int:
    """The newest schema version this Payout Desk knows."""
    return migrations()[-1].version


def current_version(conn: psycopg.Connection[Any]) -> int:
    """The database's schema version (0 when it has no team schema)."""
    row = conn.execute("SELECT to_regclass('payout_desk.schema_migrations') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM payout_desk.schema_migrations").fetchone()
    return int(row[0]) if row is not None else 0


def _where(conn: psycopg.Connection[Any]) -> str:
    info = conn.info
    return f"“{info.dbname}” on {info.host or 'localhost'}"


def check_version(conn: psycopg.Connection[Any]) -> int:
    """The version, when it is exactly the one this Payout Desk knows; a plain JournalError otherwise."""
    found, supported = current_version(conn), supported_version()
    where = _where(conn)
    if found == 0:
        raise TeamSchemaMissingError(
            f"The database {where} has no Payout Desk team journal. Ask your database administrator to run "
            "`payout-desk-admin --db … migrate` on it first."
        )
    if found > supported:
        raise TeamSchemaTooNewError(where, found, supported)
    if found < supported:
        raise TeamSchemaTooOldError(
            f"The team database {where} has schema version {found}; this version of Payout Desk needs "
            f"version {supported}. Ask your database administrator to run `payout-desk-admin --db … migrate`."
        )
    return found


def migrate(conninfo: str) -> tuple[int, int]:
    """Apply every missing migration; (version before, version after). Safe to run concurrently: the
    advisory lock makes a second runner wait, then find nothing left to do."""
    supported = supported_version()
    with psycopg.connect(conninfo) as conn:
        before = None
        for migration in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
                found = current_version(conn)
                if before is None:
                    before = found
                if found > supported:
                    raise TeamSchemaTooNewError(_where(conn), found, supported)
                if found >= migration.version:
                    continue
                if found != migration.version - 1:
                    raise JournalError(f"team schema at version {found}, cannot apply {migration.version}")
                conn.execute(migration.sql.encode("utf-8"))  # several statements: no parameters
                conn.execute(
                    "INSERT INTO payout_desk.schema_migrations (version, description) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
        return before or 0, current_version(conn)
