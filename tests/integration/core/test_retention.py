"""Exactly once, part 2 (issue 12): the provider forgets keys. Against a real sandbox over loopback
whose key retention is 3 seconds (``--idempotency-ttl-seconds``).

The desk never sends a key older than the retention minus 10 % (counted from the first
``attempt_started``); past it, a resend goes without the key, with the same body and reference
(``externalId``), which the provider replays. A payout without a usable reference needs a person.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from payout_desk.domain.status import NEEDS_RECONCILIATION, OUTCOME_UNKNOWN, PENDING
from payout_desk.journal import AsyncJournal, JournalEvent
from payout_desk.sandbox.client import AsyncSandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import ReconcileRefusedError, ReferenceInUseError
from payout_desk.services.submit import new_idempotency_key
from tests.integration.core.conftest import Rig, _rig, payout_request

pytestmark = pytest.mark.timeout(60)

RETENTION = 3.0


class JumpingClock:
    """The desk's wall clock: the real UTC time plus an offset a test moves (a laptop asleep over
    a weekend, a clock set back)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
async def short(sandbox_factory: Callable[..., EmbeddedSandbox], journal: AsyncJournal) -> AsyncIterator[Rig]:
    """A rig on a sandbox that keeps keys 3 seconds."""
    async for value in _rig(sandbox_factory(idempotency_ttl_seconds=RETENTION), journal):
        yield value


def _keyed(events: list[JournalEvent]) -> list[bool]:
    """For every attempt, whether it carried the key."""
    return [e.detail["key"] is not None for e in events if e.kind == "attempt_started"]


async def _lost(rig: Rig) -> None:
    """Make the next send end outcome unknown while the provider creates the payout."""
    await rig.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=4)


async def test_the_desk_reads_the_retention_from_the_sandbox(short: Rig) -> None:
    assert (await AsyncSandboxControl(short.server.base_url).info())["idempotencyTtlSeconds"] == RETENTION


async def test_a_dropped_answer_then_a_restart_past_the_retention_is_one_payout(short: Rig) -> None:
    desk, _ = short.desk(retention=RETENTION)
    await _lost(short)
    record = await desk.submit(payout_request())
    assert record.status == OUTCOME_UNKNOWN
    await desk.stop()
    [held] = await short.payments()
    await asyncio.sleep(RETENTION + 0.3)  # the provider really forgets the key meanwhile

    again, _ = short.desk(retention=RETENTION)
    await again.start()
    (resent,) = (await again.wait_recovered()).resent
    assert resent.status == PENDING
    assert resent.payment_id == held["id"]  # replayed by its reference, not created twice
    assert len(await short.payments()) == 1
    assert _keyed(await again.events(record.local_id))[-1] is False


@pytest.mark.parametrize("jump", [timedelta(hours=60), timedelta(hours=-1)], ids=["weekend", "clock set back"])
async def test_no_retry_carries_a_key_past_the_retention(short: Rig, jump: timedelta) -> None:
    clock = JumpingClock()
    desk, changes = short.desk(retention=RETENTION, wall_clock=clock)
    desk.subscribe(lambda change: setattr(clock, "offset", jump) if change.event == "attempt" else None)
    await short.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    assert _keyed(await desk.events(record.local_id)) == [True, False]
    assert len(await short.payments()) == 1
    assert changes.events_for(record.local_id)[-1] == "created"


async def test_an_unknown_retention_sends_every_resend_without_the_key(short: Rig) -> None:
    """A remote sandbox's control surface does not answer: the retention is unknown."""
    desk, _ = short.desk(retention=None)
    await short.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    assert _keyed(await desk.events(record.local_id)) == [True, False]
    assert len(await short.payments()) == 1


async def test_every_payout_has_a_reference_and_a_used_one_is_refused(short: Rig) -> None:
    desk, _ = short.desk(retention=RETENTION)
    generated = await desk.submit(payout_request())
    assert generated.external_id is not None
    assert len(generated.external_id) == 36  # a UUID, sent with the payout
    first = await desk.submit(payout_request(external_id="INV-7"))
    with pytest.raises(ReferenceInUseError) as refused:
        await desk.submit(payout_request("11.00", external_id="INV-7"))
    assert refused.value.owner == first.local_id
    assert f"payout #{first.local_id}" in refused.value.user_message
    assert await desk.reference_owner("INV-7") == first.local_id
    payments = await short.payments()
    assert sorted(p["externalId"] for p in payments) == sorted(["INV-7", generated.external_id])


async def _unreferenced(rig: Rig) -> int:
    """A journaled payout without a reference (as older versions confirmed them)."""
    record = await rig.journal.record_confirmed(
        payout_request(), idempotency_key=new_idempotency_key(), environment="sandbox", profile="Sandbox",
        actor="tester", connection_id=rig.connection,
    )  # fmt: skip
    assert record.external_id is None
    return record.local_id


async def test_past_the_retention_without_a_reference_a_person_finds_it(short: Rig) -> None:
    clock = JumpingClock()
    desk, changes = short.desk(retention=RETENTION, wall_clock=clock)
    local_id = await _unreferenced(short)
    await _lost(short)
    assert (await desk.refresh(local_id)).status == OUTCOME_UNKNOWN
    [held] = await short.payments()
    clock.offset = timedelta(days=3)
    attempts = len(_keyed(await desk.events(local_id)))
    stuck = await desk.refresh(local_id)
    assert stuck.status == NEEDS_RECONCILIATION
    assert stuck.last_error is not None
    assert "no reference" in stuck.last_error
    assert len(_keyed(await desk.events(local_id))) == attempts  # nothing was sent
    assert [c.became_final for c in changes.items if c.event == "needs_reconciliation"] == [True]
    await asyncio.sleep(1.0)  # the resend sweeps (every 0.5 s) leave it alone
    assert (await desk.get(local_id)).status == NEEDS_RECONCILIATION

    other = await desk.submit(payout_request("99.00"))  # a real payment, but not this one
    with pytest.raises(ReconcileRefusedError) as refused:
        await desk.reconcile_found(local_id, other.payment_id or "")
    assert "amount" in refused.value.user_message
    with pytest.raises(ReconcileRefusedError):
        await desk.reconcile_found(local_id, "pay_does_not_exist")
    assert (await desk.get(local_id)).status == NEEDS_RECONCILIATION

    found = await desk.reconcile_found(local_id, held["id"])
    assert (found.status, found.payment_id) == (PENDING, held["id"])
    assert local_id in desk.following
    [reconciled] = [e for e in await desk.events(local_id) if e.kind == "reconciled"]
    assert reconciled.actor == "tester"
    assert reconciled.detail["decision"] == f"found:{held['id']}"
    assert len(await short.payments()) == 2


async def test_past_the_retention_without_a_reference_a_person_says_it_is_not_there(short: Rig) -> None:
    clock = JumpingClock()
    desk, _ = short.desk(retention=RETENTION, wall_clock=clock)
    local_id = await _unreferenced(short)
    await short.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=5)
    assert (await desk.refresh(local_id)).status == OUTCOME_UNKNOWN
    clock.offset = timedelta(days=3)
    assert (await desk.refresh(local_id)).status == NEEDS_RECONCILIATION
    assert await short.payments() == []

    sent = await desk.reconcile_not_found(local_id, reason="checked the dashboard: not there")
    assert sent.status == PENDING
    events = await desk.events(local_id)
    assert [e.detail["decision"] for e in events if e.kind == "reconciled"] == ["not_found"]
    assert _keyed(events)[-1] is False
    [held] = await short.payments()
    assert held["id"] == sent.payment_id
    assert held["idempotencyKey"] is None


async def test_a_reference_the_provider_holds_with_other_details_needs_a_person(short: Rig) -> None:
    clock = JumpingClock()
    desk, _ = short.desk(retention=RETENTION, wall_clock=clock)
    await short.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=5)
    record = await desk.submit(payout_request(external_id="INV-9"))
    assert record.status == OUTCOME_UNKNOWN
    # the same merchant sends another payout with the same reference (another tool, a colleague)
    await short.client().create_payout(payout_request("55.00", external_id="INV-9").body_json(), None)
    clock.offset = timedelta(days=3)
    stuck = await desk.refresh(record.local_id)
    assert stuck.status == NEEDS_RECONCILIATION
    assert stuck.last_error is not None
    assert "other details" in stuck.last_error
    assert len(await short.payments()) == 1  # only the other one


async def test_a_payout_found_failed_at_the_provider_keeps_the_providers_reason(short: Rig) -> None:
    """Found by the money audit: "found at the provider" for a payment that had already failed
    recorded the failed status but not the provider's reason (and a failed payout is not polled
    again, so the reason never came)."""
    clock = JumpingClock()
    desk, _ = short.desk(retention=RETENTION, wall_clock=clock)
    local_id = await _unreferenced(short)
    await _lost(short)
    assert (await desk.refresh(local_id)).status == OUTCOME_UNKNOWN
    [held] = await short.payments()
    await short.control.complete(held["id"], "failed", "account_closed")
    clock.offset = timedelta(days=3)
    assert (await desk.refresh(local_id)).status == NEEDS_RECONCILIATION
    found = await desk.reconcile_found(local_id, held["id"])
    assert (found.status, found.payment_id) == ("failed", held["id"])
    assert (await desk.get(local_id)).failure_reason == "account_closed"
