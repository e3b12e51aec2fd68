"""The SQLite journal: every payout, every attempt and status change (the audit trail), versioned schema. No Qt."""

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
from payout_desk.journal.store import Journal

__all__ = [
    "AsyncJournal",
    "AttemptInfo",
    "AttemptLike",
    "DuplicateIdempotencyKeyError",
    "DuplicateReferenceError",
    "HistoryQuery",
    "Journal",
    "JournalError",
    "JournalEvent",
    "JournalInUseError",
    "PaymentIdTakenError",
    "PayoutNotFoundError",
    "PayoutRecord",
    "SchemaTooNewError",
    "SortKey",
]
