"""AsyncJournal: the Journal's methods as coroutines, all run on ONE dedicated worker thread.

The Journal (and so its SQLite connection) is created on the worker thread and never touched from
any other: ``sqlite3``'s ``check_same_thread`` enforces it. The event loop (the GUI thread under
qasync) only awaits futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from payout_desk.journal.export.sql import EXPORT_COLUMNS
from payout_desk.journal.export.stream import export_rows
from payout_desk.journal.identity import corruption
from payout_desk.journal.models import AttemptLike, HistoryQuery, JournalError, JournalEvent, PayoutRecord
from payout_desk.journal.once import WaitingConnection
from payout_desk.journal.store import Journal

if TYPE_CHECKING:
    from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
    from payout_desk.domain.payout import PayoutRequest
    from payout_desk.domain.totals import CurrencyTotals

__all__ = ["AsyncJournal"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class AsyncJournal:
    """Coroutine facade over Journal; SQLite never runs on the event loop's (GUI) thread."""

    def __init__(self, executor: ThreadPoolExecutor, journal: Journal) -> None:
        """Use ``AsyncJournal.open``; this wraps a Journal already opened on ``executor``'s thread."""
        self._executor: ThreadPoolExecutor | None = executor
        self._journal = journal

    @classmethod
    async def open(cls, path: Path, *, clock: Callable[[], datetime] | None = None) -> AsyncJournal:
        """Open (create/migrate) the journal on a fresh single worker thread."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-journal")
        loop = asyncio.get_running_loop()
        try:
            journal = await loop.run_in_executor(executor, functools.partial(Journal.open, Path(path), clock=clock))
        except BaseException as exc:
            executor.shutdown(wait=False)
            damaged = corruption(Path(path), exc)
            if damaged is not None:
                raise damaged from exc
            raise
        return cls(executor, journal)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._journal.path

    @property
    def backup_path(self) -> Path | None:
        """The pre-migration copy written when this journal was opened, if any."""
        return self._journal.backup_path

    async def _run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        if self._executor is None:
            raise JournalError("the journal is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        except sqlite3.DatabaseError as exc:  # a damaged page: a journal error in plain words, not sqlite's
            damaged = corruption(self._journal.path, exc)
            if damaged is None:
                raise
            raise damaged from exc

    async def close(self) -> None:
        """Close the journal on its thread, then stop the thread (idempotent)."""
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
        """See ``Journal.record_confirmed``: durable before it returns."""
        return await self._run(
            self._journal.record_confirmed,
            request,
            idempotency_key=idempotency_key,
            environment=environment,
            profile=profile,
            actor=actor,
            connection_id=connection_id,
            duplicates_shown=duplicates_shown,
        )

    async def record_checkin_completed(self, local_id: int, *, actor: str) -> None:
        """See ``Journal.record_checkin_completed``."""
        await self._run(self._journal.record_checkin_completed, local_id, actor=actor)

    async def near_duplicates(self, probe: PayoutProbe) -> list[DuplicateMatch]:
        """See ``Journal.near_duplicates``."""
        return await self._run(self._journal.near_duplicates, probe)

    async def record_attempt_started(
        self, local_id: int, *, number: int, actor: str, keyed: bool = True
    ) -> PayoutRecord:
        """See ``Journal.record_attempt_started``: durable before the request goes out."""
        return await self._run(self._journal.record_attempt_started, local_id, number=number, actor=actor, keyed=keyed)

    async def record_attempt(self, local_id: int, attempt: AttemptLike, *, actor: str, ambiguous: bool = False) -> None:
        """See ``Journal.record_attempt``."""
        await self._run(self._journal.record_attempt, local_id, attempt, actor=actor, ambiguous=ambiguous)

    async def mark_ambiguous(self, local_id: int, *, reason: str, actor: str) -> PayoutRecord:
        """See ``Journal.mark_ambiguous``."""
        return await self._run(self._journal.mark_ambiguous, local_id, reason=reason, actor=actor)

    async def record_mismatch(
        self, local_id: int, *, problems: Sequence[str], answer: str, source: str, message: str, actor: str
    ) -> PayoutRecord:
        """See ``Journal.record_mismatch``."""
        return await self._run(
            self._journal.record_mismatch,
            local_id,
            problems=problems,
            answer=answer,
            source=source,
            message=message,
            actor=actor,
        )

    async def rebind(self, old_connection: str | None, new_connection: str, *, reason: str, actor: str) -> list[int]:
        """See ``Journal.rebind``."""
        return await self._run(self._journal.rebind, old_connection, new_connection, reason=reason, actor=actor)

    async def payment_owner(self, payment_id: str) -> int | None:
        """See ``Journal.payment_owner``."""
        return await self._run(self._journal.payment_owner, payment_id)

    async def reference_owner(self, connection_id: str, external_id: str) -> int | None:
        """See ``Journal.reference_owner``."""
        return await self._run(self._journal.reference_owner, connection_id, external_id)

    async def record_reconciled(
        self, local_id: int, *, decision: str, reason: str, actor: str, back_to: str
    ) -> PayoutRecord:
        """See ``Journal.record_reconciled``."""
        return await self._run(
            self._journal.record_reconciled, local_id, decision=decision, reason=reason, actor=actor, back_to=back_to
        )

    async def record_needs_reconciliation(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """See ``Journal.record_needs_reconciliation``."""
        return await self._run(self._journal.record_needs_reconciliation, local_id, message=message, actor=actor)

    async def fingerprint_key(self) -> bytes:
        """See ``Journal.fingerprint_key``."""
        return await self._run(self._journal.fingerprint_key)

    async def waiting(self, connection_id: str) -> list[WaitingConnection]:
        """See ``Journal.waiting``."""
        return await self._run(self._journal.waiting, connection_id)

    async def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord:
        """See ``Journal.record_created``."""
        return await self._run(
            self._journal.record_created,
            local_id,
            payment_id=payment_id,
            checkin_url=checkin_url,
            status=status,
            actor=actor,
        )

    async def record_status(
        self, local_id: int, *, status: str, failure_reason: str | None, source: str, actor: str
    ) -> PayoutRecord | None:
        """See ``Journal.record_status``: None when nothing changed."""
        return await self._run(
            self._journal.record_status,
            local_id,
            status=status,
            failure_reason=failure_reason,
            source=source,
            actor=actor,
        )

    async def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """See ``Journal.record_outcome_unknown``."""
        return await self._run(self._journal.record_outcome_unknown, local_id, message=message, actor=actor)

    async def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord:
        """See ``Journal.record_rejected``."""
        return await self._run(self._journal.record_rejected, local_id, code=code, message=message, actor=actor)

    async def get(self, local_id: int) -> PayoutRecord:
        """See ``Journal.get``."""
        return await self._run(self._journal.get, local_id)

    async def unsent(self, connection_id: str) -> list[PayoutRecord]:
        """See ``Journal.unsent``: only ``connection_id``'s payouts."""
        return await self._run(self._journal.unsent, connection_id)

    async def to_poll(
        self, connection_id: str, *, after: PayoutRecord | None = None, limit: int = -1
    ) -> list[PayoutRecord]:
        """See ``Journal.to_poll``: only ``connection_id``'s payouts, a page at a time."""
        return await self._run(self._journal.to_poll, connection_id, after=after, limit=limit)

    async def count(self, query: HistoryQuery) -> int:
        """See ``Journal.count``."""
        return await self._run(self._journal.count, query)

    async def totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        """See ``Journal.totals``."""
        return await self._run(self._journal.totals, query)

    async def page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        """See ``Journal.page``."""
        return await self._run(self._journal.page, query, offset, limit)

    async def events(self, local_id: int) -> list[JournalEvent]:
        """See ``Journal.events``."""
        return await self._run(self._journal.events, local_id)

    async def iter_matching(self, query: HistoryQuery, batch: int = 5000) -> AsyncIterator[PayoutRecord]:
        """See ``Journal.iter_matching``: an async iterator; each batch is read on the worker thread.

        Use as ``async for record in journal.iter_matching(query): ...``.
        """
        iterator = await self._run(self._journal.iter_matching, query, batch)

        def next_batch() -> list[PayoutRecord]:
            out: list[PayoutRecord] = []
            for record in iterator:
                out.append(record)
                if len(out) >= batch:
                    break
            return out

        while True:
            chunk = await self._run(next_batch)
            if not chunk:
                return
            for record in chunk:
                yield record

    async def iter_export_lines(
        self, query: HistoryQuery, batch: int = 5000, *, defuse: Collection[str] = ()
    ) -> AsyncGenerator[list[str], None]:
        """See ``Journal.iter_export_lines``: an async iterator of lists of CSV lines.

        The next batch is read on the worker thread while the caller handles the current one (the
        SQLite work and the caller's overlap on two cores); between batches other journal calls run.
        """
        iterator = await self._run(self._journal.iter_export_lines, query, batch, defuse=defuse)
        loop = asyncio.get_running_loop()
        executor = self._executor
        if executor is None:
            raise JournalError("the journal is closed")

        def next_batch() -> list[str]:
            return next(iterator, [])

        pending = loop.run_in_executor(executor, next_batch)
        try:
            while chunk := await pending:
                pending = loop.run_in_executor(executor, next_batch)
                yield chunk
        finally:
            if not pending.done():  # stopped early: let the read in flight finish, then close the reader
                with contextlib.suppress(Exception):
                    await pending
            with contextlib.suppress(Exception):
                await loop.run_in_executor(executor, iterator.close)

    @property
    def export_columns(self) -> tuple[str, ...]:
        """See ``PayoutJournal.export_columns``: a single desk's, ``EXPORT_COLUMNS``."""
        return EXPORT_COLUMNS

    async def write_export(
        self, query: HistoryQuery, sink: Callable[[bytes], object], *, defuse: Collection[str] = (), batch: int = 2000
    ) -> int:
        """See ``PayoutJournal.write_export``: two threads of ``export.stream`` read one snapshot through
        their own connection to the journal file."""
        await self._run(lambda: self._journal.conn)  # JournalError once the journal is closed
        return await export_rows(self._journal.path, query, sink, defuse=defuse, batch=batch)

    async def run(self, fn: Callable[[Journal], _T]) -> _T:
        """Run ``fn(journal)`` on the worker thread (for callers needing several reads at once)."""
        return await self._run(fn, self._journal)


if TYPE_CHECKING:  # mypy proves it satisfies the interface services hold
    from payout_desk.journal.protocol import PayoutJournal

    _satisfies: type[PayoutJournal] = AsyncJournal
