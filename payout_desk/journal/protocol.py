"""What services hold as "the journal": the coroutine interfaces of ``AsyncJournal`` (SQLite, single desk)
and ``AsyncPgJournal`` (PostgreSQL, team mode). Services and ui type against these Protocols and never know
which implementation they have. Pure typing; no I/O.

Two layers: ``HistoryJournal`` (reading the history: one payout, counts, totals, pages, events, every
match, the CSV export) and ``PayoutJournal`` (everything services send, poll, recover and reconcile
through: connection identity, attempt_started, ambiguity, mismatch, reconciliation, re-bind, near
duplicates). Both journals satisfy both (mypy checks each); the team journal refuses a search by amount
(``HistoryQuery.amount``) in plain words until its queries have it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import TYPE_CHECKING, Protocol

from payout_desk.journal.models import AttemptLike, HistoryQuery, JournalEvent, PayoutRecord

if TYPE_CHECKING:
    from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
    from payout_desk.domain.payout import PayoutRequest
    from payout_desk.domain.totals import CurrencyTotals
    from payout_desk.journal.once import WaitingConnection

__all__ = ["HistoryJournal", "PayoutJournal"]


class HistoryJournal(Protocol):
    """The history as both journals read it."""

    async def close(self) -> None: ...

    async def get(self, local_id: int) -> PayoutRecord: ...

    async def count(self, query: HistoryQuery) -> int: ...

    async def page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]: ...

    async def totals(self, query: HistoryQuery) -> list[CurrencyTotals]: ...

    async def events(self, local_id: int) -> list[JournalEvent]: ...

    def iter_matching(self, query: HistoryQuery, batch: int = 5000) -> AsyncIterator[PayoutRecord]: ...

    @property
    def export_columns(self) -> tuple[str, ...]:
        """The columns of ``write_export``'s lines, in order (the CSV header): ``export.sql.EXPORT_COLUMNS``,
        and on the team journal its approvals after them (``postgres.export.TEAM_EXPORT_COLUMNS``)."""
        ...

    async def write_export(
        self,
        query: HistoryQuery,
        sink: Callable[[bytes], object],
        *,
        defuse: Collection[str] = (),
        batch: int = 2000,
    ) -> int:
        """Write the CRLF-terminated CSV line (``export_columns``, cells starting with a
        ``defuse`` prefix get a leading ``'``) of every payout matching ``query``, in its order and from
        one snapshot, to ``sink`` (on a worker thread, a batch a call); the number of rows."""
        ...


class PayoutJournal(HistoryJournal, Protocol):
    """The journal as services use it. Every ``record_*`` is committed when it returns.

    ``actor`` is who did it on a single desk; the team journal takes it from the database login instead.
    ``connection_id`` is the provider connection a payout belongs to (``domain.identity``).
    """

    async def record_confirmed(
        self,
        request: PayoutRequest,
        *,
        idempotency_key: str,
        environment: str,
        profile: str,
        actor: str,
        connection_id: str | None = None,
        duplicates_shown: Sequence[int] = (),
    ) -> PayoutRecord: ...

    async def record_checkin_completed(self, local_id: int, *, actor: str) -> None: ...

    async def near_duplicates(self, probe: PayoutProbe) -> list[DuplicateMatch]: ...

    async def record_attempt_started(
        self, local_id: int, *, number: int, actor: str, keyed: bool = True
    ) -> PayoutRecord: ...

    async def record_attempt(
        self, local_id: int, attempt: AttemptLike, *, actor: str, ambiguous: bool = False
    ) -> None: ...

    async def mark_ambiguous(self, local_id: int, *, reason: str, actor: str) -> PayoutRecord: ...

    async def record_mismatch(
        self, local_id: int, *, problems: Sequence[str], answer: str, source: str, message: str, actor: str
    ) -> PayoutRecord: ...

    async def rebind(
        self, old_connection: str | None, new_connection: str, *, reason: str, actor: str
    ) -> list[int]: ...

    async def payment_owner(self, payment_id: str) -> int | None: ...

    async def reference_owner(self, connection_id: str, external_id: str) -> int | None: ...

    async def record_reconciled(
        self, local_id: int, *, decision: str, reason: str, actor: str, back_to: str
    ) -> PayoutRecord: ...

    async def record_needs_reconciliation(self, local_id: int, *, message: str, actor: str) -> PayoutRecord: ...

    async def waiting(self, connection_id: str) -> list[WaitingConnection]: ...

    async def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord: ...

    async def record_status(
        self, local_id: int, *, status: str, failure_reason: str | None, source: str, actor: str
    ) -> PayoutRecord | None: ...

    async def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord: ...

    async def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord: ...

    async def unsent(self, connection_id: str) -> list[PayoutRecord]: ...

    async def to_poll(
        self, connection_id: str, *, after: PayoutRecord | None = None, limit: int = -1
    ) -> list[PayoutRecord]: ...
