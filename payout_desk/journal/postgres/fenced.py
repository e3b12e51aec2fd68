"""FencedPgJournal: the team journal as the sending agent holds it. The payouts it has claimed are sent
through it by the desk's own ``services.submit.Submitter`` (unchanged): every send-path write goes to the
database's ``fenced_*`` function with the payout's claim generation, so a stale agent (its lease ran out and
another agent claimed the payout) has each late write refused (``LeaseLostError``) and nothing written.

A write for a payout this journal holds no claim of is refused here already, without a database call.
Reads and the poll path (``record_status``) are ``AsyncPgJournal``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import LiteralString

from payout_desk.journal.models import AttemptLike, JournalEvent, LeaseLostError, PayoutRecord
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.leases import Lease, PgLeases
from payout_desk.journal.postgres.store import PgJournal

__all__ = ["FencedPgJournal", "Lease"]


class FencedPgJournal(AsyncPgJournal):
    """``AsyncPgJournal`` whose send-path writes are fenced by the claims it holds (``claim``/``release``)."""

    def __init__(self, executor: ThreadPoolExecutor, journal: PgJournal) -> None:
        super().__init__(executor, journal)
        self._leases = PgLeases(journal)
        self._held: dict[int, int] = {}  # local id -> generation of the claim this journal holds

    @property
    def held(self) -> dict[int, int]:
        """The claims held: local id -> generation (a copy)."""
        return dict(self._held)

    def generation(self, local_id: int) -> int:
        """The generation of this journal's claim of ``local_id``; LeaseLostError when it holds none."""
        generation = self._held.get(local_id)
        if generation is None:
            raise LeaseLostError(local_id, None)
        return generation

    async def claim(self, connection_id: str, instance: str, lease_seconds: float) -> Lease | None:
        """Claim the oldest claimable unsent payout of ``connection_id`` (None: nothing to claim)."""
        lease = await self._run(self._leases.claim, connection_id, instance, lease_seconds)
        if lease is not None:
            self._held[lease.local_id] = lease.generation
        return lease

    async def renew(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend the claim (LeaseLostError, and the claim forgotten, when it is no longer this journal's)."""
        try:
            return await self._run(self._leases.renew, lease, lease_seconds)
        except LeaseLostError:
            self.forget(lease)
            raise

    async def release(self, lease: Lease, retry_after: float = 0.0) -> None:
        """Give the claim up (an unanswered payout waits ``retry_after`` s); forgotten here whatever happens."""
        self.forget(lease)
        await self._run(self._leases.release, lease, retry_after)

    def forget(self, lease: Lease) -> None:
        """Stop writing under ``lease`` (its later writes are refused here)."""
        self._lost(lease.local_id, lease.generation)

    async def last_event_id(self) -> int:
        """The newest event id: a feed cursor that starts from now."""
        return await self._run(self._journal.last_event_id)

    async def events_after(self, cursor: int, limit: int = 1000) -> list[JournalEvent]:
        """The feed's events after ``cursor``, in id order."""
        return await self._run(self._journal.events_after, cursor, limit)

    async def database(self) -> str:
        """Which database this is, for people (``PgLeases.database``)."""
        return await self._run(self._leases.database)

    async def roles(self) -> tuple[str, list[str]]:
        """The database login this journal writes as, and the app's group roles it holds."""
        return await self._run(self._leases.roles)

    async def _fenced(self, function: LiteralString, local_id: int, *args: object) -> PayoutRecord:
        generation = self.generation(local_id)
        try:
            await self._run(self._leases.fenced, function, local_id, generation, *args)
        except LeaseLostError:
            self._lost(local_id, generation)
            raise
        return await self.get(local_id)

    def _lost(self, local_id: int, generation: int) -> None:
        """The database refused the claim: no later write under it goes further than here."""
        if self._held.get(local_id) == generation:
            del self._held[local_id]

    async def record_attempt_started(
        self, local_id: int, *, number: int, actor: str, keyed: bool = True
    ) -> PayoutRecord:
        """Under the claim: attempt ``number`` is about to be sent (committed before the request)."""
        del actor
        return await self._fenced("record_attempt_started", local_id, number, keyed)

    async def record_attempt(self, local_id: int, attempt: AttemptLike, *, actor: str, ambiguous: bool = False) -> None:
        """Under the claim: the attempt's outcome."""
        del actor
        generation = self.generation(local_id)
        try:
            await self._run(self._leases.attempt, local_id, generation, attempt, ambiguous)
        except LeaseLostError:
            self._lost(local_id, generation)
            raise

    async def mark_ambiguous(self, local_id: int, *, reason: str, actor: str) -> PayoutRecord:
        """Under the claim: ambiguous for good."""
        del actor
        return await self._fenced("mark_ambiguous", local_id, reason)

    async def record_mismatch(
        self, local_id: int, *, problems: Sequence[str], answer: str, source: str, message: str, actor: str
    ) -> PayoutRecord:
        """Under the claim: the provider's answer does not fit the journal."""
        del actor
        return await self._fenced("record_mismatch", local_id, list(problems), answer, source, message)

    async def record_needs_reconciliation(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """Under the claim: a person must reconcile it."""
        del actor
        return await self._fenced("record_needs_reconciliation", local_id, message)

    async def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord:
        """Under the claim: the provider created (or replayed) it."""
        del actor
        return await self._fenced("record_created", local_id, payment_id, checkin_url, status)

    async def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """Under the claim: no definitive answer."""
        del actor
        return await self._fenced("record_outcome_unknown", local_id, message)

    async def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord:
        """Under the claim: the provider refused it."""
        del actor
        return await self._fenced("record_rejected", local_id, code, message)
