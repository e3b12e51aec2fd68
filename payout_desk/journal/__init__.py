"""The journal: every payout, every attempt and status change (the audit trail), versioned schema. No Qt.

Services hold a ``PayoutJournal`` (protocol.py): ``AsyncJournal`` (SQLite, one desk) or, in team mode,
``journal.postgres.async_pg.AsyncPgJournal`` (PostgreSQL; imported only where it is used)."""

from payout_desk.journal.async_journal import AsyncJournal
from payout_desk.journal.lock import JournalInUseError
from payout_desk.journal.models import (
    AttemptInfo,
    AttemptLike,
    DuplicateIdempotencyKeyError,
    DuplicateReferenceError,
    HistoryQuery,
    JournalError,
    JournalEvent,
    PaymentIdTakenError,
    PayoutNotFoundError,
    PayoutRecord,
    SchemaTooNewError,
    SortKey,
)
from payout_desk.journal.protocol import HistoryJournal, PayoutJournal
from payout_desk.journal.store import Journal

__all__ = [
    "AsyncJournal",
    "AttemptInfo",
    "AttemptLike",
    "DuplicateIdempotencyKeyError",
    "DuplicateReferenceError",
    "HistoryJournal",
    "HistoryQuery",
    "Journal",
    "JournalError",
    "JournalEvent",
    "JournalInUseError",
    "PaymentIdTakenError",
    "PayoutJournal",
    "PayoutNotFoundError",
    "PayoutRecord",
    "SchemaTooNewError",
    "SortKey",
]
