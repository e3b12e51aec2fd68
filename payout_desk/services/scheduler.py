"""One poll scheduler: which payout to ask about next, and when, for any number of payouts.

No task per payout. Every followed key has one small :class:`_Entry`; one loop hands out requests:

* a **timer heap** ``(due, seq, generation, entry)`` holds what is not due yet;
* when an entry falls due it moves to the **ready heap** ``(lane, order, seq, generation, entry)``,
  so among the payouts that are due the highest lane goes first;
* the loop takes a slot of the concurrency bound, then a token of the rate limiter, and only then
  picks the best ready entry, so a payout that became urgent while the loop waited for the token
  is the one that gets it.

Lanes, highest first (:class:`Lane`): a person's refresh; a payout whose checkin redirect was just
caught (every ``burst_interval`` for ``burst_duration``, then backing off); a payout being watched
(selected, open in details: every ``watch_interval``); a recently created payout (1, 2, 4 … s);
the rest, least recently checked first. Everything else backs off 1, 2, 4 … ``max_interval``
and restarts from ``initial_interval`` after a change.

The limiter is the hard ceiling: the scheduler never sends without one of its tokens. A
``Retry-After`` (:attr:`PollResult.retry_after`) pauses the whole scheduler, not one payout.

Free of Qt, the journal and the provider: a key is anything hashable, a poll is any coroutine
function returning a :class:`PollResult`, time is an injectable ``clock``/``sleep`` pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from payout_desk.services.schedule_types import Cadence, Lane, Limiter, Outcome, PollResult, ScheduleInfo

__all__ = ["Cadence", "Lane", "Limiter", "Outcome", "PollResult", "PollScheduler", "ScheduleInfo"]

log = logging.getLogger("payout_desk.services.scheduler")

K = TypeVar("K", bound=Hashable)
_NEVER = -math.inf


class _Entry(Generic[K]):
    __slots__ = ("burst_until", "due", "flying", "generation", "interval", "key", "last_checked", "recent_until",
                 "refresh", "watched")  # fmt: skip

    def __init__(self, key: K, interval: float, due: float, recent_until: float) -> None:
        self.key = key
        self.interval = interval
        self.due = due
        self.recent_until = recent_until
        self.burst_until = _NEVER
        self.last_checked: float | None = None
        self.generation = 0
        self.flying = False
        self.refresh = False
        self.watched = False


class PollScheduler(Generic[K]):
    """Polls followed keys through ``poll`` under ``limiter`` and at most ``max_concurrent`` at once.

    Call :meth:`start` on the running loop (or let :meth:`add` do it) and :meth:`stop` at the end.
    """

    def __init__(
        self,
        poll: Callable[[K], Awaitable[PollResult]],
        *,
        limiter: Limiter,
        max_concurrent: int,
        cadence: Cadence = Cadence(),  # noqa: B008 - frozen dataclass
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._poll = poll
        self._limiter = limiter
        self.cadence = cadence
        self._clock = clock
        self._sleep = sleep
        self._slots = asyncio.Semaphore(max_concurrent)
        self._entries: dict[K, _Entry[K]] = {}
        self._watched: set[K] = set()
        self._timers: list[tuple[float, int, int, _Entry[K]]] = []
        self._ready: list[tuple[int, float, int, int, _Entry[K]]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._pause_until = -math.inf
        self._loop_task: asyncio.Task[None] | None = None
        self._flights: set[asyncio.Task[None]] = set()
        self._stopped = False
        #: Requests sent per lane since the start (for benchmarks and the log).
        self.sent: dict[Lane, int] = dict.fromkeys(Lane, 0)

    # -- what is followed ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def keys(self) -> frozenset[K]:
        return frozenset(self._entries)

    def add(self, key: K, *, age: float = math.inf) -> bool:
        """Follow ``key`` (created ``age`` seconds ago; recent ones get the RECENT lane); first
        poll after ``initial_interval``. False once stopped; True if followed (already or now)."""
        if self._stopped:
            return False
        if key not in self._entries:
            now = self._clock()
            recent_until = now + self.cadence.recent_window - max(0.0, age)
            entry = _Entry(key, self.cadence.initial_interval, now + self.cadence.initial_interval, recent_until)
            self._entries[key] = entry
            self._push_timer(entry)
        self.start()
        return True

    def restart(self, key: K) -> None:
        """Begin ``key``'s cadence again (its status changed elsewhere)."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.interval = self.cadence.initial_interval
            self._reschedule(entry, self._clock() + entry.interval)

    def discard(self, key: K) -> None:
        """Stop following ``key`` (no-op if not followed); a poll in flight still ends."""
        entry = self._entries.pop(key, None)
        self._watched.discard(key)
        if entry is not None:
            entry.generation += 1  # its heap items are stale now

    # -- hints -----------------------------------------------------------------------------

    def refresh(self, key: K) -> None:
        """Put ``key`` at the front: the next request the cap allows is its."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.refresh = True
            self._reschedule(entry, self._clock())

    def caught(self, key: K) -> None:
        """The checkin redirect was just caught: poll now, then every ``burst_interval`` for
        ``burst_duration``, then back off from ``initial_interval``."""
        entry = self._entries.get(key)
        if entry is not None:
            now = self._clock()
            entry.burst_until = now + self.cadence.burst_duration
            entry.interval = self.cadence.initial_interval
            self._reschedule(entry, now)

    def watch(self, keys: Iterable[K]) -> None:
        """The keys a person is looking at now (replaces the previous set): each polled every
        ``watch_interval`` while watched, the first time at once if not checked that recently."""
        wanted = {key for key in keys if key in self._entries}
        for key in self._watched - wanted:
            self._entries[key].watched = False
        now = self._clock()
        for key in wanted - self._watched:
            entry = self._entries[key]
            entry.watched = True
            checked = entry.last_checked if entry.last_checked is not None else -math.inf
            self._reschedule(entry, min(entry.due, max(now, checked + self.cadence.watch_interval)))
        self._watched = wanted

    @property
    def watched(self) -> frozenset[K]:
        return frozenset(self._watched)

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the provider's Retry-After)."""
        self._pause_until = max(self._pause_until, self._clock() + max(0.0, seconds))

    @property
    def paused_until(self) -> float:
        return self._pause_until

    def info(self, key: K) -> ScheduleInfo | None:
        """Lane, last check and next check of ``key`` (None if not followed)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._clock()
        due = None if entry.flying else max(entry.due, self._pause_until)
        return ScheduleInfo(self._lane(entry, now), entry.last_checked, due)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop (idempotent; needs a running event loop)."""
        if self._loop_task is None and not self._stopped:
            self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="poll-scheduler")

    async def stop(self) -> None:
        """Stop the loop and the polls in flight; forget every key."""
        self._stopped = True
        tasks = [t for t in (self._loop_task, *self._flights) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._entries.clear()
        self._watched.clear()
        self._timers.clear()
        self._ready.clear()

    # -- the heaps -------------------------------------------------------------------------

    def _lane(self, entry: _Entry[K], now: float) -> Lane:
        if entry.refresh:
            return Lane.REFRESH
        if now < entry.burst_until:
            return Lane.CAUGHT
        if entry.watched:
            return Lane.WATCHED
        if now < entry.recent_until:
            return Lane.RECENT
        return Lane.BACKGROUND

    def _push_timer(self, entry: _Entry[K]) -> None:
        heapq.heappush(self._timers, (entry.due, next(self._seq), entry.generation, entry))
        if self._timers[0][3] is entry:
            self._wake.set()

    def _reschedule(self, entry: _Entry[K], due: float) -> None:
        entry.due = due
        if entry.flying:
            return  # rescheduled when the poll in flight ends
        entry.generation += 1
        self._push_timer(entry)
        self._compact()

    def _compact(self) -> None:
        """Drop stale heap items once they outnumber the live ones (hints can come in floods)."""
        if len(self._timers) + len(self._ready) > 2 * len(self._entries) + 64:
            self._timers = [item for item in self._timers if self._live(item[3], item[2])]
            self._ready = [item for item in self._ready if self._live(item[4], item[3])]
            heapq.heapify(self._timers)
            heapq.heapify(self._ready)

    def _live(self, entry: _Entry[K], generation: int) -> bool:
        return entry.generation == generation and not entry.flying and self._entries.get(entry.key) is entry

    def _promote(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _, seq, generation, entry = heapq.heappop(self._timers)
            if not self._live(entry, generation):
                continue
            lane = self._lane(entry, now)
            # the rest go round-robin, least recently checked first; the others by due time
            if lane is Lane.BACKGROUND:
                order = entry.last_checked if entry.last_checked is not None else -math.inf
            else:
                order = entry.due
            heapq.heappush(self._ready, (lane, order, seq, generation, entry))

    def _pop_ready(self) -> _Entry[K] | None:
        while self._ready:
            _, _, _, generation, entry = heapq.heappop(self._ready)
            if self._live(entry, generation):
                return entry
        return None

    def _has_ready(self) -> bool:
        while self._ready and not self._live(self._ready[0][4], self._ready[0][3]):
            heapq.heappop(self._ready)
        return bool(self._ready)

    # -- the loop --------------------------------------------------------------------------

    async def _wait(self, seconds: float | None) -> None:
        """Sleep ``seconds`` (None: until woken), or less when a hint wakes the loop."""
        waiter = asyncio.ensure_future(self._wake.wait())
        waits: set[asyncio.Future[Any]] = {waiter}
        if seconds is not None:
            waits.add(asyncio.ensure_future(self._sleep(seconds)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in waits:
                future.cancel()

    async def _until_ready(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            if now < self._pause_until:
                await self._sleep(self._pause_until - now)
                continue
            self._promote(now)
            if self._has_ready():
                return
            await self._wait(self._timers[0][0] - now if self._timers else None)

    async def _run(self) -> None:
        while True:
            await self._until_ready()
            await self._slots.acquire()
            try:
                await self._until_ready()
                await self._limiter.acquire()
                if self._clock() < self._pause_until:  # a 429 came while waiting: the token lapses
                    self._slots.release()
                    continue
                self._promote(self._clock())
                entry = self._pop_ready()
            except BaseException:
                self._slots.release()
                raise
            if entry is None:
                self._slots.release()
                continue
            self._dispatch(entry)

    def _dispatch(self, entry: _Entry[K]) -> None:
        lane = self._lane(entry, self._clock())
        self.sent[lane] += 1
        entry.refresh = False
        entry.flying = True
        entry.generation += 1
        task = asyncio.get_running_loop().create_task(self._fly(entry))
        self._flights.add(task)
        task.add_done_callback(self._flights.discard)

    async def _fly(self, entry: _Entry[K]) -> None:
        try:
            try:
                result = await self._poll(entry.key)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one poll must not end the following
                log.exception("poll of %r failed unexpectedly", entry.key)
                result = PollResult(Outcome.FAILED)
        finally:
            entry.flying = False
            self._slots.release()
        self._landed(entry, result)

    def _landed(self, entry: _Entry[K], result: PollResult) -> None:
        now = self._clock()
        entry.last_checked = now
        if result.retry_after is not None:
            self.pause(result.retry_after)
        if result.outcome is Outcome.DONE or self._entries.get(entry.key) is not entry:
            self.discard(entry.key)
            return
        cadence = self.cadence
        bursting = now < entry.burst_until
        if result.outcome is Outcome.CHANGED or bursting:  # the backoff starts after the burst
            entry.interval = cadence.initial_interval
        else:
            entry.interval = min(cadence.max_interval, entry.interval * cadence.multiplier)
        wait = entry.interval
        if bursting:
            wait = min(wait, cadence.burst_interval)
        elif entry.watched:
            wait = min(wait, cadence.watch_interval)
        self._reschedule(entry, now if entry.refresh else now + wait)
