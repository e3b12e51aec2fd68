"""The agent's poller: follows the team's open payouts with the desk's own ``services.poll.Poller`` (its
scheduler, cadence, answer checks and the one ``apply``), under a rate cap the whole team shares.

* **One poller per team.** The provider's cap (``PollPolicy.max_requests_per_second``) is per merchant, not
  per agent, so only the agent holding the team's poll lock polls (``journal.postgres.watch.PollLock``: a
  session-level advisory lock on a connection of its own). The others try again every ``lock_retry`` seconds;
  when the holder dies its connection, and the lock with it, goes, and one of them takes over. A lock rather than
  a shared budget row: no write per request, no clock shared between machines, and a dead holder needs no
  clean-up — the database ends its session.
* **Never two at once.** Every request first takes a token of the holder's ``RateLimiter``, then checks that
  the lock's session still holds it (a round trip; a holder that lost it stops sending at once). A new holder
  sits out one limiter window before its first request, so a takeover never puts the old holder's last
  requests and the new one's first in the same window.
* **What it follows**: the team connection's payouts the provider holds unfinished (``to_poll``), then every
  payout the feed shows it has not followed yet (the sender's ``created``, any agent's).
* **Hints** (``payout_desk_hints``: a desk selected a payout or caught its checkin, a webhook arrived) put the
  payout at the front of the schedule (a checkin just completed: the desk's burst of polls). A change the GET
  a webhook woke finds is recorded with the source ``webhook`` (the body itself is never applied). A term starts
  by waking the open payouts with a webhook kept after their last change (``unheard_webhooks``): those that
  came while no poller listened (the sit-out window, a takeover).
* Status writes go through the database's ``record_status``, which refuses to move a payout backwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from payout_desk.journal.models import JournalError, PayoutRecord
from payout_desk.journal.postgres.feed import FeedListener
from payout_desk.journal.postgres.watch import HINTS_CHANNEL, Hint, PollLock, WatchPgJournal, parse_hint
from payout_desk.services.poll import Poller, RateLimiter

if TYPE_CHECKING:
    from payout_desk.agent.runner import AgentContext

__all__ = ["HeldLimiter", "TeamPoller"]

log = logging.getLogger("payout_desk.agent.poller")
T = TypeVar("T")


class HeldLimiter(RateLimiter):
    """The holder's ``RateLimiter``, and a request only while the poll lock is still this agent's: once
    ``held()`` says no, ``lost`` is set and no token is given any more (the scheduler waits; the poller stops)."""

    def __init__(self, rate: float, held: Callable[[], Awaitable[bool]]) -> None:
        super().__init__(rate)
        self._held = held
        self.lost = asyncio.Event()

    async def acquire(self, urgent: bool = False) -> None:
        await super().acquire(urgent)
        if self.lost.is_set() or not await self._held():
            self.lost.set()
            await asyncio.Event().wait()  # never: the poller is stopped, which cancels this


class TeamPoller:
    """The polling component (``run(stop)``)."""

    name = "poller"

    def __init__(self, context: AgentContext, *, lock_retry: float = 1.0, check_every: float = 1.0) -> None:
        self._context = context
        self._policy = context.config.policy
        self._lock_retry = lock_retry
        self._check_every = check_every
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-poll-lock")
        self._lock = PollLock(context.config.conninfo)
        self._poller: Poller | None = None
        self._journal: WatchPgJournal | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.terms = 0  # how many times this agent took the poll lock

    async def _locked(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def run(self, stop: asyncio.Event) -> None:
        """Take the poll lock when it is free and poll while holding it, until ``stop``."""
        try:
            while not stop.is_set():
                try:
                    got = await self._locked(self._lock.try_acquire)
                except JournalError as exc:
                    log.warning("poller: the poll lock cannot be reached (%s); trying again", exc)
                    got = False
                if got:
                    self.terms += 1
                    log.info("poller: holding the team's poll lock; this agent polls for the team")
                    try:
                        await self._hold(stop)
                    finally:
                        await self._locked(self._lock.close)
                    if not stop.is_set():
                        log.warning("poller: lost the team's poll lock; another agent may poll now")
                await _wait(stop, self._lock_retry)
        finally:
            await self._locked(self._lock.close)
            self._executor.shutdown(wait=True)

    async def _hold(self, stop: asyncio.Event) -> None:
        """Poll for the team until ``stop`` or the lock is lost."""
        context = self._context
        limiter = HeldLimiter(self._policy.max_requests_per_second, lambda: self._locked(self._lock.held))
        await _wait(stop, limiter.period + limiter.margin)  # sit out one window: the last holder's requests age out
        if stop.is_set():
            return
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        journal = await WatchPgJournal.open(context.config.conninfo)
        self._journal = journal
        poller = Poller(journal, context.client, policy=self._policy, limiter=limiter, actor=context.login,
                        notify=_notify, connection_id=context.identity.key)  # fmt: skip
        self._poller = poller
        feed = FeedListener(context.config.conninfo, lambda: loop.call_soon_threadsafe(wake.set))
        hints = FeedListener(context.config.conninfo, lambda: None, channel=HINTS_CHANNEL,
                             on_payload=lambda payload: loop.call_soon_threadsafe(self._hinted, payload))  # fmt: skip
        try:
            cursor = await journal.last_event_id()
            feed.start()
            hints.start()
            await self._follow_open(poller, journal)
            await self._catch_up_webhooks(poller, journal)
            while not stop.is_set() and not limiter.lost.is_set():
                await _wait_any(stop, wake, limiter.lost, seconds=self._check_every)
                if wake.is_set():
                    wake.clear()
                    cursor = await self._read_feed(poller, journal, cursor)
                if not await self._locked(self._lock.held):
                    limiter.lost.set()
        finally:
            self._poller = None
            for task in list(self._pending):
                task.cancel()
            await poller.stop()
            await loop.run_in_executor(None, feed.stop)
            await loop.run_in_executor(None, hints.stop)
            self._journal = None
            await journal.close()

    async def _follow_open(self, poller: Poller, journal: WatchPgJournal) -> None:
        """Follow every open payout of the team's connection, a page at a time."""
        after: PayoutRecord | None = None
        count = 0
        while page := await journal.to_poll(self._context.identity.key, after=after, limit=500):
            for record in page:
                count += poller.follow(record)
            after = page[-1]
        log.info("poller: following %d open payouts", count)

    async def _catch_up_webhooks(self, poller: Poller, journal: WatchPgJournal) -> None:
        """Wake the open payouts whose webhook came while no poller listened (before this term's LISTEN)."""
        try:
            unheard = [i for i in await journal.unheard_webhooks() if i in poller.following]
        except JournalError as exc:
            log.warning("poller: the webhooks kept meanwhile could not be read (%s); the cadence finds them", exc)
            return
        for local_id in unheard:
            poller.wake(local_id, "webhook")
        if unheard:
            log.info("poller: %d webhooks kept while no poller listened: their payouts go first", len(unheard))

    async def _read_feed(self, poller: Poller, journal: WatchPgJournal, cursor: int) -> int:
        """Follow the payouts the feed names that are not followed yet (created since, by any agent)."""
        try:
            while events := await journal.events_after(cursor):
                cursor = events[-1].event_id
                for local_id in dict.fromkeys(e.local_id for e in events if e.kind in ("created", "status")):
                    if local_id is not None and local_id not in poller.following:
                        poller.follow(await journal.get(local_id))
        except JournalError as exc:
            log.warning("poller: reading the feed failed (%s); the open payouts are read again later", exc)
        return cursor

    def _hinted(self, payload: str) -> None:
        """A hint: the payout goes to the front (followed first when it is not yet)."""
        hint = parse_hint(payload)
        if hint is None or self._poller is None:
            return
        if hint.local_id in self._poller.following:
            self._apply_hint(self._poller, hint)
            return
        task = asyncio.get_running_loop().create_task(self._follow_hinted(hint))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _follow_hinted(self, hint: Hint) -> None:
        poller, journal = self._poller, self._journal
        if poller is None or journal is None:
            return
        try:
            record = await journal.get(hint.local_id)
        except JournalError as exc:
            log.warning("poller: hint for payout %s not followed (%s)", hint.local_id, exc)
            return
        if poller.follow(record):
            self._apply_hint(poller, hint)

    @staticmethod
    def _apply_hint(poller: Poller, hint: Hint) -> None:
        log.debug("poller: hint %s for payout %s", hint.reason, hint.local_id)
        if hint.reason == "checkin_completed":
            poller.caught(hint.local_id)
        elif hint.reason == "webhook":  # what its GET finds is recorded as the webhook's (source "webhook")
            poller.wake(hint.local_id, "webhook")
        else:
            poller.scheduler.refresh(hint.local_id)


def _notify(record: PayoutRecord, previous: str | None, event: str) -> None:
    del record, previous, event  # Poller.apply logs every change itself


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _wait_any(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
