"""PayoutDesk: the facade the UI talks to — submit, follow, recover, history, export.

It wires the flows together for one journal and one provider client:
:class:`~payout_desk.services.submit.Submitter` (journal first, then network),
:class:`~payout_desk.services.poll.Poller` (follow until final),
:class:`~payout_desk.services.recover.Resender` and :func:`~payout_desk.services.recover.recover`
(never lost), all sharing one :class:`~payout_desk.services.poll.RateLimiter`.

Listeners get a :class:`PayoutChange` for every change — confirmed, each attempt, created,
rejected, outcome unknown, status change — called on the event loop's thread (the UI adapts them
to Qt signals). Each call is guarded: a failing listener is logged and the flow goes on.
Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
from payout_desk.domain.identity import ConnectionIdentity, describe_key
from payout_desk.domain.payout import PayoutRequest
from payout_desk.domain.retention import DEFAULT_RETENTION_SECONDS
from payout_desk.domain.status import MISMATCH, NEEDS_RECONCILIATION, is_final
from payout_desk.domain.totals import CurrencyTotals
from payout_desk.journal import DuplicateReferenceError, HistoryQuery, JournalEvent, PayoutJournal, PayoutRecord
from payout_desk.journal.once import WaitingConnection
from payout_desk.provider.client import PayoutsClient
from payout_desk.services.export import export_csv
from payout_desk.services.poll import Clock, Poller, PollPolicy, PollTimes, RateLimiter, Sleep
from payout_desk.services.reconcile import OtherConnectionError, Reconciler, ReconcileRefusedError
from payout_desk.services.recover import RecoveryReport, Resender, recover
from payout_desk.services.submit import UNSENT_STATUSES, Submitter

__all__ = [
    "OtherConnectionError",
    "PayoutChange",
    "PayoutDesk",
    "ReconcileRefusedError",
    "ReferenceInUseError",
    "new_reference",
]

log = logging.getLogger("payout_desk.services.desk")

Listener = Callable[["PayoutChange"], None]


@dataclass(frozen=True)
class PayoutChange:
    """One change of one payout, for listeners.

    ``previous_status`` is the status before the change (None for a new payout; equal to
    ``record.status`` for an attempt). ``became_final`` is True when the change put the payout
    into a final status it did not have before — including ``succeeded`` → ``failed`` — or into
    ``mismatch`` (nothing more happens by itself: a person must look; the UI notifies).
    ``event`` is what happened: confirmed, attempt, created, rejected, outcome_unknown, status,
    mismatch.
    """

    record: PayoutRecord
    previous_status: str | None
    became_final: bool
    event: str = "status"


class ReferenceInUseError(ValueError):
    """The reference (``externalId``) is already used on this connection, by payout ``owner``."""

    def __init__(self, external_id: str, owner: int) -> None:
        self.external_id = external_id
        self.owner = owner
        self.user_message = (
            f"External ID: “{external_id}” is already the reference of payout #{owner} on this connection; "
            "every payout needs its own. Open that payout, or use another reference."
        )
        super().__init__(self.user_message)


def new_reference() -> str:
    """A fresh reference (``externalId``) for a payout that has none: a UUID v4."""
    return str(uuid.uuid4())


class PayoutDesk:
    """The services the UI uses, for one journal, one client, one connection.

    ``identity`` (``domain.identity``) is stored with every payout confirmed here; recover, resend
    and poll touch only payouts with this identity. Without one (tests, tools) it is built from
    the environment, profile and the client's base URL with an unverified account.

    The desk does not own the journal or the client: whoever opened them closes them after
    :meth:`stop`.
    """

    def __init__(
        self,
        journal: PayoutJournal,
        client: PayoutsClient,
        *,
        environment: str,
        profile: str,
        actor: str,
        poll: PollPolicy = PollPolicy(),  # noqa: B008 - frozen dataclass
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        identity: ConnectionIdentity | None = None,
        retention: float | None = DEFAULT_RETENTION_SECONDS,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.identity = identity or ConnectionIdentity(environment, profile, client.base_url, "unverified")
        self.connection_id = self.identity.key
        self._journal = journal
        self.client = client
        self.environment = environment
        self.profile = profile
        self.actor = actor
        self.policy = poll
        self._listeners: list[Listener] = []
        self.limiter = RateLimiter(poll.max_requests_per_second, clock=clock, sleep=sleep)
        self._submitter = Submitter(
            journal,
            client,
            environment=environment,
            profile=profile,
            actor=actor,
            notify=self._notify,
            connection_id=self.connection_id,
            limiter=self.limiter,
            retention=retention,
            wall_clock=wall_clock,
        )
        self._poller = Poller(
            journal,
            client,
            policy=poll,
            limiter=self.limiter,
            actor=actor,
            notify=self._notify,
            connection_id=self.connection_id,
            clock=clock,
            sleep=sleep,
        )
        self._reconciler = Reconciler(
            journal, client, self._submitter, self._poller, limiter=self.limiter, actor=actor, notify=self._notify
        )
        self._resender = Resender(journal, self._submitter, self._poller, policy=poll, clock=clock, sleep=sleep)
        self._recovery: asyncio.Task[RecoveryReport] | None = None
        self._started = False

    def __repr__(self) -> str:
        return f"PayoutDesk(environment={self.environment!r}, profile={self.profile!r}, client={self.client!r})"

    # -- listeners -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every change from now on; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, record: PayoutRecord, previous: str | None, event: str) -> None:
        needs_person = record.status in (MISMATCH, NEEDS_RECONCILIATION)
        became_final = (is_final(record.status) or needs_person) and previous != record.status
        change = PayoutChange(record=record, previous_status=previous, became_final=became_final, event=event)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("a PayoutChange listener failed (payout %s, %s); carrying on", record.local_id, event)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover: resend every unsent payout with its original key, follow every open one.

        Returns once recovery is under way (the resends run in the background, so a slow or
        unreachable provider never holds up the window); :meth:`wait_recovered` waits for them.
        """
        if self._started:
            return
        self._started = True
        self._recovery = asyncio.get_running_loop().create_task(
            recover(
                self._journal, self._submitter, self._poller, self._resender, max_concurrent=self.policy.max_concurrent
            ),
            name="recover",
        )
        self._resender.start_sweeper()

    async def wait_recovered(self) -> RecoveryReport:
        """Wait until the start-up resends all have an outcome (call :meth:`start` first)."""
        if self._recovery is None:
            raise RuntimeError("PayoutDesk.start() has not been called")
        return await asyncio.shield(self._recovery)

    async def stop(self) -> None:
        """Stop polling and resending and cancel sends in flight (they are resent at the next
        start, with the same key). Does not close the journal or the client."""
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._recovery
        await self._resender.stop()
        await self._poller.stop()
        await self._submitter.cancel_all()

    # -- payouts ---------------------------------------------------------------------------

    async def near_duplicates(self, request: PayoutRequest) -> list[DuplicateMatch]:
        """Journaled payouts ``request`` nearly duplicates (``domain.duplicates``), newest first."""
        probe = PayoutProbe(
            amount=request.amount,
            currency=request.currency.code,
            recipient_id=request.recipient_id,
            recipient_name=request.recipient_name,
            description=request.description,
            at=datetime.now(UTC),
        )
        return await self._journal.near_duplicates(probe)

    async def submit(self, request: PayoutRequest, *, duplicates_shown: Sequence[int] = ()) -> PayoutRecord:
        """Journal ``request`` (committed before any network traffic), send it, return the record.

        Never raises for provider faults: the record's status says what happened (pending,
        rejected with the provider's message, outcome_unknown — then resent automatically with
        the same key). Journal failures do raise: then nothing was sent. ``duplicates_shown``:
        the near-duplicates the confirmation warned about and the person sent anyway (journaled
        with the payout as a ``duplicate_warning`` event).
        """
        if request.external_id is None:  # every request carries a reference (its no-key replay)
            request = dataclasses.replace(request, external_id=new_reference())
        owner = await self.reference_owner(request.external_id or "")
        if owner is not None:
            raise ReferenceInUseError(request.external_id or "", owner)
        try:
            record = await self._submitter.confirm(request, duplicates_shown=duplicates_shown)
        except DuplicateReferenceError as exc:  # taken between the check and the commit
            raise ReferenceInUseError(exc.external_id, exc.owner) from exc
        result = await self._submitter.send(record)
        self._resender.route(result)
        return result

    async def reference_owner(self, external_id: str) -> int | None:
        """The payout of this connection that already uses the reference ``external_id``, if any."""
        return await self._journal.reference_owner(self.connection_id, external_id)

    async def reconcile_found(self, local_id: int, payment_id: str) -> PayoutRecord:
        """See :meth:`Reconciler.found`: verified by a GET, recorded (audited), then followed."""
        return await self._reconciler.found(local_id, payment_id)

    async def reconcile_not_found(self, local_id: int, *, reason: str) -> PayoutRecord:
        """See :meth:`Reconciler.not_found`: recorded (audited), then sent without a key."""
        result = await self._reconciler.not_found(local_id, reason=reason)
        self._resender.route(result)
        return result

    async def checkin_completed(self, local_id: int) -> PayoutRecord:
        """The checkin page redirected back: journaled (a ``checkin_completed`` event) and told to
        listeners (event ``checkin_completed``); the poller goes on following the payout."""
        await self._journal.record_checkin_completed(local_id, actor=self.actor)
        record = await self._journal.get(local_id)
        self._notify(record, record.status, "checkin_completed")
        return record

    async def refresh(self, local_id: int) -> PayoutRecord:
        """Ask the provider now, for any payout (final ones too: a bank return turns
        ``succeeded`` into ``failed``). An unsent payout is resent now with its original key.
        Raises :class:`~payout_desk.provider.errors.ProviderError` (``user_message`` for the
        person) when the provider cannot be asked; the journal keeps what it had."""
        record = await self._journal.get(local_id)
        if record.payment_id is None and record.status not in UNSENT_STATUSES:
            return record  # nothing to ask: rejected, or an answer that was refused (mismatch)
        if record.connection_id != self.connection_id:
            where = describe_key(record.connection_id)
            raise OtherConnectionError(
                f"payout {local_id} is bound to {record.connection_id!r}, not {self.connection_id!r}",
                user_message=f"This payout belongs to {where}. Switch to that profile to check or resend it.",
            )
        if record.payment_id is None:  # unsent: resent now with its original key
            result = await self._submitter.send(record)
            self._resender.route(result)
            return result
        return await self._poller.poll_now(record, source="refresh")

    async def waiting(self) -> list[WaitingConnection]:
        """Other connections with open payouts: each waits for its profile to be active."""
        return await self._journal.waiting(self.connection_id)

    async def rebind(self, old_connection: str | None, *, reason: str) -> list[int]:
        """A person's audited decision: the open payouts of ``old_connection`` (None: from before
        connections were recorded) belong to this connection — a renamed or edited profile, or a
        new Live token a person confirmed is the same merchant account. They are then resent
        (same key and body) or followed here. Returns the local ids re-bound."""
        moved = await self._journal.rebind(old_connection, self.connection_id, reason=reason, actor=self.actor)
        for local_id in moved:
            record = await self._journal.get(local_id)
            if record.status in UNSENT_STATUSES:
                self._resender.schedule(local_id)
            else:
                self._poller.follow(record)
        return moved

    def watch(self, local_ids: Iterable[int]) -> None:
        """The payouts a person is looking at now (selected in the history, open in details;
        replaces the previous set): each is asked about every few seconds while watched."""
        self._poller.watch(local_ids)

    def checkin_caught(self, local_id: int) -> bool:
        """The checkin page of ``local_id`` redirected back: ask every second for a while, first
        now. False if the payout is not being followed (final, or not created)."""
        if local_id not in self._poller.following:
            return False
        self._poller.caught(local_id)
        return True

    def poll_times(self, local_id: int) -> PollTimes | None:
        """When a followed payout was last asked about and when it will be next (None if it is
        not followed: final, or not created at the provider)."""
        return self._poller.times(local_id)

    @property
    def following(self) -> frozenset[int]:
        """Local ids the poller follows now."""
        return self._poller.following

    @property
    def resend_scheduled(self) -> frozenset[int]:
        """Local ids waiting for an automatic resend."""
        return self._resender.scheduled

    # -- history ---------------------------------------------------------------------------

    async def get(self, local_id: int) -> PayoutRecord:
        """One payout as journaled."""
        return await self._journal.get(local_id)

    async def history_count(self, query: HistoryQuery) -> int:
        """How many payouts match ``query``."""
        return await self._journal.count(query)

    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        """One page of matching payouts, in the query's order."""
        return await self._journal.page(query, offset, limit)

    async def history_totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        """Per currency, the count and exact sum by status of the payouts matching ``query``."""
        return await self._journal.totals(query)

    async def events(self, local_id: int) -> list[JournalEvent]:
        """The audit trail of one payout, oldest first."""
        return await self._journal.events(local_id)

    async def export_csv(self, query: HistoryQuery, path: Path) -> int:
        """Write matching payouts to ``path`` as CSV (formula injection defused); rows written."""
        return await export_csv(self._journal, query, path)
