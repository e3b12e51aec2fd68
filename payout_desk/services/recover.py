"""Never lost: resending unanswered payouts, at start and on a backoff while the app runs.

Only payouts bound to the submitter's connection (``domain.identity``) are touched; payouts of
other connections wait, visible, until their connection is active again (or a person re-binds them).

* :func:`recover` (run at start): every journaled payout the provider never definitively answered
  (``confirmed`` — the app died before or during the request — and ``outcome_unknown``) is sent
  again with its *original* key and *stored* body; the provider creates it or replays the
  original answer, never a second payout. Every payout with a provider id and no final status
  is followed again by the poller.
* :class:`Resender`: a payout left ``outcome_unknown`` is resent after 5 s, 10 s, 20 s, …
  (capped, ``PollPolicy.resend_*``), same key and body, until the provider answers definitively.
  A periodic sweep of the journal catches any unsent payout nobody is looking after.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass

from payout_desk.journal import PayoutJournal, PayoutRecord
from payout_desk.services.poll import Clock, Poller, PollPolicy, Sleep
from payout_desk.services.submit import UNSENT_STATUSES, Submitter

__all__ = ["RecoveryReport", "Resender", "recover"]

#: Open payouts read per journal query when recovery follows them again.
RECOVER_PAGE = 500

log = logging.getLogger("payout_desk.services.recover")


@dataclass(frozen=True)
class RecoveryReport:
    """What :func:`recover` did: records resent (with their outcome) and payouts followed again."""

    resent: tuple[PayoutRecord, ...]
    followed: tuple[int, ...]


class Resender:
    """Resends unsent payouts on a per-payout backoff until the provider answers definitively."""

    def __init__(
        self,
        journal: PayoutJournal,
        submitter: Submitter,
        poller: Poller,
        *,
        policy: PollPolicy,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._journal = journal
        self._submitter = submitter
        self._poller = poller
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def scheduled(self) -> frozenset[int]:
        """Local ids waiting for a resend."""
        return frozenset(self._tasks)

    def route(self, record: PayoutRecord) -> None:
        """After a send: follow a created payout, schedule an unsent one for a resend."""
        if record.status in UNSENT_STATUSES:
            self.schedule(record.local_id)
        elif record.payment_id is not None:
            self._poller.follow(record)  # it refuses what is final, a mismatch or another connection's

    def schedule(self, local_id: int) -> None:
        """Resend ``local_id`` on the backoff (no-op if already scheduled)."""
        if self._stopped:
            return
        existing = self._tasks.get(local_id)
        if existing is not None and not existing.done():
            return
        task = asyncio.get_running_loop().create_task(self._resend_loop(local_id), name=f"resend-{local_id}")
        self._tasks[local_id] = task
        task.add_done_callback(functools.partial(self._forget, local_id))

    def _forget(self, local_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(local_id) is task:
            del self._tasks[local_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("resend loop for payout %s crashed", local_id, exc_info=task.exception())

    async def _resend_loop(self, local_id: int) -> None:
        interval = self.policy.resend_initial_interval
        while True:
            await self._sleep(interval)
            try:
                record = await self._journal.get(local_id)
                if record.connection_id != self._submitter.connection_id:
                    return  # another connection's payout: it waits for that connection
                if record.status in UNSENT_STATUSES:
                    log.info("resending payout %s with its original key %s", local_id, record.idempotency_key)
                    record = await self._submitter.send(record, urgent=False)
            except Exception:  # the journal failed: the payout stays unsent; try again later
                log.exception("resending payout %s failed; trying again later", local_id)
            else:
                if record.status not in UNSENT_STATUSES:
                    self.route(record)
                    return
            interval = min(self.policy.resend_max_interval, interval * self.policy.multiplier)

    def start_sweeper(self) -> None:
        """Every ``resend_max_interval`` look for unsent payouts nobody is resending."""
        if self._sweeper is None and not self._stopped:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="resend-sweeper")

    async def _sweep(self) -> None:
        while True:
            await self._sleep(self.policy.resend_max_interval)
            try:
                for record in await self._journal.unsent(self._submitter.connection_id):
                    if not self._submitter.is_in_flight(record.local_id):
                        self.schedule(record.local_id)
            except Exception:
                log.exception("resend sweep failed; trying again later")

    async def stop(self) -> None:
        """Cancel the backoff tasks and the sweeper."""
        self._stopped = True
        tasks = list(self._tasks.values())
        if self._sweeper is not None:
            tasks.append(self._sweeper)
            self._sweeper = None
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def recover(
    journal: PayoutJournal,
    submitter: Submitter,
    poller: Poller,
    resender: Resender | None = None,
    *,
    max_concurrent: int = 4,
) -> RecoveryReport:
    """Resend every unsent payout (original key, stored body) and follow every open one.

    Resends run at most ``max_concurrent`` at a time, oldest first; each ends created, rejected
    or outcome_unknown (then, with a ``resender``, resent later on its backoff). Returns when
    every resend has its outcome.
    """
    followed: list[int] = []
    last: PayoutRecord | None = None
    while True:  # a page at a time: 10,000 open payouts are never all in memory at once
        page = await journal.to_poll(submitter.connection_id, after=last, limit=RECOVER_PAGE)
        for record in page:
            if poller.follow(record):
                followed.append(record.local_id)
        if len(page) < RECOVER_PAGE:
            break
        last = page[-1]
    unsent = await journal.unsent(submitter.connection_id)
    if unsent:
        log.info("recover: %d payout(s) were never definitively answered; resending them", len(unsent))
    gate = asyncio.Semaphore(max_concurrent)

    async def resend(record: PayoutRecord) -> PayoutRecord:
        async with gate:
            log.info("recover: resending payout %s with its original key %s", record.local_id, record.idempotency_key)
            result = await submitter.send(record, urgent=False)
        if resender is not None:
            resender.route(result)
        elif result.payment_id is not None and poller.follow(result):
            followed.append(result.local_id)
        return result

    resent = await asyncio.gather(*(resend(record) for record in unsent))
    if resender is not None:
        followed.extend(lid for lid in poller.following if lid not in followed)
    return RecoveryReport(resent=tuple(resent), followed=tuple(followed))
