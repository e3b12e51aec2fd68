"""Generated journals, cached under ``benchmarks/results/`` (gitignored ``*.sqlite3*``).

The cache key is the row count, the seed and the journal's schema version: a schema change makes a
fresh file. Benchmarks never open the cached file itself — they get a working copy in a data dir
(``data_dir_with``), so nothing a run writes (WAL, ``PRAGMA optimize``, status changes) leaks into
the next run's input.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from benchmarks.harness import RESULTS_DIR

__all__ = ["JOURNAL_NAME", "cached_journal", "data_dir_with"]

JOURNAL_NAME = "journal.sqlite3"  # what payout_desk.app.context.AppPaths.journal expects


def _schema_key() -> str:
    """``v<schema version>-<hash>``: the hash covers every migration's SQL, so a migration edited in place
    (before a release) also makes a fresh file. (A changed generator does not: delete the file.)"""
    from payout_desk.journal import schema

    digest = hashlib.sha256()
    for migration in schema.MIGRATIONS:
        digest.update(f"{migration.version}\0{migration.sql}\0".encode())
    return f"v{schema.SCHEMA_VERSION}-{digest.hexdigest()[:10]}"


def _holds(path: Path, rows: int) -> bool:
    """Whether ``path`` is a complete generated journal of ``rows`` payouts (read-only look)."""
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
        try:
            (last,) = conn.execute("SELECT max(local_id) FROM payouts").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(last == rows)


def cached_journal(rows: int, seed: int = 7, *, log: bool = True) -> Path:
    """A journal with ``rows`` generated payouts; generated (``benchmarks.journal_fill.fill``) if missing.

    Generation writes a private temporary file and renames it into place, under an exclusive lock:
    a second benchmark process waits for the first instead of generating (or clobbering) the same file,
    and an interrupted generation never leaves a file that looks complete.
    """
    from benchmarks.journal_fill import fill

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"journal-{rows}-s{seed}-{_schema_key()}.sqlite3"
    if _holds(path, rows):
        return path
    with open(RESULTS_DIR / f"journal-{rows}-s{seed}.sqlite3.lock", "w") as lock:  # gitignored: *.sqlite3*
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        if _holds(path, rows):
            return path  # another process generated it while this one waited
        for stale in RESULTS_DIR.glob(f"journal-{rows}-s{seed}-*.sqlite3*"):  # older schema, generator, leftovers
            stale.unlink(missing_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        began = time.perf_counter()
        if log:
            print(f"generating a {rows:,}-payout journal at {path.name} (cached for later runs)…", file=sys.stderr)
        try:
            stats = fill(tmp, rows, seed)
            os.replace(tmp, path)
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        if log:
            print(
                f"  {stats.rows:,} payouts, {stats.events:,} events, {path.stat().st_size / 1e6:.0f} MB "
                f"in {time.perf_counter() - began:.1f} s",
                file=sys.stderr,
            )
    return path


def data_dir_with(journal: Path | None, directory: Path) -> Path:
    """``directory`` (created, 0700) holding a copy of ``journal`` as the app's journal file."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if journal is not None:
        target = directory / JOURNAL_NAME
        shutil.copyfile(journal, target)
        os.chmod(target, 0o600)
    return directory
