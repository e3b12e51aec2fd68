"""The journal's side of the desk: history, details, timeline and export, with no provider at all.

The history belongs to the journal, not to the connection: :class:`Records` opens with the journal
at start-up and serves the history panel whatever state the provider, the keychain or the network is
in. When a :class:`~payout_desk.services.desk.PayoutDesk` is connected (``attach``), ``refresh`` asks
the provider through it and ``connection_id`` names the active connection; without one, ``refresh``
raises :class:`NotConnectedError` with words a person can act on. Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from payout_desk.domain.totals import CurrencyTotals
from payout_desk.journal import HistoryQuery, JournalEvent, PayoutJournal, PayoutRecord
from payout_desk.provider.errors import ProviderError
from payout_desk.services.export import export_csv

if TYPE_CHECKING:
    from payout_desk.services.desk import PayoutDesk
    from payout_desk.services.poll import PollTimes

__all__ = ["NotConnectedError", "Records"]


class NotConnectedError(ProviderError):
    """There is no connection to ask the provider through (the journal still answers)."""

    code = "not_connected"
    default_user_message = "Not connected to the provider. The journal's record is shown; connect to check it."


class Records:
    """History reads and export from the journal; provider calls through the attached desk."""

    def __init__(self, journal: PayoutJournal) -> None:
        self.journal = journal
        self.desk: PayoutDesk | None = None
        self._watched: tuple[int, ...] = ()

    def attach(self, desk: PayoutDesk | None) -> None:
        """The desk now connected (None: none); it is told which payouts a person is looking at."""
        self.desk = desk
        if desk is not None:
            desk.watch(self._watched)

    def watch(self, local_ids: Iterable[int]) -> None:
        """The payouts a person is looking at (selected, open in details): the connected desk asks
        about them every few seconds; remembered for a desk that connects later."""
        self._watched = tuple(local_ids)
        if self.desk is not None:
            self.desk.watch(self._watched)

    def poll_times(self, local_id: int) -> PollTimes | None:
        """When a followed payout was last and will next be checked (None: not followed, or not connected)."""
        return self.desk.poll_times(local_id) if self.desk is not None else None

    @property
    def connection_id(self) -> str | None:
        """The active connection's identity key, or None when not connected."""
        return self.desk.connection_id if self.desk is not None else None

    async def get(self, local_id: int) -> PayoutRecord:
        return await self.journal.get(local_id)

    async def history_count(self, query: HistoryQuery) -> int:
        return await self.journal.count(query)

    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        return await self.journal.page(query, offset, limit)

    async def history_totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        """Per currency, the count and exact sum by status of the payouts matching ``query``."""
        return await self.journal.totals(query)

    async def events(self, local_id: int) -> list[JournalEvent]:
        return await self.journal.events(local_id)

    async def export_csv(self, query: HistoryQuery, path: Path) -> int:
        """Matching payouts to ``path`` as CSV, from the journal alone; rows written."""
        return await export_csv(self.journal, query, path)

    async def refresh(self, local_id: int) -> PayoutRecord:
        """Ask the provider now through the connected desk; NotConnectedError when there is none."""
        if self.desk is None:
            raise NotConnectedError(f"refresh of payout {local_id} with no connection")
        return await self.desk.refresh(local_id)
