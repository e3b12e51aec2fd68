"""The agent's sender: claims the team's unsent payouts and sends each with the desk's own ``Submitter``.

* A claim (``FencedPgJournal.claim``) takes the oldest ``confirmed``/``outcome_unknown`` payout of the team's
  connection that no live lease holds, with a lease the database times and a fencing generation. At most
  ``concurrency`` payouts are in flight, one claim each.
* Each is sent by ``services.submit.Submitter`` unchanged (journal first, stored body and key, the retention
  rules, ambiguity, answer checks) over the fenced journal, so every write names the claim's generation and a
  stale agent's late write is refused. While the send runs, its lease is renewed every third of its length.
* Before sending, the journaled body is read with a parser that refuses duplicate keys and compared with the
  payout's columns (``domain.body_check``): a body that does not say exactly the amount, currency, reference and
  type the rules and approvers read is never sent; the payout becomes ``needs_reconciliation`` (the state a
  person must look at, which no agent claims) with the disagreement journaled as its error.
* When the send ends the claim is released; a payout still unanswered (``outcome_unknown``) waits the desk's
  resend backoff (5 s, 10 s, … 300 s by its claim count) before anyone claims it again, with the same key.
* Work wakes on the feed (an event that makes a payout ``confirmed`` or ``outcome_unknown``), after every send,
  and on a slow sweep as the backstop (a lease that ran out, a backoff that passed, a missed notification).
* On stop, sends under way are cancelled and their claims released: another agent resends them at once,
  with the same key (an attempt left open makes the payout ambiguous, as after a crash).
* The team's provider (``team_settings``) is read again before each claim and, once a payout is claimed, before
  it is sent: when an administrator changed it, the agent claims nothing more, releases unsent what it has just
  claimed, lets the sends whose request has started end under the exactly-once rules, and stops the agent
  (exit 1) with one line saying why (:class:`ProviderChangedError`). The database refuses such claims too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from payout_desk.agent.errors import AgentStopError
from payout_desk.domain.body_check import body_disagreements
from payout_desk.domain.held_back import held_back_message
from payout_desk.domain.status import NEEDS_RECONCILIATION
from payout_desk.journal.models import JournalError, JournalEvent, LeaseLostError, PayoutRecord
from payout_desk.journal.postgres.feed import FeedListener
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.services.submit import UNSENT_STATUSES, Submitter
from payout_desk.services.team import team_identity

if TYPE_CHECKING:
    from payout_desk.agent.runner import AgentContext
    from payout_desk.journal.postgres.leases import Lease

__all__ = ["ProviderChangedError", "Sender", "record_disagreements", "wakes_sender"]

log = logging.getLogger("payout_desk.agent.sender")


def wakes_sender(event: JournalEvent) -> bool:
    """Whether a feed event may have made a payout claimable (it became confirmed or outcome unknown)."""
    return event.kind == "confirmed" or event.detail.get("new") in UNSENT_STATUSES


def record_disagreements(record: PayoutRecord) -> list[str]:
    """Where the record's journaled body disagrees with its columns (amount, currency, reference, recipient)."""
    return body_disagreements(
        record.request_body,
        amount=record.amount,
        currency=record.currency,
        external_id=record.external_id,
        recipient_id=record.recipient_id,
        recipient_name=record.recipient_name,
    )


class ProviderChangedError(AgentStopError):
    """The team's provider is no longer this agent's: it claims nothing more and stops (exit 1)."""


class Sender:
    """The sending component (``run(stop)``)."""

    name = "sender"

    def __init__(self, context: AgentContext) -> None:
        self._context = context
        self._config = context.config
        self._journal = context.journal
        self._submitter = Submitter(
            context.journal,
            context.client,
            environment=context.identity.environment,
            profile=context.identity.profile,
            actor=context.login,
            notify=self._notify,
            connection_id=context.identity.key,
            retention=context.config.retention_seconds,
        )
        self._workers: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.sent = 0  # sends that ended with the provider's answer (created, rejected, mismatch, …)

    @staticmethod
    def _notify(record: PayoutRecord, previous: str | None, event: str) -> None:
        if event in ("created", "rejected", "mismatch", "needs_reconciliation", "outcome_unknown"):
            log.info("payout %s: %s -> %s (%s)", record.local_id, previous, record.status, event)

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and send until ``stop``; then cancel what is under way and release its claims."""
        loop = asyncio.get_running_loop()
        cursor = await self._journal.last_event_id()
        feed = FeedListener(self._config.conninfo, lambda: loop.call_soon_threadsafe(self._wake.set))
        feed.start()
        try:
            while not stop.is_set():
                await self._fill(stop)
                await self._wait(stop)
                if self._wake.is_set() and not stop.is_set():
                    self._wake.clear()
                    cursor = await self._read_feed(cursor)
        except ProviderChangedError:
            await self._let_started_sends_end(stop)
            raise
        finally:
            await self._shutdown()
            await loop.run_in_executor(None, feed.stop)

    async def _read_feed(self, cursor: int) -> int:
        """Move the feed cursor on; wake the claims when an event may have made a payout claimable."""
        try:
            while events := await self._journal.events_after(cursor):
                cursor = events[-1].event_id
                if any(wakes_sender(e) for e in events):
                    self._wake.set()
        except JournalError as exc:
            log.warning("agent: reading the feed failed (%s); the sweep goes on", exc)
        return cursor

    async def _wait(self, stop: asyncio.Event) -> None:
        """Until stop, a wake-up, a worker ending, or the sweep interval."""
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait([*waiters, *self._workers], timeout=self._config.sweep_seconds,
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _fill(self, stop: asyncio.Event) -> None:
        """Claim payouts while there are free slots and something to claim."""
        while len(self._workers) < self._config.concurrency and not stop.is_set():
            try:
                lease = await self._claim()
            except JournalError as exc:
                log.warning("agent: claiming failed (%s); trying again at the next sweep", exc)
                return
            if lease is None:
                return
            log.info("payout %s claimed (claim %s, until %s)", lease.local_id, lease.generation, lease.expires_at)
            worker = asyncio.create_task(self._work(lease), name=f"agent-send-{lease.local_id}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def _claim(self) -> Lease | None:
        """One claim, the team's provider read before it and again before its send; ProviderChangedError (what
        was just claimed released unsent) when the provider is not this agent's any more."""
        changed = await self._provider_changed()
        if changed is None:
            lease = await self._journal.claim(
                self._context.identity.key, self._context.instance, self._config.lease_seconds
            )
            if lease is None:
                return None
            try:
                changed = await self._provider_changed()
            except BaseException:
                await self._release(lease, 0.0)
                raise
            if changed is None:
                return lease
            await self._release(lease, 0.0)
            log.warning("payout %s: released unsent, the team's provider changed", lease.local_id)
        raise ProviderChangedError(changed)

    async def _provider_changed(self) -> str | None:
        """Why this agent may not send any more (one line) when the team's provider is not its own; None while it
        is. JournalError when it cannot be read (nothing is claimed then)."""
        team_url = await self._journal.provider_base_url()
        own = self._context.identity
        try:
            if team_url is not None and team_identity(team_url).key == own.key:
                return None
        except InsecureBaseUrlError:
            pass
        now = f"is now {team_url}" if team_url else "is not set any more"
        return (
            f"the team's provider {now}, not this agent's {own.endpoint}: it claims and sends nothing more "
            f"(payouts confirmed for {own.endpoint} are never sent to another provider; an administrator decides "
            f"about them). Stopping; start the team's agents with the team's provider URL."
        )

    async def _let_started_sends_end(self, stop: asyncio.Event) -> None:
        """Sends whose request went out end under the exactly-once rules (at most a lease's length, or stop)."""
        if not self._workers:
            return
        log.info("agent: %d send(s) under way end first (their request has started)", len(self._workers))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            pending = {*self._workers, stopping}
            while self._workers and not stop.is_set():
                done, pending = await asyncio.wait(pending, timeout=self._config.lease_seconds,
                                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                if not done:
                    return
        finally:
            stopping.cancel()

    async def _work(self, lease: Lease) -> None:
        """Send one claimed payout, renewing its lease meanwhile; release it afterwards."""
        renewing = asyncio.create_task(self._renew(lease), name=f"agent-renew-{lease.local_id}")
        retry_after = 0.0
        try:
            record = await self._journal.get(lease.local_id)
            if await self._held_back(record):
                pass  # never sent: a person looks at it (needs_reconciliation, no agent claims it again)
            elif (await self._submitter.send(record, urgent=False)).status in UNSENT_STATUSES:
                retry_after = self._config.resend_after(lease.generation)
                log.info("payout %s still unanswered; resent in %.0f s or later, same key", lease.local_id, retry_after)
            else:
                self.sent += 1
        except LeaseLostError as exc:
            log.warning("payout %s: %s; another agent sends it", lease.local_id, exc)
            return
        except asyncio.CancelledError:
            log.info("payout %s: stopping; its claim is released for another agent", lease.local_id)
        except Exception:
            log.exception("payout %s: the send failed; it stays unsent and is claimed again later", lease.local_id)
            retry_after = self._config.resend_after(lease.generation)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        await self._release(lease, retry_after)
        self._wake.set()  # a free slot: look for more work at once

    async def _held_back(self, record: PayoutRecord) -> bool:
        """Whether the body disagrees with the record's columns: then it is never sent and needs a person."""
        problems = record_disagreements(record)
        if not problems:
            return False
        message = held_back_message(problems)
        log.error("payout %s: %s", record.local_id, message)
        login = self._context.login
        held = await self._journal.record_needs_reconciliation(record.local_id, message=message, actor=login)
        self._notify(held, record.status, NEEDS_RECONCILIATION)
        return True

    async def _release(self, lease: Lease, retry_after: float) -> None:
        try:
            await self._journal.release(lease, retry_after)
        except LeaseLostError:
            log.warning("payout %s: claim %s was taken over before it was released", lease.local_id, lease.generation)
        except JournalError as exc:
            log.warning("payout %s: releasing the claim failed (%s); it runs out by itself", lease.local_id, exc)

    async def _renew(self, lease: Lease) -> None:
        """Renew every third of the lease until cancelled; stop when the claim is lost (writes are refused then)."""
        while True:
            await asyncio.sleep(self._config.renew_seconds)
            try:
                lease = await self._journal.renew(lease, self._config.lease_seconds)
            except LeaseLostError:
                log.warning("payout %s: the claim was lost while sending; its late writes will be refused",
                            lease.local_id)  # fmt: skip
                return
            except JournalError as exc:
                log.warning("payout %s: renewing the claim failed (%s); trying again", lease.local_id, exc)

    async def _shutdown(self) -> None:
        """Cancel the sends under way (their workers release the claims) and wait for the workers."""
        workers = list(self._workers)
        for worker in workers:
            worker.cancel()
        await self._submitter.cancel_all()  # the requests themselves (a worker only waits for its send)
        if workers:
            await asyncio.wait(workers)
