"""Following payouts until they are final: the poll schedule, the request-rate cap, the poller.

* :class:`PollPolicy` — the numbers: first poll after ``initial_interval`` (1 s), then 2, 4, …
  capped at ``max_interval`` (60 s); the cadence restarts from 1 s whenever the status changes;
  at most ``max_concurrent`` requests at once and never more than ``max_requests_per_second``.
* :class:`RateLimiter` — the request-rate cap, shared by everything the desk sends.
* :class:`Poller` — follows payouts through one :class:`~payout_desk.services.scheduler.PollScheduler`
  (which payout to ask about next, and when), only payouts of its connection; checks every answer
  against the journal (a different id, amount, currency or reference: ``mismatch``, no more polling)
  and records every status change (:meth:`Poller.apply`, the one place an answer is applied); stops
  when the journal's status is no longer pending.

All timing goes through an injectable ``clock``/``sleep`` pair (asyncio by default); no threads.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from payout_desk.domain.answers import is_stale
from payout_desk.domain.status import MISMATCH
from payout_desk.journal import PayoutJournal, PayoutRecord
from payout_desk.provider.client import PayoutsClient, RetryPolicy
from payout_desk.provider.errors import ProviderError, RateLimitedError
from payout_desk.provider.models import Payment
from payout_desk.services.answer_check import check_payment, mismatch_message, raw_answer
from payout_desk.services.scheduler import Cadence, Lane, Outcome, PollResult, PollScheduler

__all__ = ["Clock", "Notify", "PollPolicy", "PollTimes", "Poller", "RateLimiter", "Sleep", "next_interval"]

log = logging.getLogger("payout_desk.services.poll")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
#: ``notify(record, previous_status, event)``: how the flows tell the desk about a change.
Notify = Callable[[PayoutRecord, "str | None", str], None]

_ONE_ATTEMPT = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class PollPolicy:
    """How the desk follows and resends payouts (seconds, requests)."""

    initial_interval: float = 1.0
    max_interval: float = 60.0
    multiplier: float = 2.0
    max_concurrent: int = 4
    max_requests_per_second: float = 5.0
    #: Unsent (outcome unknown) payouts are resent after 5 s, 10 s, … capped at 300 s.
    resend_initial_interval: float = 5.0
    resend_max_interval: float = 300.0
    #: After the checkin redirect is caught: every ``burst_interval`` for ``burst_duration``.
    burst_interval: float = 1.0
    burst_duration: float = 120.0
    #: A payout selected in the history or open in details: every ``watch_interval``.
    watch_interval: float = 5.0
    #: Payouts created less than this long ago go ahead of the older ones.
    recent_window: float = 600.0

    def __post_init__(self) -> None:
        if self.initial_interval <= 0 or self.max_interval < self.initial_interval:
            raise ValueError("poll intervals must be positive and max >= initial")
        if self.multiplier < 1 or self.max_concurrent < 1 or self.max_requests_per_second <= 0:
            raise ValueError("multiplier >= 1, max_concurrent >= 1, max_requests_per_second > 0")
        if self.resend_initial_interval <= 0 or self.resend_max_interval < self.resend_initial_interval:
            raise ValueError("resend intervals must be positive and max >= initial")
        self.cadence()  # checks the scheduler's numbers

    def cadence(self) -> Cadence:
        """The scheduler's numbers."""
        return Cadence(
            initial_interval=self.initial_interval,
            max_interval=self.max_interval,
            multiplier=self.multiplier,
            burst_interval=self.burst_interval,
            burst_duration=self.burst_duration,
            watch_interval=self.watch_interval,
            recent_window=self.recent_window,
        )


def next_interval(current: float, policy: PollPolicy, *, changed: bool) -> float:
    """The wait before the next poll: back to the start after a change, else grow to the cap."""
    if changed:
        return policy.initial_interval
    return min(policy.max_interval, current * policy.multiplier)


class RateLimiter:
    """A token bucket that never lets more than ``rate`` requests into any one-second window.

    The bucket holds ``floor(rate)`` tokens (one token per ``1/rate`` s when ``rate < 1``). A
    spent token comes back one period after it was spent, plus ``margin`` (0.1 s) to absorb
    event-loop and send-time jitter, so — unlike a refill-by-rate bucket, which allows
    capacity + rate in a window — no window of one period ever holds more than the cap.
    Waiters are served first come, first served; ``urgent`` waiters (a person's action) go
    ahead of the background queue.
    """

    def __init__(
        self, rate: float, *, margin: float = 0.1, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if rate >= 1:
            self.tokens, self.period = math.floor(rate), 1.0
        else:
            self.tokens, self.period = 1, 1.0 / rate
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._spent: collections.deque[float] = collections.deque()
        self._queue = asyncio.Lock()
        self._urgent_waiting = 0

    def _expire(self, now: float) -> None:
        horizon = now - self.period - self.margin
        while self._spent and self._spent[0] <= horizon:
            self._spent.popleft()

    def _wait_time(self, now: float) -> float:
        """Seconds until a token is free (0 if one is free now)."""
        self._expire(now)
        if len(self._spent) < self.tokens:
            return 0.0
        return max(0.0, self._spent[0] + self.period + self.margin - now) + 1e-6

    async def acquire(self, urgent: bool = False) -> None:
        """Wait for a token and spend it."""
        if urgent:
            self._urgent_waiting += 1
            try:
                await self._take(urgent=True)
            finally:
                self._urgent_waiting -= 1
            return
        async with self._queue:
            await self._take(urgent=False)

    async def acquire_urgent(self) -> None:
        """``acquire(urgent=True)``, as a zero-argument callable for the client's hook."""
        await self.acquire(urgent=True)

    async def _take(self, *, urgent: bool) -> None:
        while True:
            now = self._clock()
            wait = self._wait_time(now)
            if wait == 0.0 and (urgent or self._urgent_waiting == 0):
                self._spent.append(now)
                return
            await self._sleep(wait if wait > 0 else 0.005)


@dataclass(frozen=True)
class PollTimes:
    """When a followed payout was last asked about and when it will be next (None: not yet /
    being asked now), and why it is polled (``lane``: refresh, caught, watched, recent, background)."""

    last_checked: datetime | None
    next_check: datetime | None
    lane: str


def _followable_status(status: str) -> bool:
    return status in ("pending", "created")


def _followable(record: PayoutRecord) -> bool:
    """The provider holds it and has not finished it (a mismatch is never followed)."""
    return _followable_status(record.status)


class Poller:
    """Follows every non-final payout with a provider id until its status is final.

    One :class:`PollScheduler` decides when and which payout to ask about (a slot of the
    concurrency bound and a token of the rate limiter per request, no task per payout);
    :meth:`_poll_one` asks and classifies the answer; :meth:`apply` records it. A 429 pauses
    every poll for the provider's ``Retry-After``. Errors never stop the following; a final
    status does. ``refresh`` (a person's "check now") is :meth:`poll_now`; :meth:`watch` and
    :meth:`caught` are the hints that put a payout ahead of the rest.
    """

    def __init__(
        self,
        journal: PayoutJournal,
        client: PayoutsClient,
        *,
        policy: PollPolicy,
        limiter: RateLimiter,
        actor: str,
        notify: Notify,
        connection_id: str,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._journal = journal
        self._client = client
        self.policy = policy
        self._limiter = limiter
        self._actor = actor
        self._notify = notify
        self.connection_id = connection_id
        self._clock = clock
        self.scheduler: PollScheduler[int] = PollScheduler(
            self._poll_one,
            limiter=limiter,
            max_concurrent=policy.max_concurrent,
            cadence=policy.cadence(),
            clock=clock,
            sleep=sleep,
        )
        self._stopped = False
        self._woken_by: dict[int, str] = {}

    @property
    def following(self) -> frozenset[int]:
        """Local ids being followed now."""
        return self.scheduler.keys()

    def follow(self, record: PayoutRecord, *, restart: bool = False) -> bool:
        """Start following ``record`` (needs a provider id, pending or created, this connection's);
        True if it is followed. ``restart`` begins the cadence again for a payout already followed."""
        if self._stopped or record.payment_id is None or not _followable(record):
            return False
        if record.connection_id != self.connection_id:
            return False
        if record.local_id not in self.scheduler:
            self.scheduler.add(record.local_id, age=_age_seconds(record.created_at))
        elif restart:
            self.scheduler.restart(record.local_id)
        return True

    def unfollow(self, local_id: int) -> None:
        """Stop following ``local_id`` (no-op if not followed)."""
        self.scheduler.discard(local_id)

    def watch(self, local_ids: Iterable[int]) -> None:
        """The payouts a person is looking at (selected, open in details): every few seconds."""
        self.scheduler.watch(local_ids)

    def caught(self, local_id: int) -> None:
        """The checkin redirect of ``local_id`` was just caught: ask every second for a while."""
        self.scheduler.caught(local_id)

    def wake(self, local_id: int, source: str) -> None:
        """Ask about ``local_id`` next (at the front), and record what that answer changes with ``source``
        (the team agent's ``webhook``: the GET a webhook woke; its body is never applied)."""
        if local_id in self.scheduler:
            self._woken_by[local_id] = source
            self.scheduler.refresh(local_id)

    def times(self, local_id: int) -> PollTimes | None:
        """When ``local_id`` was last asked about and when it will be next (None: not followed)."""
        info = self.scheduler.info(local_id)
        if info is None:
            return None
        now, wall = self._clock(), datetime.now(UTC)

        def at(moment: float | None) -> datetime | None:
            return None if moment is None else wall + timedelta(seconds=moment - now)

        return PollTimes(at(info.last_checked), at(info.next_due), Lane(info.lane).name.lower())

    async def stop(self) -> None:
        """Stop polling and wait for the requests in flight to end."""
        self._stopped = True
        await self.scheduler.stop()

    async def _poll_one(self, local_id: int) -> PollResult:
        """Ask the provider about ``local_id`` once (the scheduler holds the slot and the token)."""
        source = self._woken_by.pop(local_id, "poll")  # taken before the GET: an earlier GET is not the wake-up's
        try:  # the journal's view now (provider id, last status): nothing per payout is kept in memory
            record = await self._journal.get(local_id)
        except Exception:
            log.exception("reading payout %s from the journal failed", local_id)
            return PollResult(Outcome.FAILED)
        payment_id, last_status = record.payment_id, record.status
        if payment_id is None or not _followable_status(last_status) or record.connection_id != self.connection_id:
            return PollResult(Outcome.DONE)
        try:
            payment = await self._client.get_payout(payment_id, retry=_ONE_ATTEMPT)
        except RateLimitedError as exc:
            pause = exc.retry_after if exc.retry_after is not None else self.policy.initial_interval
            return PollResult(Outcome.FAILED, retry_after=pause)
        except ProviderError as exc:
            log.warning("poll of payout %s (%s) failed: %s", local_id, payment_id, exc.detail)
            return PollResult(Outcome.FAILED)
        try:
            updated = await self.apply(local_id, payment, source=source, previous=last_status)
        except Exception:  # the journal could not record it: ask again later
            log.exception("recording the status of payout %s failed", local_id)
            return PollResult(Outcome.FAILED)
        if updated is not None:
            last_status = updated.status
        if not _followable_status(last_status):
            log.info("payout %s (%s) is no longer followed: %s", local_id, payment_id, last_status)
            return PollResult(Outcome.DONE)
        return PollResult(Outcome.CHANGED if updated is not None else Outcome.UNCHANGED)

    async def apply(self, local_id: int, payment: Payment, *, source: str, previous: str | None) -> PayoutRecord | None:
        """Record ``payment``'s status for ``local_id`` once it is checked against the journal;
        notify and return the record if it changed, None if the journal already had it. An answer
        for another id, amount, currency or reference is never applied: the payout is ``mismatch``."""
        record = await self._journal.get(local_id)
        problems = check_payment(record, payment)
        if problems:
            if record.status == MISMATCH:
                return None
            log.error("payout %s: the provider's answer does not match the journal: %s", local_id, problems)
            refused = await self._journal.record_mismatch(
                local_id,
                problems=problems,
                answer=raw_answer(payment),
                source=source,
                message=mismatch_message(problems),
                actor=self._actor,
            )
            self._notify(refused, previous, "mismatch")
            return refused
        if is_stale(record.status, payment.status):  # overtaken by an answer already recorded
            log.info("payout %s: ignoring a stale %r answer (%s); the journal has %s",
                     local_id, payment.status, source, record.status)  # fmt: skip
            return None
        updated = await self._journal.record_status(
            local_id, status=payment.status, failure_reason=payment.failure_reason, source=source, actor=self._actor
        )
        if updated is not None:
            log.info("payout %s: %s -> %s (%s)", local_id, previous, updated.status, source)
            self._notify(updated, previous, "status")
        return updated

    async def poll_now(self, record: PayoutRecord, *, source: str = "refresh") -> PayoutRecord:
        """GET ``record``'s payment now (ahead of background polls) and record any change.
        Works for final payouts too (a bank return turns ``succeeded`` into ``failed``).
        Raises ProviderError when the provider cannot say."""
        if record.payment_id is None:
            return record
        payment = await self._client.get_payout(record.payment_id, before_attempt=self._limiter.acquire_urgent)
        updated = await self.apply(record.local_id, payment, source=source, previous=record.status)
        current = updated or record
        if not _followable(current):
            self.unfollow(record.local_id)
        else:
            self.follow(current, restart=updated is not None)
        return current


def _age_seconds(created_at: datetime) -> float:
    """How long ago ``created_at`` was (a naive time is taken as UTC)."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - created_at).total_seconds())
