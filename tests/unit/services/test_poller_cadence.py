"""The poll cadence over simulated time: 1, 2, 4 … 60 s, back to 1 s after a change, stop at final.

Minutes of cadence cannot be watched in real time in a fast suite, so this runs the real Poller
on a virtual clock with a scripted provider and an in-memory journal stand-in. The real sandbox
and journal are exercised in tests/integration/core/test_poll_recover.py.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from payout_desk.domain.answers import lifecycle_status
from payout_desk.domain.status import shown_status
from payout_desk.journal import AsyncJournal, PayoutRecord
from payout_desk.provider.client import PayoutsClient
from payout_desk.provider.errors import ProviderUnavailableError, RateLimitedError
from payout_desk.provider.models import Payment
from payout_desk.services.poll import Poller, PollPolicy, RateLimiter
from tests.unit.services.conftest import VirtualClock

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _record(status: str = "pending") -> PayoutRecord:
    return PayoutRecord(
        local_id=1,
        created_at=NOW,
        updated_at=NOW,
        status=status,
        amount=Decimal("1.00"),
        currency="EUR",
        description=None,
        recipient_id=None,
        recipient_name=None,
        external_id=None,
        metadata=None,
        webhook_url=None,
        payment_id="pay_1",
        checkin_url=None,
        idempotency_key="k",
        request_body="{}",
        failure_reason=None,
        last_error=None,
        environment="sandbox",
        profile="Sandbox",
        created_by="t",
        provider_status=status,
        connection_id="c",
    )


@dataclass
class ScriptedProvider:
    """Answers GETs from a script indexed by call number; notes the (virtual) time of each."""

    clock: VirtualClock
    script: dict[int, Any]
    default: str = "pending"

    def __post_init__(self) -> None:
        self.calls: list[float] = []

    async def get_payout(self, payment_id: str, **kwargs: Any) -> Payment:
        before = kwargs.get("before_attempt")
        if before is not None:
            await before()
        self.calls.append(self.clock.time())
        answer = self.script.get(len(self.calls), self.default)
        if isinstance(answer, Exception):
            raise answer
        self.default = answer
        return Payment(id=payment_id, status=answer, amount="1.00", currency="EUR")


class JournalStandIn:
    def __init__(self) -> None:
        self.record = _record()
        self.statuses: list[tuple[str, str]] = []
        self.sources: list[str] = []

    async def get(self, local_id: int) -> PayoutRecord:
        return self.record

    async def record_status(self, local_id: int, *, status: str, failure_reason: str | None, source: str,
                            actor: str) -> PayoutRecord | None:  # fmt: skip
        if status == self.record.provider_status:
            return None
        self.statuses.append((self.record.status, status))
        self.sources.append(source)
        self.record = replace(self.record, status=lifecycle_status(status), provider_status=status)
        return self.record


def _poller(clock: VirtualClock, provider: ScriptedProvider, journal: JournalStandIn, notes: list[str]) -> Poller:
    return Poller(
        cast(AsyncJournal, journal), cast(PayoutsClient, provider), policy=PollPolicy(),
        limiter=RateLimiter(100, clock=clock.time, sleep=clock.sleep), actor="t", connection_id="c",
        notify=lambda record, previous, event: notes.append(
            f"{previous}->{shown_status(record.status, record.provider_status)}"),
        clock=clock.time, sleep=clock.sleep,
    )  # fmt: skip


def _gaps(calls: list[float]) -> list[float]:
    points = [0.0, *calls]
    return [round(b - a, 3) for a, b in itertools.pairwise(points)]


async def test_backoff_then_reset_on_change_then_stop_at_final(clock: VirtualClock) -> None:
    provider = ScriptedProvider(clock, {9: "in_review", 12: "succeeded"})
    journal, notes = JournalStandIn(), []
    poller = _poller(clock, provider, journal, notes)
    assert poller.follow(_record())
    await clock.run(limit=10_000)
    assert _gaps(provider.calls) == [1, 2, 4, 8, 16, 32, 60, 60, 60, 1, 2, 4]
    assert notes == ["pending->in_review", "created->succeeded"]  # unknown status kept verbatim (created), then final
    assert poller.following == frozenset()


async def test_errors_back_off_and_429_pauses(clock: VirtualClock) -> None:
    provider = ScriptedProvider(clock, {
        1: ProviderUnavailableError("503"), 2: RateLimitedError("429", retry_after=10.0), 4: "failed"})  # fmt: skip
    journal, notes = JournalStandIn(), []
    poller = _poller(clock, provider, journal, notes)
    poller.follow(_record())
    await clock.run(limit=10_000)
    # 1 s, then 2 s (after the 503), then 4 s (after the 429)… but not before the 10 s pause ends
    assert _gaps(provider.calls) == [1, 2, 10, 8]
    assert notes == ["pending->failed"]


async def test_final_or_unsent_records_are_not_followed(clock: VirtualClock) -> None:
    provider = ScriptedProvider(clock, {})
    poller = _poller(clock, provider, JournalStandIn(), [])
    assert not poller.follow(_record("succeeded"))
    assert not poller.follow(replace(_record("confirmed"), payment_id=None))
    assert not poller.follow(_record("mismatch"))  # a refused answer: a person looks, nothing automatic
    assert not poller.follow(replace(_record(), connection_id="another connection"))
    await poller.stop()
    assert not poller.follow(_record())
    await asyncio.sleep(0)
    assert provider.calls == []


async def test_a_wake_up_goes_first_and_names_the_source_of_what_it_finds(clock: VirtualClock) -> None:
    """The agent's webhook wake-up: polled at once (not at the cadence's hour), its answer recorded as ``webhook``;
    later answers are the cadence's own (``poll``)."""
    provider = ScriptedProvider(clock, {1: "in_review", 2: "succeeded"})
    journal = JournalStandIn()
    poller = Poller(
        cast(AsyncJournal, journal), cast(PayoutsClient, provider),
        policy=PollPolicy(initial_interval=3600, max_interval=3600, burst_interval=3600, watch_interval=3600),
        limiter=RateLimiter(100, clock=clock.time, sleep=clock.sleep), actor="t", connection_id="c",
        notify=lambda *_: None, clock=clock.time, sleep=clock.sleep,
    )  # fmt: skip
    poller.follow(_record())
    poller.wake(2, "webhook")  # not followed: nothing
    poller.wake(1, "webhook")
    await clock.run(limit=10)
    assert (provider.calls, journal.sources) == ([0.0], ["webhook"])
    await clock.run(limit=4000)
    assert (provider.calls, journal.sources) == ([0.0, 3600.0], ["webhook", "poll"])
    assert poller.following == frozenset()
