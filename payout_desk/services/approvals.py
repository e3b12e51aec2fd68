"""The desk's approvals (team mode, issue 21): the queue, approve, reject, withdraw — over the journal's
approvals API (``journal.postgres.approvals``, contract 2), each call run on the AsyncPgJournal's worker
thread with its connection, and the queue refreshed from the change feed.

The database decides (it refuses the preparer, a second decision by the same person, anyone outside
``payout_desk_approver`` and a body other than the one confirmed); what this service says a person *may*
do (:class:`QueueItem`) only decides which buttons are enabled. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

import psycopg

from payout_desk.domain.approval_warnings import HISTORY_WINDOW, ApprovalWarning, request_warnings
from payout_desk.domain.approvals import ApprovalRefusedError, ApprovalRequest
from payout_desk.domain.duplicates import WINDOW as DUPLICATE_WINDOW
from payout_desk.domain.duplicates import PayoutProbe
from payout_desk.domain.money import Money
from payout_desk.journal.models import JournalEvent
from payout_desk.journal.postgres.async_pg import AsyncPgJournal

__all__ = ["APPROVER_ROLE", "ApprovalRefusedError", "ApprovalsApi", "ApprovalsService", "Person", "QueueItem"]

log = logging.getLogger("payout_desk.services.approvals")

#: The database group role whose members may approve.
APPROVER_ROLE = "payout_desk_approver"

Conn = psycopg.Connection[Any]


class ApprovalsApi(Protocol):
    """Contract 2: ``journal.postgres.approvals`` (sync functions of a psycopg connection)."""

    def approval_queue(self, conn: Conn) -> list[ApprovalRequest]: ...
    def approve(self, conn: Conn, local_id: int, body_hash: str) -> object: ...
    def reject(self, conn: Conn, local_id: int, reason: str) -> object: ...
    def withdraw(self, conn: Conn, local_id: int) -> object: ...
    def recipient_history(
        self, conn: Conn, recipient: str, currency_code: str, since: datetime
    ) -> list[tuple[Money, datetime]]: ...
    def recipient_in_flight(
        self, conn: Conn, recipient: str, currency_code: str, since: datetime
    ) -> list[tuple[Money, datetime]]: ...
    def retype_thresholds(self, conn: Conn) -> dict[str, Decimal]: ...


def _journal_api() -> ApprovalsApi:
    # approvals-db's module (contract 2), imported when a desk starts its approvals.
    return cast(ApprovalsApi, importlib.import_module("payout_desk.journal.postgres.approvals"))


@dataclass(frozen=True)
class Person:
    """Who this desk is connected as, and whether that login may approve."""

    login: str
    approver: bool


def _whoami(conn: Conn) -> Person:
    row = conn.execute(
        "SELECT session_user::text, coalesce(pg_has_role(session_user, %s, 'MEMBER')"
        " AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)"
        " FROM pg_roles WHERE rolname = %s",
        (APPROVER_ROLE, APPROVER_ROLE),
    ).fetchone()
    if row is None:  # no approver role in this database (an older schema): nobody approves
        login = conn.execute("SELECT session_user::text").fetchone()
        return Person(str(login[0]) if login else "", approver=False)
    return Person(str(row[0]), bool(row[1]))


@dataclass(frozen=True)
class QueueItem:
    """One payout awaiting approval, with its warnings and what *this* person may do with it."""

    request: ApprovalRequest
    warnings: tuple[ApprovalWarning, ...]
    mine: bool  # prepared by this person
    can_approve: bool  # an approver, not its preparer, not decided by them yet
    can_withdraw: bool  # its preparer

    @property
    def can_reject(self) -> bool:
        return self.can_approve

    @property
    def waits_for_me(self) -> bool:
        return self.can_approve


class ApprovalsService:
    """The approvals queue of one team desk. Call :meth:`start` once (it learns who is connected), then
    :meth:`queue`; :meth:`follow` yields after each feed batch so a view reloads."""

    def __init__(self, journal: AsyncPgJournal, *, locale: str = "en_US", api: ApprovalsApi | None = None) -> None:
        self.journal = journal
        self.locale = locale
        self._api = api or _journal_api()
        self.person = Person("", approver=False)

    async def start(self) -> Person:
        self.person = await self.journal.on_connection(_whoami)
        return self.person

    async def retype_thresholds(self) -> dict[str, Decimal]:
        """The team's retype thresholds (in team mode they live in the database)."""
        return await self.journal.on_connection(self._api.retype_thresholds)

    async def events(self, local_id: int) -> list[JournalEvent]:
        """A payout's journal events (what became of a payout that left the queue)."""
        return await self.journal.events(local_id)

    async def queue(self) -> list[QueueItem]:
        """Everything awaiting approval that the database shows this person, oldest first, with warnings."""
        requests = await self.journal.on_connection(self._api.approval_queue)
        return [await self._item(request) for request in requests]

    async def _item(self, request: ApprovalRequest) -> QueueItem:
        money = request.amount
        history: list[tuple[Money, datetime]] = []
        in_flight: list[tuple[Money, datetime]] = []
        if request.recipient:
            since = request.confirmed_at - HISTORY_WINDOW
            code = money.currency.code
            history = await self.journal.on_connection(self._api.recipient_history, request.recipient, code, since)
            in_flight = await self.journal.on_connection(self._api.recipient_in_flight, request.recipient, code, since)
        probe = PayoutProbe(
            amount=money.amount,
            currency=money.currency.code,
            recipient_id=request.recipient,
            recipient_name=request.recipient,
            description=request.description,
            at=request.confirmed_at,
        )
        candidates = [m.past for m in await self.journal.near_duplicates(probe)]
        # The same rule from the other side: payouts confirmed later (within its window) that name this one.
        ahead = dataclasses.replace(probe, at=request.confirmed_at + DUPLICATE_WINDOW)
        later = [m.past for m in await self.journal.near_duplicates(ahead)]
        me = self.person.login
        mine = request.prepared_by == me
        return QueueItem(
            request=request,
            warnings=tuple(
                request_warnings(request, history, candidates, later=later, in_flight=in_flight, locale=self.locale)
            ),
            mine=mine,
            can_approve=self.person.approver and not mine and not request.decided_by(me),
            can_withdraw=mine,
        )

    async def approve(self, request: ApprovalRequest) -> None:
        """Approve the body this person was shown (its hash goes with the approval)."""
        await self.journal.on_connection(self._api.approve, request.local_id, request.body_hash)

    async def reject(self, request: ApprovalRequest, reason: str) -> None:
        """Reject with a reason (required: shown to the preparer)."""
        if not reason.strip():
            raise ApprovalRefusedError("A rejection needs a reason: the preparer is shown it.")
        await self.journal.on_connection(self._api.reject, request.local_id, reason.strip())

    async def withdraw(self, request: ApprovalRequest) -> None:
        """The preparer takes back a payout still awaiting approval."""
        await self.journal.on_connection(self._api.withdraw, request.local_id)

    async def follow(self) -> AsyncIterator[None]:
        """Yields once at once, then after every batch of the feed (anything may have changed the queue)."""
        cursor = await self.journal.last_event_id()
        yield None
        async for _batch in self.journal.changes(cursor):
            yield None

    def watch(self, on_change: Callable[[], object]) -> asyncio.Task[None]:
        """Run :meth:`follow` in a task calling ``on_change`` each time; cancel the task to stop."""

        async def run() -> None:
            async for _ in self.follow():
                try:
                    on_change()
                except Exception:  # a failing view must not stop the feed
                    log.exception("approvals: a queue listener failed")

        return asyncio.ensure_future(run())
