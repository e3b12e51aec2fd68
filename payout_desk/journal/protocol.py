"""What services hold as "the journal": the coroutine interface both journals implement — ``AsyncJournal``
(SQLite, single desk) and ``AsyncPgJournal`` (PostgreSQL, team mode). Services and ui type against this
Protocol and never know which one they have. Pure typing; no I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from typing import TYPE_CHECKING, Protocol

from payout_desk.journal.models import AttemptLike, HistoryQuery, JournalEvent, PayoutRecord

if TYPE_CHECKING:
    from payout_desk.domain.payout import PayoutRequest

__all__ = ["PayoutJournal"]


class PayoutJournal(Protocol):
    """The journal as services use it. Every ``record_*`` is committed when it returns.

    ``actor`` is who did it on a single desk; the team journal takes it from the database login instead.
    """

    async def close(self) -> None: ...

    async def record_confirmed(
        self, request: PayoutRequest, *, idempotency_key: str, environment: str, profile: str, actor: str
    ) -> PayoutRecord: ...

    async def record_attempt(self, local_id: int, attempt: AttemptLike, *, actor: str) -> None: ...

    async def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord: ...

    async def record_status(
        self, local_id: int, *, status: str, failure_reason: str | None, source: str, actor: str
    ) -> PayoutRecord | None: ...

    async def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord: ...

    async def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord: ...

    async def get(self, local_id: int) -> PayoutRecord: ...

    async def unsent(self) -> list[PayoutRecord]: ...

    async def to_poll(self) -> list[PayoutRecord]: ...

    async def count(self, query: HistoryQuery) -> int: ...

    async def page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]: ...

    async def events(self, local_id: int) -> list[JournalEvent]: ...

    def iter_matching(self, query: HistoryQuery, batch: int = 5000) -> AsyncIterator[PayoutRecord]: ...

    async def write_export(
        self,
        query: HistoryQuery,
        sink: Callable[[bytes], object],
        *,
        defuse: Collection[str] = (),
        batch: int = 2000,
    ) -> int:
        """Write the CRLF-terminated CSV line (``export_sql.EXPORT_COLUMNS``, cells starting with a
        ``defuse`` prefix get a leading ``'``) of every payout matching ``query``, in its order and from
        one snapshot, to ``sink`` (on a worker thread, a batch a call); the number of rows."""
        ...
