"""Following payouts to a final status, recovering at start, and the request-rate cap — for real."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from payout_desk.domain.status import FAILED, PENDING, SUCCEEDED
from payout_desk.provider.client import RetryPolicy
from payout_desk.services.poll import PollPolicy
from payout_desk.services.submit import new_idempotency_key
from tests.integration.core.conftest import FAST_POLL, Rig, attempt_codes, kinds, payout_request

pytestmark = pytest.mark.timeout(60)


async def test_poller_follows_to_succeeded_and_failed(rig: Rig) -> None:
    desk, changes = rig.desk()
    await desk.start()
    good = await desk.submit(payout_request("5.00"))
    bad = await desk.submit(payout_request("6.00"))
    assert desk.following == frozenset({good.local_id, bad.local_id})
    assert good.payment_id
    assert bad.payment_id
    await rig.control.complete(good.payment_id, "succeeded")
    await rig.control.complete(bad.payment_id, "failed", "account_closed")
    done_good = await changes.wait_for(lambda c: c.record.local_id == good.local_id and c.record.status == SUCCEEDED)
    done_bad = await changes.wait_for(lambda c: c.record.local_id == bad.local_id and c.record.status == FAILED)
    assert done_good.became_final
    assert done_good.previous_status == PENDING
    assert done_good.event == "status"
    assert done_bad.became_final
    assert done_bad.record.failure_reason == "account_closed"
    async with asyncio.timeout(5):
        while desk.following:  # noqa: ASYNC110 - tasks end on their own; no event to wait on
            await asyncio.sleep(0.02)
    events = await desk.events(bad.local_id)
    assert kinds(events)[-1] == "status"
    assert events[-1].detail == {
        "old": "pending",
        "new": "failed",
        "provider_status": "failed",
        "source": "poll",
        "failure_reason": "account_closed",
    }
    # a final payout is still refreshed on request (a bank return would show here)
    again = await desk.refresh(good.local_id)
    assert again.status == SUCCEEDED
    assert len(await rig.payments()) == 2


async def test_recover_on_start(rig: Rig) -> None:
    journal = rig.journal
    # 1. confirmed, never sent (the app died right after the commit)
    unsent = await journal.record_confirmed(payout_request("1.00"), idempotency_key=new_idempotency_key(),
                                            environment="sandbox", profile="Sandbox", actor="tester",
                                            connection_id=rig.connection)  # fmt: skip
    # 2. sent and created at the provider, but the answer was lost and the app died
    lost = await journal.record_confirmed(payout_request("2.00"), idempotency_key=new_idempotency_key(),
                                          environment="sandbox", profile="Sandbox", actor="tester",
                                            connection_id=rig.connection)  # fmt: skip
    await rig.client().create_payout(lost.request_body, lost.idempotency_key)
    await journal.record_outcome_unknown(lost.local_id, message="no answer", actor="tester")
    # 3. created and pending: polling resumes
    pending = await journal.record_confirmed(payout_request("3.00"), idempotency_key=new_idempotency_key(),
                                             environment="sandbox", profile="Sandbox", actor="tester",
                                            connection_id=rig.connection)  # fmt: skip
    created = await rig.client().create_payout(pending.request_body, pending.idempotency_key)
    await journal.record_created(pending.local_id, payment_id=created.payment.id, checkin_url=created.payment.url,
                                 status=created.payment.status, actor="tester")  # fmt: skip
    assert len(await rig.payments()) == 2

    desk, changes = rig.desk()
    await desk.start()
    report = await desk.wait_recovered()
    assert sorted(r.local_id for r in report.resent) == [unsent.local_id, lost.local_id]
    assert all(r.status == PENDING for r in report.resent)
    payments = await rig.payments()
    assert sorted(p["idempotencyKey"] for p in payments) == sorted(r.idempotency_key for r in (unsent, lost, pending))
    assert attempt_codes(await desk.events(unsent.local_id)) == [201]
    assert attempt_codes(await desk.events(lost.local_id)) == [200]  # replayed, not duplicated
    assert desk.following == frozenset({unsent.local_id, lost.local_id, pending.local_id})
    await rig.control.complete(created.payment.id, "succeeded")
    await changes.wait_for(lambda c: c.record.local_id == pending.local_id and c.record.status == SUCCEEDED)


class StampingTransport(httpx.AsyncBaseTransport):
    """The real network transport, noting when each GET leaves (to check the rate cap)."""

    def __init__(self, stamps: list[float], clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._stamps = stamps
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self._stamps.append(self._clock())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    return max((sum(1 for t in stamps[i:] if t - s <= window) for i, s in enumerate(stamps)), default=0)


async def test_rate_cap_with_many_pending_payouts(rig: Rig) -> None:
    count, cap = 24, 8.0
    # create the payouts directly (no rate limit on that part), then let one desk follow them all
    client = rig.client()
    for i in range(count):
        record = await rig.journal.record_confirmed(
            payout_request(f"{i + 1}.00"), idempotency_key=new_idempotency_key(), environment="sandbox",
            profile="Sandbox", actor="tester", connection_id=rig.connection,
        )  # fmt: skip
        result = await client.create_payout(record.request_body, record.idempotency_key)
        await rig.journal.record_created(record.local_id, payment_id=result.payment.id,
                                         checkin_url=result.payment.url, status="pending", actor="tester")  # fmt: skip
    stamps: list[float] = []
    policy = PollPolicy(initial_interval=0.05, max_interval=0.2, max_concurrent=3, max_requests_per_second=cap)
    poll_client = rig.client(transport=StampingTransport(stamps), retry=RetryPolicy(max_attempts=1))
    desk, _ = rig.desk(poll_client, poll=policy)
    started = time.monotonic()
    await desk.start()
    await desk.wait_recovered()
    assert len(desk.following) == count
    await asyncio.sleep(1.8)
    await desk.stop()
    elapsed = time.monotonic() - started
    assert _max_in_window(stamps, 1.0) <= int(cap), stamps
    # the cap is used, not starved: close to cap x elapsed (less the limiter's margin)
    assert len(stamps) >= int(cap) * (elapsed - 1.0) * 0.8
    assert FAST_POLL.max_requests_per_second > cap  # (the other tests run unthrottled)


async def test_a_stale_pending_answer_never_reopens_a_finished_payout(rig: Rig) -> None:
    """Two GETs in flight (a background poll overtaken by a refresh): the older "pending" answer,
    applied after "succeeded" was recorded, changes nothing."""
    desk, changes = rig.desk()
    await desk.start()
    record = await desk.submit(payout_request("7.00"))
    assert record.payment_id
    client = rig.client()
    try:
        stale = await client.get_payout(record.payment_id)  # read while still pending
        assert stale.status == PENDING
        await rig.control.complete(record.payment_id, "succeeded")
        done = await desk.refresh(record.local_id)
        assert done.status == SUCCEEDED
        assert await desk._poller.apply(record.local_id, stale, source="poll", previous=PENDING) is None
    finally:
        await client.aclose()
    assert (await desk.get(record.local_id)).status == SUCCEEDED
    assert kinds(await desk.events(record.local_id)).count("status") == 1
    assert not [c for c in changes.items if c.record.local_id == record.local_id and c.record.status == PENDING
                and c.event == "status"]  # fmt: skip
    await desk.stop()
