"""PayoutDesk.submit against the real sandbox, with each fault it can inject.

Every test ends by counting the payouts the sandbox holds (exactly one, or none for a rejection)
and by reading the journal's audit trail.
"""

from __future__ import annotations

import pytest

from payout_desk.domain.status import OUTCOME_UNKNOWN, PENDING, REJECTED
from payout_desk.provider.client import RetryPolicy, Timeouts
from tests.integration.core.conftest import Rig, attempt_codes, first_attempt, kinds, payout_request

pytestmark = pytest.mark.timeout(60)


async def _one_payout(rig: Rig, key: str) -> dict[str, object]:
    payments = await rig.payments()
    assert len(payments) == 1, payments
    assert payments[0]["idempotencyKey"] == key
    return payments[0]


async def test_happy_path(rig: Rig) -> None:
    desk, changes = rig.desk()
    record = await desk.submit(payout_request("12.34", "EUR", recipient_name="Zoë Müller"))
    assert record.status == PENDING
    assert record.payment_id
    assert record.payment_id.startswith("pay_")
    assert record.checkin_url
    payment = await _one_payout(rig, record.idempotency_key)
    assert payment["id"] == record.payment_id
    assert payment["amount"] == "12.34"
    assert payment["customer"] == {"name": "Zoë Müller"}
    events = await desk.events(record.local_id)
    assert kinds(events) == ["confirmed", "attempt", "created"]
    assert attempt_codes(events) == [201]
    assert first_attempt(events).detail["key"] == record.idempotency_key
    assert changes.events_for(record.local_id)[:3] == ["confirmed", "attempt", "created"]


async def test_response_lost_after_commit_is_replayed_not_duplicated(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    desk, _ = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    payment = await _one_payout(rig, record.idempotency_key)
    assert payment["id"] == record.payment_id
    events = await desk.events(record.local_id)
    assert attempt_codes(events) == [None, 200]  # no answer, then the replay
    assert first_attempt(events).detail["error"]
    assert kinds(events)[-1] == "created"


async def test_503s_then_success(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=2)
    desk, _ = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    await _one_payout(rig, record.idempotency_key)
    events = await desk.events(record.local_id)
    assert attempt_codes(events) == [503, 503, 201]
    assert {e.detail["key"] for e in events if e.kind == "attempt"} == {record.idempotency_key}
    assert len({e.detail["body_sha256"] for e in events if e.kind == "attempt"}) == 1


async def test_429_retry_after_is_honoured_and_capped(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rate_limit", retryAfter=2)
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rate_limit", retryAfter=3600)
    desk, _ = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    await _one_payout(rig, record.idempotency_key)
    assert rig.sleep.asked == [2.0, 30.0]  # what the client waited for (the test sleep is shortened)
    assert attempt_codes(await desk.events(record.local_id)) == [429, 429, 201]


async def test_slow_answer_past_the_deadline(rig: Rig) -> None:
    # The sandbox holds the first request 1.5 s; the client gives each attempt 0.4 s. Retries
    # meet 409 (still in flight) until the first finishes, then get its replay.
    await rig.control.add_fault(method="POST", path="/api/payments", fault="delay", seconds=1.5)
    client = rig.client(
        retry=RetryPolicy(max_attempts=12, base_delay=0.1, max_delay=0.3),
        timeouts=Timeouts(connect=1.0, read=5.0, deadline=0.4),
    )
    rig.sleep.cap = 0.3
    desk, _ = rig.desk(client)
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    await _one_payout(rig, record.idempotency_key)
    events = await desk.events(record.local_id)
    codes = attempt_codes(events)
    assert codes[0] is None
    assert "time limit" in first_attempt(events).detail["error"]
    assert codes[-1] == 200
    assert set(codes[1:-1]) <= {409, None}


async def test_malformed_json_is_not_a_rejection(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="malformed_json")
    desk, _ = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    await _one_payout(rig, record.idempotency_key)
    events = await desk.events(record.local_id)
    assert attempt_codes(events) == [201, 200]  # the garbled 201, then the replay
    assert "not JSON" in first_attempt(events).detail["error"]


@pytest.mark.parametrize("case", ["unauthorized", "payouts_not_enabled", "validation_error"])
async def test_definitive_rejections_are_never_resent(rig: Rig, case: str) -> None:
    token = rig.token
    if case == "unauthorized":
        await rig.control.revoke_token(token)
    elif case == "payouts_not_enabled":
        token = await rig.control.mint_token(payouts=False)
    else:
        await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=422)
    desk, changes = rig.desk(rig.client(token))
    await desk.start()
    record = await desk.submit(payout_request())
    assert record.status == REJECTED
    assert record.last_error
    assert record.payment_id is None
    # the resend loop runs every 0.2-0.5 s here: give it time to (wrongly) resend
    await _quiet(0.6)
    assert await rig.payments() == []
    events = await desk.events(record.local_id)
    assert kinds(events) == ["confirmed", "attempt", "rejected"]
    assert events[-1].detail["code"] == case
    assert desk.resend_scheduled == frozenset()
    last = changes.items[-1]
    assert last.event == "rejected"
    assert last.became_final


async def test_outcome_unknown_then_resent_with_the_same_key(rig: Rig) -> None:
    # Every attempt of the first round is created-then-dropped or replayed-then-dropped: the
    # payout exists but the desk cannot know. The automatic resend later gets the replay.
    attempts = 3
    await rig.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit", times=attempts)
    desk, changes = rig.desk(rig.client(retry=RetryPolicy(max_attempts=attempts, base_delay=0.05, max_delay=0.1)))
    record = await desk.submit(payout_request())
    assert record.status == OUTCOME_UNKNOWN
    assert record.payment_id is None
    assert record.last_error
    assert desk.resend_scheduled == frozenset({record.local_id})
    final = await changes.wait_for(lambda c: c.event == "created")
    assert final.record.status == PENDING
    await _one_payout(rig, record.idempotency_key)
    events = await desk.events(record.local_id)
    assert kinds(events) == ["confirmed", "attempt", "attempt", "attempt", "outcome_unknown", "attempt", "created"]
    assert attempt_codes(events) == [None, None, None, 200]
    assert {e.detail["key"] for e in events if e.kind == "attempt"} == {record.idempotency_key}


async def test_outcome_unknown_when_nothing_reached_the_provider(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=2)
    desk, changes = rig.desk(rig.client(retry=RetryPolicy(max_attempts=2, base_delay=0.05, max_delay=0.1)))
    record = await desk.submit(payout_request())
    assert record.status == OUTCOME_UNKNOWN
    assert await rig.payments() == []
    created = await changes.wait_for(lambda c: c.event == "created")
    assert created.record.payment_id
    payment = await _one_payout(rig, record.idempotency_key)
    assert payment["id"] == created.record.payment_id
    assert attempt_codes(await desk.events(record.local_id)) == [503, 503, 201]


async def test_key_reused_with_a_different_body_is_refused_by_the_real_sandbox(rig: Rig) -> None:
    from payout_desk.provider.errors import IdempotencyKeyReusedError
    from payout_desk.services.submit import new_idempotency_key

    client = rig.client()
    key = new_idempotency_key()
    first = await client.create_payout(payout_request("1.00").body_json(), key)
    replay = await client.create_payout(payout_request("1.00").body_json(), key)
    assert replay.replayed
    assert replay.payment.id == first.payment.id
    with pytest.raises(IdempotencyKeyReusedError) as info:
        await client.create_payout(payout_request("2.00").body_json(), key)
    assert info.value.status == 422
    await _one_payout(rig, key)


async def _quiet(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_a_failing_listener_does_not_break_the_flow(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    desk, _ = rig.desk()

    def broken(change: object) -> None:
        raise RuntimeError("listener bug")

    desk.subscribe(broken)
    seen = []
    unsubscribe = desk.subscribe(seen.append)
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    assert [c.event for c in seen] == ["confirmed", "attempt", "created"]
    assert "listener failed" in caplog.text
    unsubscribe()
    unsubscribe()  # harmless twice
    await _one_payout(rig, record.idempotency_key)


async def test_caller_giving_up_does_not_cancel_the_send(rig: Rig) -> None:
    import asyncio

    await rig.control.add_fault(method="POST", path="/api/payments", fault="delay", seconds=0.5)
    desk, changes = rig.desk()
    caller = asyncio.ensure_future(desk.submit(payout_request()))
    confirmed = await changes.wait_for(lambda c: c.event == "confirmed")
    await asyncio.sleep(0.1)
    caller.cancel()  # e.g. the window was closed
    created = await changes.wait_for(lambda c: c.event == "created")
    assert created.record.local_id == confirmed.record.local_id
    await _one_payout(rig, confirmed.record.idempotency_key)


async def test_stop_mid_send_leaves_it_for_the_next_start(rig: Rig) -> None:
    import asyncio

    await rig.control.add_fault(method="POST", path="/api/payments", fault="delay", seconds=0.6)
    desk, changes = rig.desk()
    caller = asyncio.ensure_future(desk.submit(payout_request()))
    confirmed = await changes.wait_for(lambda c: c.event == "confirmed")
    await asyncio.sleep(0.1)
    await desk.stop()
    with pytest.raises(asyncio.CancelledError):
        await caller
    record = await rig.journal.get(confirmed.record.local_id)
    assert record.status == "confirmed"
    # next start: recover resends with the same key. While the sandbox still holds the first request it
    # answers 409; if those retries run out first the payout is outcome_unknown and the resender tries
    # again later (same key). Either way it ends pending, with exactly one payout at the provider.
    next_desk, next_changes = rig.desk()
    rig.sleep.cap = 0.3
    await next_desk.start()
    (resent,) = (await next_desk.wait_recovered()).resent
    assert resent.status in (PENDING, OUTCOME_UNKNOWN)
    await next_changes.wait_for(lambda c: c.record.local_id == record.local_id and c.record.status == PENDING)
    final = await rig.journal.get(record.local_id)
    assert final.idempotency_key == record.idempotency_key
    await _one_payout(rig, record.idempotency_key)
