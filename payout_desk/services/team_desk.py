"""TeamDesk: the desk on the team's PostgreSQL journal. It holds no provider client and no token.

Confirm writes the payout through the database function ``confirm_payout`` as the person's own login (the
database takes the actor from ``session_user``); the team's agent claims and sends it. Everything a desk shows
changes through the feed (:class:`~payout_desk.services.desk_feed.DeskFeed`): every event the team writes
reaches the listeners as a :class:`~payout_desk.services.desk.PayoutChange`, the agent's ``created`` event
included (with its checkin url, which the send flow opens). A desk never asks the provider: selecting a payout
or completing its checkin sends a poll hint to the agents (``desk_hints``). Nothing here imports Qt.

The interface is :class:`~payout_desk.services.desk.PayoutDesk`'s, so the window, the history and the send flow
use either; what a team desk cannot do (reconcile, re-bind, resend) is refused in words.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from payout_desk.domain.approvals import required_approvals
from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.domain.payout import PayoutRequest
from payout_desk.domain.status import MISMATCH, NEEDS_RECONCILIATION, is_final
from payout_desk.domain.thresholds import retype_threshold
from payout_desk.domain.totals import CurrencyTotals
from payout_desk.journal import DuplicateReferenceError, HistoryQuery, JournalEvent, PayoutRecord
from payout_desk.journal.once import WaitingConnection
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.services.desk import PayoutChange, ReferenceInUseError, new_reference
from payout_desk.services.desk_feed import DeskFeed
from payout_desk.services.desk_hints import send_hint
from payout_desk.services.export import export_csv
from payout_desk.services.poll import PollTimes

__all__ = ["TeamDesk", "TeamRefusedError", "checkin_refusal"]

log = logging.getLogger(__name__)

Listener = Callable[[PayoutChange], None]
StateListener = Callable[[bool], None]
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


class TeamRefusedError(Exception):
    """Something a team desk does not do (the agents and administrators do); ``user_message`` says so."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def _reconcile_elsewhere(local_id: int) -> str:
    """Where a team payout is reconciled: not on a desk (it holds no provider), with ``payout-desk-admin``."""
    return (
        "A team desk does not reconcile: nothing was changed. An administrator decides that the provider does not "
        f"hold it (payout-desk-admin reconcile {local_id} --not-found --reason …; the agent sends it again with the "
        f"same key); a preparer records a payment the provider holds (… reconcile {local_id} --found PAYMENT_ID "
        "--reason …)."
    )


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme, -1)
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port


def checkin_refusal(checkin_url: str | None, provider_base_url: str) -> str | None:
    """None when ``checkin_url`` is on the team's provider's origin; else why it is not opened, in words."""
    if not checkin_url:
        return "The agent recorded no checkin page for this payout."
    own = _origin(checkin_url)
    if own is None or own != _origin(provider_base_url):
        shown = f"{own[0]}://{own[1]}:{own[2]}" if own else "an unusable address"
        return (
            f"The checkin page of this payout is at {shown}, not at the team's provider {provider_base_url}; "
            "it was not opened. Tell your administrator: the payout may have been sent to the wrong provider."
        )
    return None


class TeamDesk:
    """The services the window uses, on a team journal; see the module docstring."""

    def __init__(
        self,
        journal: AsyncPgJournal,
        identity: ConnectionIdentity,
        *,
        login: str,
        roles: frozenset[str],
        database: str,
        feed: DeskFeed | None = None,
    ) -> None:
        self._journal = journal
        self.identity = identity
        self.connection_id = identity.key
        self.environment = identity.environment
        self.profile = identity.profile
        self.provider_base_url = identity.endpoint
        self.actor = login
        self.roles = roles
        self.database = database
        self.client = None  # a team desk holds no provider client (and no token)
        self.can_prepare = "payout_desk_preparer" in roles
        self._listeners: list[Listener] = []
        self._state_listeners: list[StateListener] = []
        self._statuses: dict[int, str] = {}
        self._watched: tuple[int, ...] = ()
        self.feed = feed or DeskFeed(journal, self._on_events, self._on_state)

    def __repr__(self) -> str:
        return f"TeamDesk(login={self.actor!r}, database={self.database!r}, provider={self.provider_base_url!r})"

    # -- listeners ----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every change from now on; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def subscribe_state(self, listener: StateListener) -> Callable[[], None]:
        """``listener(False)`` when the team database is lost, ``listener(True)`` once the desk is back and
        has caught up from its cursor."""
        self._state_listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._state_listeners.remove(listener)

        return unsubscribe

    @property
    def online(self) -> bool:
        """False while the feed has lost the team database."""
        return self.feed.online

    def _notify(self, record: PayoutRecord, previous: str | None, event: str) -> None:
        self._statuses[record.local_id] = record.status
        needs_person = record.status in (MISMATCH, NEEDS_RECONCILIATION)
        became_final = (is_final(record.status) or needs_person) and previous != record.status
        change = PayoutChange(record=record, previous_status=previous, became_final=became_final, event=event)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("a PayoutChange listener failed (payout %s, %s); carrying on", record.local_id, event)

    async def _on_events(self, events: list[JournalEvent]) -> None:
        """A batch from the feed: each payout it touches is read once and told to the listeners."""
        last: dict[int, JournalEvent] = {}
        first: dict[int, JournalEvent] = {}
        for event in events:
            first.setdefault(event.local_id, event)
            last[event.local_id] = event
        for local_id, event in last.items():
            try:
                record = await self._journal.get(local_id)
            except Exception:
                log.warning("team desk: payout %s of the feed could not be read", local_id, exc_info=True)
                continue
            opening = first[local_id]
            if local_id in self._statuses:
                previous: str | None = self._statuses[local_id]
            elif opening.kind == "confirmed":
                previous = None  # a payout new to this desk: the history counts it
            else:
                old = opening.detail.get("old") if isinstance(opening.detail, dict) else None
                previous = str(old) if old else record.status
            kind = "created" if any(e.kind == "created" for e in events if e.local_id == local_id) else event.kind
            self._notify(record, previous, kind)

    def _on_state(self, online: bool) -> None:
        for listener in list(self._state_listeners):
            try:
                listener(online)
            except Exception:
                log.exception("a team connection listener failed; carrying on")

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Follow the feed from now (its cursor: the newest event id)."""
        await self.feed.start()

    async def stop(self) -> None:
        """Stop following the feed. Does not close the journal."""
        await self.feed.stop()

    # -- payouts ------------------------------------------------------------------------------
    async def near_duplicates(self, request: PayoutRequest) -> list[DuplicateMatch]:
        """The team's journaled payouts ``request`` nearly duplicates, newest first."""
        probe = PayoutProbe(
            amount=request.amount,
            currency=request.currency.code,
            recipient_id=request.recipient_id,
            recipient_name=request.recipient_name,
            description=request.description,
            at=datetime.now(UTC),
        )
        return await self._journal.near_duplicates(probe)

    async def retype_threshold(self, code: str) -> Decimal:
        """The amount from which ``code`` payouts are typed twice: the team's, in the database (issue 21: the
        admins' ``set-retype-threshold`` over the app's defaults), read at each confirmation; 0: always."""
        thresholds = await self._journal.on_connection(approvals.retype_thresholds)
        return retype_threshold(thresholds, code)

    async def submit(self, request: PayoutRequest, *, duplicates_shown: Sequence[int] = ()) -> PayoutRecord:
        """Confirm ``request`` for the team's provider through ``confirm_payout`` (as this login); the record
        is ``confirmed`` (or awaiting approval): the team's agent sends it, and the feed says when."""
        if not self.can_prepare:
            raise TeamRefusedError("Your login may look at the team's payouts but not prepare them (viewer role).")
        if request.external_id is None:
            request = dataclasses.replace(request, external_id=new_reference())
        owner = await self.reference_owner(request.external_id or "")
        if owner is not None:
            raise ReferenceInUseError(request.external_id or "", owner)
        try:
            record = await self._journal.record_confirmed(
                request,
                idempotency_key=str(uuid.uuid4()),
                environment=self.environment,
                profile=self.profile,
                actor=self.actor,
                connection_id=self.connection_id,
                duplicates_shown=duplicates_shown,
            )
        except DuplicateReferenceError as exc:
            raise ReferenceInUseError(exc.external_id, exc.owner) from exc
        if record.local_id not in self._statuses:
            self._notify(record, None, "confirmed")
        return record

    async def required_approvals(self, request: PayoutRequest) -> int:
        """The approvals the team's rules ask of ``request`` were this login to confirm it now (the database
        fixes the number at confirmation by the same rules, ``domain.approvals.required_approvals``)."""
        rules = await self._journal.on_connection(approvals.list_rules)
        return required_approvals(rules, request.currency.code, request.amount, self.actor)

    async def approval_progress(self, local_id: int) -> tuple[int, int, datetime | None]:
        """(approvals required, given so far, when it expires unapproved) of a team payout."""
        return await self._journal.on_connection(approvals.approval_progress, local_id)

    async def reference_owner(self, external_id: str) -> int | None:
        """The team payout that already uses the reference ``external_id``, if any."""
        return await self._journal.reference_owner(self.connection_id, external_id)

    async def reconcile_found(self, local_id: int, payment_id: str) -> PayoutRecord:
        raise TeamRefusedError(_reconcile_elsewhere(local_id))

    async def reconcile_not_found(self, local_id: int, *, reason: str) -> PayoutRecord:
        raise TeamRefusedError(_reconcile_elsewhere(local_id))

    async def checkin_completed(self, local_id: int) -> PayoutRecord:
        """The checkin page redirected back: journaled, and the agents are asked to look now."""
        await self._journal.record_checkin_completed(local_id, actor=self.actor)
        await send_hint(self._journal, local_id, "checkin_completed")
        return await self._journal.get(local_id)

    async def refresh(self, local_id: int) -> PayoutRecord:
        """The journal's record now, and a hint to the agents to ask the provider (a desk never asks)."""
        await send_hint(self._journal, local_id, "refresh")
        return await self._journal.get(local_id)

    async def waiting(self) -> list[WaitingConnection]:
        """None: every team payout belongs to the team's one provider, which the agents hold."""
        return []

    async def rebind(self, old_connection: str | None, *, reason: str) -> list[int]:
        raise TeamRefusedError("A team's payouts belong to the team's provider; an administrator changes it.")

    def watch(self, local_ids: Iterable[int]) -> None:
        """The payouts a person is looking at: each newly selected one is hinted to the agents once."""
        ids = tuple(local_ids)
        fresh = [i for i in ids if i not in self._watched]
        self._watched = ids
        for local_id in fresh:
            self.feed.spawn(send_hint(self._journal, local_id, "selected"))

    def checkin_caught(self, local_id: int) -> bool:
        """The redirect was caught: ``checkin_completed`` hints the agents (nothing is polled here)."""
        return True

    def poll_times(self, local_id: int) -> PollTimes | None:
        """None: the agents poll, not this desk."""
        return None

    @property
    def following(self) -> frozenset[int]:
        return frozenset()

    @property
    def resend_scheduled(self) -> frozenset[int]:
        return frozenset()

    # -- history ------------------------------------------------------------------------------
    async def get(self, local_id: int) -> PayoutRecord:
        return await self._journal.get(local_id)

    async def history_count(self, query: HistoryQuery) -> int:
        return await self._journal.count(query)

    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        return await self._journal.page(query, offset, limit)

    async def history_totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        return await self._journal.totals(query)

    async def events(self, local_id: int) -> list[JournalEvent]:
        return await self._journal.events(local_id)

    async def export_csv(self, query: HistoryQuery, path: Path) -> int:
        return await export_csv(self._journal, query, path)
