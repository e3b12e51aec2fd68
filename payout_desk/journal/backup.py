"""Automatic journal backups with SQLite's online backup API, and a verified restore.

Backups live in ``<journal folder>/backups/`` (0700), each file 0600:

- a **daily** backup, made at start-up when the newest one is older than a day
  (``journal.sqlite3.<UTC stamp>.daily.bak``);
- a **pre-migration** copy before each schema migration (``journal.sqlite3.v<N>-<stamp>.bak``, written
  by ``schema.open_database``).

After each new backup the oldest are deleted until at most ``keep`` remain and they fit within
``cap_bytes`` (the newest is always kept). The online backup API copies a consistent snapshot while
the journal stays open and writable (other connections' writes restart it; the journal's WAL keeps
readers consistent).

:func:`verify_backup` runs ``PRAGMA integrity_check`` and checks the application id and schema version;
:func:`restore_backup` verifies, then, holding the journal's lock, moves the current journal aside
(kept, never deleted) and puts a copy of the backup in its place.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from payout_desk.journal.identity import JournalFacts, JournalRegistry, read_facts, set_aside
from payout_desk.journal.lock import JournalLock, real_journal_path
from payout_desk.journal.models import JournalError
from payout_desk.journal.private import private_dir, restrict

__all__ = [
    "BACKUP_DIR",
    "DEFAULT_CAP_BYTES",
    "DEFAULT_KEEP",
    "BackupCheck",
    "BackupInfo",
    "backup_folder",
    "daily_backup_if_due",
    "list_backups",
    "make_backup",
    "newest_good_backup",
    "prune",
    "quick_check",
    "restore_backup",
    "start_new_journal",
    "verify_backup",
]

BACKUP_DIR: Final = "backups"
DEFAULT_KEEP: Final = 7
DEFAULT_CAP_BYTES: Final = 4 * 1024**3
DAILY: Final = timedelta(days=1)
_PAGES_PER_STEP: Final = 4096
_STAMP: Final = "%Y%m%dT%H%M%S%fZ"
_NAMED = re.compile(r"\.(?P<stamp>\d{8}T\d{12}Z)\.(?P<kind>daily|manual)\.bak$")
_MIGRATION = re.compile(r"\.v(?P<version>\d+)-(?P<stamp>\d{8}T\d{12}Z)\.bak$")
_KIND_LABELS: Final = {"daily": "Daily", "manual": "Made by hand", "migration": "Before an upgrade"}


@dataclass(frozen=True)
class BackupInfo:
    """One backup file."""

    path: Path
    created: datetime  # aware, UTC
    kind: str  # daily, manual, migration
    size: int

    @property
    def label(self) -> str:
        return _KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class BackupCheck:
    """The result of verifying a backup: ``ok`` and, when not, ``problem`` in plain words."""

    ok: bool
    problem: str = ""
    facts: JournalFacts | None = None


def backup_folder(journal: Path) -> Path:
    """Where ``journal``'s backups go (beside its real file)."""
    return journal.parent / BACKUP_DIR


def _info(path: Path) -> BackupInfo | None:
    for pattern, kind in ((_NAMED, None), (_MIGRATION, "migration")):
        match = pattern.search(path.name)
        if match:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                return None
            created = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
            return BackupInfo(path, created, kind or match["kind"], size)
    return None


def list_backups(journal: Path) -> list[BackupInfo]:
    """Every backup of ``journal``, newest first."""
    folder = backup_folder(journal)
    if not folder.is_dir():
        return []
    found = [info for p in folder.glob(f"{journal.name}.*.bak") if (info := _info(p)) is not None]
    return sorted(found, key=lambda b: b.created, reverse=True)


def make_backup(journal: Path, kind: str = "daily", *, now: datetime | None = None) -> Path:
    """A consistent copy of ``journal`` through the online backup API (read only on the source);
    written to a temporary name first, so a half-written backup is never listed."""
    folder = private_dir(backup_folder(journal))
    stamp = (now or datetime.now(UTC)).strftime(_STAMP)
    target = folder / f"{journal.name}.{stamp}.{kind}.bak"
    partial = target.with_name(f".{target.name}.partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=_PAGES_PER_STEP)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    finally:
        source.close()
    restrict(partial)
    os.replace(partial, target)
    return target


def prune(journal: Path, *, keep: int = DEFAULT_KEEP, cap_bytes: int = DEFAULT_CAP_BYTES) -> list[Path]:
    """Delete the oldest backups beyond ``keep`` or beyond ``cap_bytes`` in total (the newest stays);
    the deleted paths."""
    backups = list_backups(journal)
    kept: list[BackupInfo] = []
    removed: list[Path] = []
    total = 0
    for info in backups:
        if kept and (len(kept) >= keep or total + info.size > cap_bytes):
            with contextlib.suppress(FileNotFoundError):
                info.path.unlink()
            removed.append(info.path)
            continue
        kept.append(info)
        total += info.size
    return removed


def daily_backup_if_due(
    journal: Path, *, now: datetime | None = None, keep: int = DEFAULT_KEEP, cap_bytes: int = DEFAULT_CAP_BYTES
) -> Path | None:
    """Back ``journal`` up when it exists and its newest daily backup is a day old or more; prune."""
    if not journal.exists() or journal.stat().st_size == 0:
        return None
    current = now or datetime.now(UTC)
    dailies = [b for b in list_backups(journal) if b.kind == "daily"]
    if dailies and current - dailies[0].created < DAILY:
        return None
    made = make_backup(journal, "daily", now=current)
    prune(journal, keep=keep, cap_bytes=cap_bytes)
    return made


def verify_backup(path: Path) -> BackupCheck:
    """``PRAGMA integrity_check`` on the backup (read only), and that it is a Payout Desk journal of a
    schema this version can open."""
    from payout_desk.journal.schema import APPLICATION_ID, SCHEMA_VERSION

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)")]
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
        if rows != ["ok"]:
            return BackupCheck(False, "This backup is damaged too (its integrity check failed).")
        if app_id != APPLICATION_ID or version < 1:
            return BackupCheck(False, "This file is not a Payout Desk journal.")
        if version > SCHEMA_VERSION:
            return BackupCheck(False, "This backup was made by a newer Payout Desk; update the app first.")
        return BackupCheck(True, facts=read_facts(path))
    except sqlite3.DatabaseError:
        return BackupCheck(False, "This backup cannot be read (it is damaged or not a journal).")


def newest_good_backup(journal: Path) -> tuple[BackupInfo, BackupCheck] | None:
    """The newest backup that passes :func:`verify_backup`, or None."""
    for info in list_backups(journal):
        check = verify_backup(info.path)
        if check.ok:
            return info, check
    return None


def quick_check(journal: Path) -> list[str]:
    """``PRAGMA quick_check`` on a read-only connection of its own (the journal stays usable meanwhile;
    about 13 s at a million payouts): [] when the journal is sound, else SQLite's first findings."""
    try:
        conn = sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check(20)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"{type(exc).__name__}: {exc}"]
    return [] if rows == ["ok"] else rows


def restore_backup(
    backup: Path, journal: Path, registry: JournalRegistry, *, verified: BackupCheck | None = None
) -> Path | None:
    """Verify ``backup`` (unless ``verified`` is the check just made) and put a copy of it in place of
    ``journal``; the damaged file is moved aside (its new path returned; None if there was none).
    Raises JournalError if the backup is not good or the journal is open elsewhere (its lock is held
    during the swap)."""
    check = verified if verified is not None else verify_backup(backup)
    if not check.ok or check.facts is None:
        raise JournalError(check.problem or "The backup could not be verified.")
    journal = real_journal_path(journal)
    lock = JournalLock(journal)
    lock.acquire()  # JournalInUseError if another window has it open
    try:
        incoming = journal.with_name(f".{journal.name}.restoring")
        fd = os.open(incoming, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        shutil.copyfile(backup, incoming)
        with open(incoming, "rb+") as handle:
            os.fsync(handle.fileno())
        restrict(incoming)
        aside = set_aside(journal, "damaged")
        os.replace(incoming, journal)
        registry.reset(journal, check.facts)
        return aside
    finally:
        lock.release()


def start_new_journal(journal: Path, registry: JournalRegistry) -> Path | None:
    """Move the journal (and its -wal/-shm) aside, kept, and forget it, so the next open starts a new,
    empty journal; the aside path (None if there was no file). Holds the journal's lock meanwhile."""
    journal = real_journal_path(journal)
    lock = JournalLock(journal)
    lock.acquire()
    try:
        aside = set_aside(journal, "set-aside")
        registry.reset(journal, None)
        return aside
    finally:
        lock.release()
