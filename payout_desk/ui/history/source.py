"""Where the history model reads from: :class:`HistorySource` (``PayoutDesk`` satisfies it) and
:class:`JournalHistorySource` (an ``AsyncJournal`` as a source). Both are awaited on the qasync loop;
the reads themselves run on the journal's worker thread. No Qt here.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from payout_desk.journal.models import HistoryQuery, PayoutRecord

__all__ = ["HistorySource", "JournalHistorySource"]


class HistorySource(Protocol):
    """What the model reads: the facade ``PayoutDesk`` satisfies it."""

    def history_count(self, query: HistoryQuery) -> Awaitable[int]: ...
    def history_page(self, query: HistoryQuery, offset: int, limit: int) -> Awaitable[list[PayoutRecord]]: ...


class _JournalLike(Protocol):
    def count(self, query: HistoryQuery) -> Awaitable[int]: ...
    def page(self, query: HistoryQuery, offset: int, limit: int) -> Awaitable[list[PayoutRecord]]: ...


class JournalHistorySource:
    """Adapts ``AsyncJournal`` (``count``/``page``) to :class:`HistorySource`."""

    def __init__(self, journal: _JournalLike) -> None:
        self.journal = journal

    async def history_count(self, query: HistoryQuery) -> int:
        return await self.journal.count(query)

    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        return await self.journal.page(query, offset, limit)
