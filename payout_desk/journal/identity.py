"""What the app remembers about each journal it has opened, so a damaged one is never silently replaced.

SQLite opens a missing or 0-byte file as a new, empty database: without a memory of the journal that
was there, unsent payouts would vanish without a word. :class:`JournalRegistry` keeps, per journal
(its real path), in a small owner-only JSON file beside the settings:

- ``fingerprint``: a hash of the first payout's Idempotency-Key (set once the journal has a payout;
  a different journal at the same path has another one), and
- ``records``: the last known number of records (the highest event id: events are append-only, so it
  only ever grows).

:func:`check_journal` runs before the journal is opened (read only, nothing written) and raises a
:class:`JournalDamagedError` for a journal it has seen that is now missing, empty, unreadable, another
journal, or shorter than it was; an unreadable file it has never seen is refused too (never touched).
The registry keeps no payout data and no secrets.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from payout_desk.journal.models import JournalError
from payout_desk.journal.private import write_private

__all__ = [
    "REGISTRY_FILE",
    "JournalDamagedError",
    "JournalFacts",
    "JournalRegistry",
    "check_journal",
    "checked_journal_path",
    "corruption",
    "read_facts",
    "remember_journal",
    "set_aside",
]

#: The registry's file name (in the config folder, beside settings.json).
REGISTRY_FILE: Final = "journals.json"
#: SQLite's primary result codes for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB).
CORRUPT_CODES: Final = frozenset({11, 26})


class JournalDamagedError(JournalError):
    """A journal the app cannot use as it is; ``reason`` is missing, empty, unreadable, replaced or
    shortened. ``str()`` is the plain message for a finance user, ``detail`` the technical one."""

    def __init__(self, path: Path, reason: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.detail = detail
        self.user_message = message


@dataclass(frozen=True)
class JournalFacts:
    """What a readable journal says about itself."""

    fingerprint: str | None
    records: int


def _damaged(path: Path, reason: str, what: str, detail: str = "") -> JournalDamagedError:
    return JournalDamagedError(
        path,
        reason,
        f"The payout journal {path} {what} Payout Desk left it as it is and did not start a new journal "
        "in its place. Restore the newest backup, or start a new journal (the old file is kept aside).",
        detail,
    )


def corruption(path: Path, exc: BaseException) -> JournalDamagedError | None:
    """The journal error for an sqlite3 error that means a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB),
    else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.DatabaseError) or code is None or (code & 0xFF) not in CORRUPT_CODES:
        return None
    return _damaged(path, "unreadable", "is damaged: part of it cannot be read.", str(exc))


def read_facts(path: Path) -> JournalFacts:
    """Fingerprint and record count of the journal at ``path``, read only; sqlite3.DatabaseError
    when the file is not a readable database."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only = ON")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"payouts", "events"} <= tables:
            return JournalFacts(None, 0)
        first = conn.execute("SELECT idempotency_key FROM payouts ORDER BY local_id LIMIT 1").fetchone()
        last = conn.execute("SELECT max(event_id) FROM events").fetchone()
    finally:
        conn.close()
    fingerprint = hashlib.sha256(str(first[0]).encode()).hexdigest()[:32] if first else None
    return JournalFacts(fingerprint, int(last[0] or 0))


class JournalRegistry:
    """The remembered facts of every journal this app has opened (a JSON file, 0600, atomic writes)."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:  # an unreadable memory is never a reason to forget
            raise JournalError(f"the journal registry {self.path} is unreadable: {exc}") from exc
        journals = data.get("journals") if isinstance(data, dict) else None
        return journals if isinstance(journals, dict) else {}

    def _save(self, journals: dict[str, Any]) -> None:
        text = json.dumps({"journals": journals}, indent=2, sort_keys=True) + "\n"
        write_private(self.path, text.encode())

    def known(self, journal: Path) -> JournalFacts | None:
        """The remembered facts of ``journal`` (its real path), or None if never seen."""
        entry = self._load().get(str(journal))
        if not isinstance(entry, dict):
            return None
        fingerprint = entry.get("fingerprint")
        return JournalFacts(fingerprint if isinstance(fingerprint, str) else None, int(entry.get("records") or 0))

    def remember(self, journal: Path, facts: JournalFacts) -> None:
        """Store ``facts`` for ``journal``; the record count never goes down here (use ``reset``)."""
        with self._lock:
            journals = self._load()
            old = journals.get(str(journal))
            records = facts.records
            fingerprint = facts.fingerprint
            if isinstance(old, dict) and old.get("fingerprint") in (fingerprint, None):
                records = max(records, int(old.get("records") or 0))
                fingerprint = fingerprint or old.get("fingerprint")
            journals[str(journal)] = {
                "fingerprint": fingerprint,
                "records": records,
                "seen": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            self._save(journals)

    def reset(self, journal: Path, facts: JournalFacts | None) -> None:
        """Replace what is remembered (after a restore or a new journal); None forgets it."""
        with self._lock:
            journals = self._load()
            journals.pop(str(journal), None)
            if facts is not None:
                journals[str(journal)] = {
                    "fingerprint": facts.fingerprint,
                    "records": facts.records,
                    "seen": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            self._save(journals)


def check_journal(journal: Path, registry: JournalRegistry) -> JournalFacts | None:
    """Refuse (JournalDamagedError) a journal that is missing, empty, unreadable, another journal or
    shorter than remembered; its facts when it is fine; None for a new journal (nothing there and
    nothing remembered). Reads only."""
    known = registry.known(journal)
    try:
        size = journal.stat().st_size
    except FileNotFoundError:
        if known is not None:
            raise _damaged(journal, "missing", "is missing.") from None
        return None
    if size == 0:
        if known is not None:
            raise _damaged(journal, "empty", "is empty (0 bytes): its contents were lost.")
        return None  # a file created but never written: SQLite makes it a new journal
    try:
        facts = read_facts(journal)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) == 14:  # SQLITE_CANTOPEN: a permission or folder problem
            raise _damaged(journal, "unreadable", "cannot be read.", str(exc)) from exc
        raise _damaged(journal, "unreadable", "is damaged and cannot be read.", str(exc)) from exc
    if known is None:
        return facts
    if known.fingerprint is not None and facts.fingerprint != known.fingerprint:
        what = "is not the journal this app used here before (another file took its place)."
        raise _damaged(journal, "replaced", what)
    if facts.records < known.records:
        raise _damaged(
            journal,
            "shortened",
            f"has fewer entries than when it was last used ({facts.records:,} instead of {known.records:,}).",
        )
    return facts


def remember_journal(journal: Path, registry: JournalRegistry) -> JournalFacts:
    """Read the journal's facts (read only) and remember them; they are returned."""
    facts = read_facts(journal)
    registry.remember(journal, facts)
    return facts


def checked_journal_path(journal: Path, registry: JournalRegistry) -> Path:
    """The journal's real file (symlinks resolved, one hard link only), after :func:`check_journal`."""
    from payout_desk.journal.lock import real_journal_path

    real = real_journal_path(journal)
    check_journal(real, registry)
    return real


def set_aside(journal: Path, label: str) -> Path | None:
    """Rename the journal and its -wal/-shm files to ``<name>.<label>-<UTC stamp>`` (kept, never
    deleted); the new path of the main file, or None when there was none."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = journal.with_name(f"{journal.name}.{label}-{stamp}")
    moved: Path | None = None
    for suffix in ("", "-wal", "-shm"):
        source = journal.with_name(journal.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            os.replace(source, aside.with_name(aside.name + suffix))
            if not suffix:
                moved = aside
    return moved
