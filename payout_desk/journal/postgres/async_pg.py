"""AsyncPgJournal: the team journal's methods as coroutines. psycopg 3 runs SYNCHRONOUSLY on ONE worker
thread (its asyncio mode refuses the Proactor/IOCP loops qasync uses on Windows), as ``AsyncJournal`` runs
SQLite; the feed listens on a thread of its own (``FeedListener``). The event loop only awaits futures.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

import psycopg

from payout_desk.journal.models import AttemptLike, HistoryQuery, JournalError, JournalEvent, PayoutRecord
from payout_desk.journal.postgres.export import TEAM_EXPORT_COLUMNS, copy_export
from payout_desk.journal.postgres.feed import FeedListener
from payout_desk.journal.postgres.store import PgJournal, plain_error

if TYPE_CHECKING:
    from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
    from payout_desk.domain.payout import PayoutRequest
    from payout_desk.domain.totals import CurrencyTotals
    from payout_desk.journal.once import WaitingConnection

__all__ = ["AsyncPgJournal"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class AsyncPgJournal:
    """Coroutine facade over PgJournal (satisfies ``journal.protocol.PayoutJournal``)."""

    def __init__(self, executor: ThreadPoolExecutor, journal: PgJournal) -> None:
        """Use ``AsyncPgJournal.open``."""
        self._executor: ThreadPoolExecutor | None = executor
        self._journal = journal

    @classmethod
    async def open(cls, conninfo: str) -> Self:
        """Connect (and check the schema version) on a fresh single worker thread."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-journal-pg")
        try:
            journal = await asyncio.get_running_loop().run_in_executor(executor, PgJournal.open, conninfo)
        except psycopg.Error as exc:
            executor.shutdown(wait=False)
            raise plain_error(exc) from exc
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, journal)

    @property
    def conninfo(self) -> str:
        """The connection string it was opened with (the feed listens with it)."""
        return self._journal.conninfo

    async def _run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn`` on the worker thread; a database error arrives as a plain JournalError."""
        if self._executor is None:
            raise JournalError("the journal is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        except psycopg.Error as exc:
            raise plain_error(exc) from exc

    async def close(self) -> None:
        """Close the connection on its thread, then stop the thread (idempotent)."""
        executor = self._executor
        if executor is None:
            return
        try:
            await self._run(self._journal.close)
        finally:
            self._executor = None
            executor.shutdown(wait=True)

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
    ) -> PayoutRecord:
        """See ``PgJournal.record_confirmed``."""
        call = functools.partial(
            self._journal.record_confirmed,
            idempotency_key=idempotency_key,
            environment=environment,
            profile=profile,
            connection_id=connection_id,
            duplicates_shown=duplicates_shown,
        )
        return await self._run(call, request, actor=actor)

    async def record_attempt_started(
        self, local_id: int, *, number: int, actor: str, keyed: bool = True
    ) -> PayoutRecord:
        """See ``PgJournal.record_attempt_started``: durable before the request goes out."""
        return await self._run(self._journal.record_attempt_started, local_id, number=number, actor=actor, keyed=keyed)

    async def record_attempt(self, local_id: int, attempt: AttemptLike, *, actor: str, ambiguous: bool = False) -> None:
        """See ``PgJournal.record_attempt``."""
        await self._run(self._journal.record_attempt, local_id, attempt, actor=actor, ambiguous=ambiguous)

    async def mark_ambiguous(self, local_id: int, *, reason: str, actor: str) -> PayoutRecord:
        """See ``PgJournal.mark_ambiguous``."""
        return await self._run(self._journal.mark_ambiguous, local_id, reason=reason, actor=actor)

    async def record_mismatch(
        self, local_id: int, *, problems: Sequence[str], answer: str, source: str, message: str, actor: str
    ) -> PayoutRecord:
        """See ``PgJournal.record_mismatch``."""
        call = functools.partial(self._journal.record_mismatch, problems=problems, answer=answer, source=source)
        return await self._run(call, local_id, message=message, actor=actor)

    async def record_needs_reconciliation(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """See ``PgJournal.record_needs_reconciliation``."""
        return await self._run(self._journal.record_needs_reconciliation, local_id, message=message, actor=actor)

    async def record_checkin_completed(self, local_id: int, *, actor: str) -> None:
        """See ``PgJournal.record_checkin_completed``."""
        await self._run(self._journal.record_checkin_completed, local_id, actor=actor)

    async def record_reconciled(
        self, local_id: int, *, decision: str, reason: str, actor: str, back_to: str
    ) -> PayoutRecord:
        """See ``PgJournal.record_reconciled``."""
        call = functools.partial(self._journal.record_reconciled, decision=decision, reason=reason, back_to=back_to)
        return await self._run(call, local_id, actor=actor)

    async def rebind(self, old_connection: str | None, new_connection: str, *, reason: str, actor: str) -> list[int]:
        """See ``PgJournal.rebind``."""
        return await self._run(self._journal.rebind, old_connection, new_connection, reason=reason, actor=actor)

    async def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord:
        """See ``PgJournal.record_created``."""
        call = functools.partial(self._journal.record_created, payment_id=payment_id, checkin_url=checkin_url)
        return await self._run(call, local_id, status=status, actor=actor)

    async def record_status(
        self, local_id: int, *, status: str, failure_reason: str | None, source: str, actor: str
    ) -> PayoutRecord | None:
        """See ``PgJournal.record_status``."""
        call = functools.partial(self._journal.record_status, failure_reason=failure_reason, source=source)
        return await self._run(call, local_id, status=status, actor=actor)

    async def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """See ``PgJournal.record_outcome_unknown``."""
        return await self._run(self._journal.record_outcome_unknown, local_id, message=message, actor=actor)

    async def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord:
        """See ``PgJournal.record_rejected``."""
        call = functools.partial(self._journal.record_rejected, code=code)
        return await self._run(call, local_id, message=message, actor=actor)

    async def get(self, local_id: int) -> PayoutRecord:
        """See ``PgJournal.get``."""
        return await self._run(self._journal.get, local_id)

    async def unsent(self, connection_id: str) -> list[PayoutRecord]:
        """See ``PgJournal.unsent``."""
        return await self._run(self._journal.unsent, connection_id)

    async def to_poll(
        self, connection_id: str, *, after: PayoutRecord | None = None, limit: int = -1
    ) -> list[PayoutRecord]:
        """See ``PgJournal.to_poll``."""
        call = functools.partial(self._journal.to_poll, after=after, limit=limit)
        return await self._run(call, connection_id)

    async def payment_owner(self, payment_id: str) -> int | None:
        """See ``PgJournal.payment_owner``."""
        return await self._run(self._journal.payment_owner, payment_id)

    async def reference_owner(self, connection_id: str, external_id: str) -> int | None:
        """See ``PgJournal.reference_owner``."""
        return await self._run(self._journal.reference_owner, connection_id, external_id)

    async def waiting(self, connection_id: str) -> list[WaitingConnection]:
        """See ``PgJournal.waiting``."""
        return await self._run(self._journal.waiting, connection_id)

    async def near_duplicates(self, probe: PayoutProbe) -> list[DuplicateMatch]:
        """See ``PgJournal.near_duplicates``."""
        return await self._run(self._journal.near_duplicates, probe)

    async def count(self, query: HistoryQuery) -> int:
        """See ``PgJournal.count``."""
        return await self._run(self._journal.count, query)

    async def totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        """See ``PgJournal.totals``."""
        return await self._run(self._journal.totals, query)

    async def page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        """See ``PgJournal.page``."""
        return await self._run(self._journal.page, query, offset, limit)

    async def events(self, local_id: int) -> list[JournalEvent]:
        """See ``PgJournal.events``."""
        return await self._run(self._journal.events, local_id)

    async def on_connection(
        self, fn: Callable[Concatenate[psycopg.Connection[Any], _P], _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """``fn(connection, *args)`` on the worker thread with the journal's own connection (a journal API
        written as functions of a connection, e.g. ``journal.postgres.approvals``); errors as ``_run``'s."""
        return await self._run(lambda: fn(self._journal.conn, *args, **kwargs))

    async def last_event_id(self) -> int:
        """The feed's newest event id (a cursor to start :meth:`changes` from)."""
        return await self._run(self._journal.last_event_id)

    async def provider_base_url(self) -> str | None:
        """The team's provider identity (``PgJournal.provider_base_url``)."""
        return await self._run(self._journal.provider_base_url)

    async def events_after(self, cursor: int, limit: int = 1000) -> list[JournalEvent]:
        """The feed's events after ``cursor``, in id order (``PgJournal.events_after``)."""
        return await self._run(self._journal.events_after, cursor, limit)

    async def iter_matching(self, query: HistoryQuery, batch: int = 5000) -> AsyncIterator[PayoutRecord]:
        """See ``PgJournal.iter_matching``: each batch is read on the worker thread."""
        iterator = await self._run(self._journal.iter_matching, query, batch)

        def next_batch() -> list[PayoutRecord]:
            out: list[PayoutRecord] = []
            for record in iterator:
                out.append(record)
                if len(out) >= batch:
                    break
            return out

        while chunk := await self._run(next_batch):
            for record in chunk:
                yield record

    @property
    def export_columns(self) -> tuple[str, ...]:
        """See ``PayoutJournal.export_columns``: the desk's columns, then the approvals'."""
        return TEAM_EXPORT_COLUMNS

    async def write_export(
        self, query: HistoryQuery, sink: Callable[[bytes], object], *, defuse: Collection[str] = (), batch: int = 2000
    ) -> int:
        """``COPY … TO STDOUT`` on its own connection and thread, from one snapshot (``copy_export``);
        cancelling stops it within a batch."""
        if self._executor is None:
            raise JournalError("the journal is closed")
        stop = threading.Event()
        loop = asyncio.get_running_loop()
        work = functools.partial(
            copy_export, self._journal.conninfo, query, sink, defuse=defuse, batch=batch, stop=stop
        )
        future = loop.run_in_executor(None, work)
        try:
            return await asyncio.shield(future)
        except psycopg.Error as exc:
            raise plain_error(exc) from exc
        except asyncio.CancelledError:
            stop.set()
            await asyncio.wait([future])
            raise

    async def changes(self, cursor: int) -> AsyncIterator[list[JournalEvent]]:
        """The change feed: batches of events with ids above ``cursor``, in order, forever. Reads on every
        wake-up of the listening thread and after each of its (re)connects; stops when the caller does."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        listener = FeedListener(self._journal.conninfo, lambda: loop.call_soon_threadsafe(wake.set))
        listener.start()
        try:
            while True:
                await wake.wait()
                wake.clear()
                while events := await self._run(self._journal.events_after, cursor):
                    cursor = events[-1].event_id
                    yield events
        finally:
            await loop.run_in_executor(None, listener.stop)


if TYPE_CHECKING:  # mypy proves it satisfies the interface services hold
    from payout_desk.journal.protocol import PayoutJournal

    _satisfies: type[PayoutJournal] = AsyncPgJournal
