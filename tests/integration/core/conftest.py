"""Helpers for the core integration tests: a real journal, a real sandbox, fast retry numbers.

Everything runs for real over loopback: the sandbox (``tests/fixtures/sandbox.py``), the SQLite
journal, httpx. Only the numbers are shortened (backoff, deadline, poll cadence) so the suite
stays fast; sleeps that would be long (Retry-After) go through a recording sleep that waits at
most a little, so a test can assert the wait that was *asked for*.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.journal import AsyncJournal, JournalEvent
from payout_desk.provider.client import PayoutsClient, RetryPolicy, Timeouts
from payout_desk.provider.urls import normalize_base_url
from payout_desk.sandbox.client import AsyncSandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import PayoutChange, PayoutDesk
from payout_desk.services.poll import PollPolicy

FAST_RETRY = RetryPolicy(max_attempts=5, base_delay=0.05, max_delay=0.2, retry_after_cap=30.0)
FAST_TIMEOUTS = Timeouts(connect=2.0, read=5.0, deadline=5.0)
FAST_POLL = PollPolicy(
    initial_interval=0.1,
    max_interval=0.4,
    max_concurrent=4,
    max_requests_per_second=50.0,
    resend_initial_interval=0.2,
    resend_max_interval=0.5,
)


def payout_request(amount: str = "10.00", currency: str = "EUR", **fields: Any) -> PayoutRequest:
    """A validated request (through the real domain rules)."""
    fields.setdefault("description", "Integration test payout")
    result = validate_draft(PayoutDraft(amount=amount, currency=currency, **fields))
    assert isinstance(result, PayoutRequest), result
    return result


@dataclass
class RecordingSleep:
    """``sleep`` for the client's backoff: records what was asked, waits at most ``cap`` seconds."""

    cap: float = 0.05
    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(min(seconds, self.cap))


class Changes:
    """A listener that keeps every PayoutChange and lets a test wait for one."""

    def __init__(self) -> None:
        self.items: list[PayoutChange] = []
        self._event = asyncio.Event()

    def __call__(self, change: PayoutChange) -> None:
        self.items.append(change)
        self._event.set()

    def events_for(self, local_id: int) -> list[str]:
        return [c.event for c in self.items if c.record.local_id == local_id]

    async def wait_for(self, predicate: Callable[[PayoutChange], bool], within: float = 10.0) -> PayoutChange:
        async with asyncio.timeout(within):
            while True:
                for change in self.items:
                    if predicate(change):
                        return change
                self._event.clear()
                await self._event.wait()


def kinds(events: list[JournalEvent], *, started: bool = False) -> list[str]:
    """Event kinds in order; ``attempt_started`` (one before every attempt) only with ``started``."""
    return [e.kind for e in events if started or e.kind != "attempt_started"]


def first_attempt(events: list[JournalEvent]) -> JournalEvent:
    """The first ``attempt`` event (its outcome)."""
    return next(e for e in events if e.kind == "attempt")


def attempt_codes(events: list[JournalEvent]) -> list[int | None]:
    return [e.detail["status_code"] for e in events if e.kind == "attempt"]


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[AsyncJournal]:
    opened = await AsyncJournal.open(tmp_path / "journal.sqlite3")
    yield opened
    await opened.close()


@dataclass
class Rig:
    """One sandbox, its control client, a merchant token, and factories for clients and desks."""

    server: EmbeddedSandbox
    control: AsyncSandboxControl
    token: str
    journal: AsyncJournal
    sleep: RecordingSleep
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def client(
        self,
        token: str | None = None,
        *,
        retry: RetryPolicy = FAST_RETRY,
        timeouts: Timeouts = FAST_TIMEOUTS,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
    ) -> PayoutsClient:
        client = PayoutsClient(
            base_url or self.server.base_url,
            token or self.token,
            retry=retry,
            timeouts=timeouts,
            sleep=self.sleep,
            transport=transport,
        )
        self.closers.append(client.aclose)
        return client

    @property
    def connection(self) -> str:
        """The connection id ``desk()`` binds payouts to (sandbox, profile "Sandbox", this server)."""
        return ConnectionIdentity("sandbox", "Sandbox", normalize_base_url(self.server.base_url), "unverified").key

    def desk(
        self,
        client: PayoutsClient | None = None,
        *,
        poll: PollPolicy = FAST_POLL,
        identity: ConnectionIdentity | None = None,
        **options: Any,
    ) -> tuple[PayoutDesk, Changes]:
        """A desk on this journal; by default bound to ``connection`` (``identity`` for another)."""
        environment = identity.environment if identity is not None else "sandbox"
        profile = identity.profile if identity is not None else "Sandbox"
        desk = PayoutDesk(
            self.journal,
            client or self.client(),
            environment=environment,
            profile=profile,
            actor="tester",
            poll=poll,
            identity=identity,
            **options,
        )
        changes = Changes()
        desk.subscribe(changes)
        self.closers.append(desk.stop)
        return desk, changes

    async def payments(self) -> list[dict[str, Any]]:
        """Every payout this test's merchant has at the sandbox."""
        return await self.control.payments()


async def _rig(server: EmbeddedSandbox, journal: AsyncJournal) -> AsyncIterator[Rig]:
    control = AsyncSandboxControl(server.base_url)
    rig = Rig(server, control, await control.mint_token(payouts=True), journal, RecordingSleep())
    yield rig
    for close in reversed(rig.closers):
        await close()


@pytest.fixture
async def rig(sandbox: EmbeddedSandbox, journal: AsyncJournal) -> AsyncIterator[Rig]:
    """A rig on a fresh sandbox of its own (faults are safe: nobody else shares it)."""
    async for value in _rig(sandbox, journal):
        yield value


def money(text: str) -> Decimal:
    return Decimal(text)
