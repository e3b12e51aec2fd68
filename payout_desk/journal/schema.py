"""The journal's schema: DDL, versioned migrations (``PRAGMA user_version``), connection set-up.

Every migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a
crash leaves the database at the previous version. Before migrating an existing database a consistent
copy is written next to it with the sqlite3 backup API. A database from a newer schema is refused.

Times are INTEGER UTC epoch microseconds (sortable, indexable, compact). Amounts are the exact wire
text plus ``amount_scaled`` = amount × 10^4 as INTEGER for sorting; never REAL (the tables are STRICT).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from payout_desk.journal.migrations import (
    AMOUNT_SCALE,
    APPLICATION_ID,
    EVENT_COLUMNS,
    FINAL_SQL,
    FTS_COLUMNS,
    FTS_SHADOW_TABLES,
    FTS_TABLE_DDL,
    MIGRATIONS,
    PAYOUT_COLUMNS,
    SCHEMA_VERSION,
    Migration,
)
from payout_desk.journal.models import JournalError, SchemaTooNewError

__all__ = [
    "AMOUNT_SCALE",
    "APPLICATION_ID",
    "EVENT_COLUMNS",
    "FINAL_SQL",
    "FTS_COLUMNS",
    "FTS_SHADOW_TABLES",
    "FTS_TABLE_DDL",
    "MIGRATIONS",
    "PAYOUT_COLUMNS",
    "SCHEMA_VERSION",
    "Migration",
    "apply_migrations",
    "backup_path",
    "configure",
    "connect",
    "open_database",
    "scaled_amount",
    "schema_version",
]



def scaled_amount(wire: str) -> int:
    """``amount_scaled`` for a wire amount: exact integer amount × 10^4; ValueError if not exact."""
    scaled = Decimal(wire) * AMOUNT_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {wire!r} has more than 4 fraction digits")
    return int(scaled)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's ``PRAGMA user_version``."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _restrict(path: Path) -> None:
    """chmod 0600 when the file exists and is looser (POSIX only)."""
    if sys.platform == "win32":
        return
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if mode != 0o600:
        os.chmod(path, 0o600)


def _create_private(path: Path) -> None:
    """Create the directory (0700) and an empty database file (0600) when missing."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if sys.platform != "win32":
            os.chmod(path.parent, 0o700)  # mkdir's mode is filtered by the umask
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def configure(conn: sqlite3.Connection) -> None:
    """Connection settings: WAL, synchronous=FULL (a commit survives power loss), foreign keys."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise JournalError(f"could not put the journal in WAL mode (got {mode!r})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_size_limit = 67108864")
    conn.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache for history queries
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA mmap_size = 2000000000")  # reads without a syscall per page (writes are unchanged)


def connect(path: Path, *, verify: Callable[[sqlite3.Connection], None] | None = None) -> sqlite3.Connection:
    """Open ``path`` owner-only and configured; no schema work. Autocommit mode (explicit BEGINs).

    ``verify(conn)`` runs before anything is written (WAL mode changes the file header), so a
    database that is refused is left exactly as it was.
    """
    path = Path(path)
    _create_private(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if verify is not None:
            verify(conn)
        _restrict(path)
        configure(conn)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # make SQLite create -wal/-shm
        for suffix in ("-wal", "-shm"):
            _restrict(path.with_name(path.name + suffix))
    except BaseException:
        conn.close()
        raise
    return conn


def backup_path(path: Path, version: int, now: datetime | None = None) -> Path:
    """Where the pre-migration copy of a version-``version`` database goes (the journal's backups
    folder, where journal/backup.py lists and prunes it with the daily backups)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return path.parent / "backups" / f"{path.name}.v{version}-{stamp}.bak"


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    target = backup_path(path, version)
    _create_private(target)
    dst = sqlite3.connect(target)
    try:
        conn.backup(dst)
    finally:
        dst.close()
    _restrict(target)
    return target


def apply_migrations(
    conn: sqlite3.Connection,
    *,
    upto: int = SCHEMA_VERSION,
    migrations: Sequence[Migration] = MIGRATIONS,
    prebuilt: Callable[[sqlite3.Connection, Migration], bool] | None = None,
) -> int:
    """Apply every migration above the current version up to ``upto``; returns the new version.

    No backup, no checks: ``open_database`` does those. ``prebuilt(conn, migration)``, when given,
    runs inside the migration's transaction after its DDL; returning True means it populated the
    new structures itself (the benchmark fill brings an FTS index built in parallel), so the
    migration's ``populate`` step is skipped.
    """
    for migration in migrations:
        if migration.version > upto:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            if not (prebuilt is not None and prebuilt(conn, migration)):
                for statement in _statements(migration.populate):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a DDL script into complete statements (triggers contain inner semicolons)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not current:
            continue
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        raise JournalError(f"incomplete statement in migration: {current[:80]!r}")
    return out


def open_database(
    path: Path, *, migrations: Sequence[Migration] = MIGRATIONS
) -> tuple[sqlite3.Connection, Path | None]:
    """Connect, refuse a newer or foreign database, back up and migrate; (connection, backup path)."""
    path = Path(path)
    target = migrations[-1].version

    def verify(conn: sqlite3.Connection) -> None:
        version = schema_version(conn)
        if version > target:
            raise SchemaTooNewError(str(path), version, target)
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if app_id not in (0, APPLICATION_ID) or (version == 0 and tables):
            raise JournalError(f"{path} is an SQLite database but not a Payout Desk journal; not touching it")

    conn = connect(path, verify=verify)
    try:
        version = schema_version(conn)
        backup: Path | None = None
        if 0 < version < target:
            backup = _backup(conn, path, version)
        if version < target:
            apply_migrations(conn, upto=target, migrations=migrations)
        return conn, backup
    except BaseException:
        conn.close()
        raise
