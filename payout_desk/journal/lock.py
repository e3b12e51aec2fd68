"""One process at a time per journal: an exclusive OS file lock beside the database.

Two app instances on one journal would both resend the same unsent payouts at start (the stored
Idempotency-Key keeps the provider from paying twice, but the audit trail would show two senders
racing). The lock is advisory and held for as long as the journal is open; the operating system
drops it when the process ends, however it ends, so a crash never leaves the journal locked.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from payout_desk.journal.models import JournalError

__all__ = ["JournalInUseError", "JournalLinkedError", "JournalLock", "real_journal_path"]


class JournalInUseError(JournalError):
    """Another process has this journal open."""

    def __init__(self, path: Path, holder: str) -> None:
        who = f" (process {holder})" if holder else ""
        super().__init__(
            f"The payout journal {path} is already open in another Payout Desk{who}. "
            "Close that window first: two windows on one journal could send the same payouts twice."
        )
        self.path = path
        self.holder = holder


class JournalLinkedError(JournalError):
    """The journal file has more than one hard link (more than one name on disk)."""

    def __init__(self, path: Path, links: int) -> None:
        super().__init__(
            f"The payout journal {path} has {links} names on disk (hard links). Payout Desk opens a "
            "journal under one name only, so that two windows can never write to it at once. "
            "Remove the extra names (keep this one), then start Payout Desk again."
        )
        self.path = path
        self.links = links


def real_journal_path(path: Path) -> Path:
    """The journal's real file: symlinks resolved (the lock, the WAL and the backups follow it);
    JournalLinkedError when that file has more than one hard link."""
    real = Path(os.path.realpath(path))
    try:
        links = real.stat().st_nlink
    except FileNotFoundError:
        return real
    if links > 1:
        raise JournalLinkedError(real, links)
    return real


class JournalLock:
    """An exclusive, non-blocking lock on ``<journal>.lock``; raise JournalInUseError when taken."""

    def __init__(self, journal_path: Path) -> None:
        self.path = journal_path.with_name(journal_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise JournalInUseError at once (never waits)."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # also when an older lock file was made looser
        try:
            _lock(fd)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise JournalInUseError(self.path.with_suffix(""), holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip() if hasattr(os, "pread") else ""
    return ""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
