"""Exactly once beyond crashes (issue 11), against the real sandbox over loopback.

1. Every payout is bound to the connection it was confirmed for: recover, resend and poll never
   touch another connection's payouts (they wait, visible), a person re-binds them (audited).
2. Ambiguity sticks: a 4xx after an attempt that may have created the payout is not a rejection.
3. Provider text never drives local logic, and answers are checked: another amount, currency,
   reference or id is a ``mismatch``; a payment id belongs to one entry; strings and bodies are bounded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.domain.status import CREATED, MISMATCH, OUTCOME_UNKNOWN, PENDING, REJECTED
from payout_desk.provider.errors import ProviderError
from payout_desk.provider.urls import normalize_base_url
from payout_desk.sandbox.client import AsyncSandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import OtherConnectionError
from payout_desk.services.submit import new_idempotency_key
from tests.integration.core.conftest import FAST_POLL, Changes, Rig, kinds, payout_request

pytestmark = pytest.mark.timeout(60)

#: Polls only when asked (refresh): the GET faults then hit the request the test makes.
QUIET_POLL = replace(FAST_POLL, initial_interval=30.0, max_interval=60.0)


def _sandbox_identity(rig: Rig, profile: str = "Sandbox", merchant: str = "merchant:a") -> ConnectionIdentity:
    return ConnectionIdentity("sandbox", profile, normalize_base_url(rig.server.base_url), merchant)


async def _settle(rounds: int = 3) -> None:
    """Let the resend sweeper and the poller run a few of their (fast) rounds: what they would
    wrongly do, they would do within this time."""
    for _ in range(rounds):
        await asyncio.sleep(FAST_POLL.resend_max_interval)


# -- 1. the connection identity -----------------------------------------------------------------


async def test_payouts_wait_for_their_own_connection(rig: Rig, sandbox_factory: Callable[..., EmbeddedSandbox]) -> None:
    """Two payouts confirmed on the Sandbox profile (one outcome unknown, one only journaled) and
    one pending; the app restarts on a Live profile at another provider: nothing goes there."""
    home = _sandbox_identity(rig)
    desk, _ = rig.desk(identity=home)
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=5)
    unknown = await desk.submit(payout_request("1.00"))
    assert unknown.status == OUTCOME_UNKNOWN
    journaled = await rig.journal.record_confirmed(
        payout_request("2.00"), idempotency_key=new_idempotency_key(), environment="sandbox", profile="Sandbox",
        actor="tester", connection_id=home.key,
    )  # fmt: skip
    pending = await desk.submit(payout_request("3.00"))
    assert pending.status == PENDING
    await desk.stop()

    elsewhere = sandbox_factory()
    other_control = AsyncSandboxControl(elsewhere.base_url)
    live = ConnectionIdentity("live", "Live", normalize_base_url(elsewhere.base_url), "token:0123456789abcdef")
    client = rig.client(await other_control.mint_token(payouts=True), base_url=elsewhere.base_url)
    other, _ = rig.desk(client, identity=live)
    await other.start()
    report = await other.wait_recovered()
    assert report.resent == ()
    assert report.followed == ()
    await _settle()
    assert other.following == frozenset()
    assert other.resend_scheduled == frozenset()
    assert await other_control.payments() == []  # nothing ever reached the other provider
    [waiting] = await other.waiting()
    assert (waiting.connection_id, waiting.profile, waiting.count) == (home.key, "Sandbox", 3)
    with pytest.raises(OtherConnectionError) as refused:
        await other.refresh(unknown.local_id)
    assert "Sandbox" in refused.value.user_message
    assert len(await rig.payments()) == 1  # only the pending one; the 503s were not processed
    await other.stop()

    await rig.control.clear_faults()
    back, _ = rig.desk(identity=home)  # the Sandbox profile is active again: everything resumes
    await back.start()
    report = await back.wait_recovered()
    assert sorted(r.local_id for r in report.resent) == [unknown.local_id, journaled.local_id]
    assert all(r.status == PENDING for r in report.resent)
    assert pending.local_id in back.following
    assert len(await rig.payments()) == 3
    assert await other_control.payments() == []


async def test_a_new_live_token_resends_only_after_a_person_confirms_the_account(rig: Rig) -> None:
    """Same Live profile and URL, a different token fingerprint: not resent until a person says
    the new token is the same merchant account; that re-bind is audited and then it resends."""
    before = ConnectionIdentity("live", "Live", normalize_base_url(rig.server.base_url), "token:aaaaaaaaaaaaaaaa")
    after = replace(before, account="token:bbbbbbbbbbbbbbbb")
    first, _ = rig.desk(identity=before)
    await rig.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=4)
    record = await first.submit(payout_request())
    assert record.status == OUTCOME_UNKNOWN
    await first.stop()

    second, changes = rig.desk(identity=after)
    await second.start()
    assert (await second.wait_recovered()).resent == ()
    await _settle()
    assert (await second.get(record.local_id)).status == OUTCOME_UNKNOWN
    [waiting] = await second.waiting()
    assert waiting.connection_id == before.key
    assert ConnectionIdentity.parse(waiting.connection_id or "").same_place(after)

    moved = await second.rebind(before.key, reason="the new token belongs to the same merchant account")
    assert moved == [record.local_id]
    done = await changes.wait_for(lambda c: c.record.local_id == record.local_id and c.record.status == PENDING)
    assert done.record.connection_id == after.key
    payments = await rig.payments()
    assert len(payments) == 1  # the payout the dropped answer created, replayed with its key
    assert payments[0]["id"] == done.record.payment_id
    [rebound] = [e for e in await second.events(record.local_id) if e.kind == "rebound"]
    assert rebound.actor == "tester"
    assert rebound.detail == {
        "old_connection": before.key,
        "new_connection": after.key,
        "reason": "the new token belongs to the same merchant account",
    }
    assert await second.waiting() == []


# -- 2. ambiguity sticks -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 404, 400])
async def test_a_refusal_after_an_ambiguous_attempt_is_not_a_rejection(rig: Rig, status: int) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=status, times=1000)
    desk, changes = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == OUTCOME_UNKNOWN
    assert record.ambiguous == 1
    assert record.last_error is not None
    assert "not marked rejected" in record.last_error
    if status == 401:
        assert "Fix the API token" in record.last_error
    events = await desk.events(record.local_id)
    assert REJECTED not in kinds(events)
    started = [e.detail["number"] for e in events if e.kind == "attempt_started"]
    assert started == [1, 2]  # committed before each request
    assert [e.detail["ambiguous"] for e in events if e.kind == "attempt"] == [True, False]
    [held] = await rig.payments()  # the provider holds it: keying it again would pay twice

    await rig.control.clear_faults()  # the token is fixed: the resend with the same key replays it
    done = await changes.wait_for(lambda c: c.record.local_id == record.local_id and c.record.status == PENDING)
    assert done.record.payment_id == held["id"]
    assert len(await rig.payments()) == 1


async def test_a_refusal_with_no_ambiguous_attempt_is_a_rejection(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="status", status=401)
    desk, _ = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == REJECTED
    assert record.ambiguous == 0
    assert await rig.payments() == []


# -- 3. provider text, answer checks, bounds -----------------------------------------------------


async def test_a_provider_status_spelled_like_a_local_state_is_only_shown(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields={"status": "confirmed"})
    await rig.control.add_fault(method="GET", path="/api/payments/*", fault="rewrite", fields={"status": "rejected"})
    desk, changes = rig.desk()
    record = await desk.submit(payout_request())
    assert (record.status, record.provider_status) == (CREATED, "confirmed")
    assert record.payment_id is not None
    assert record.local_id not in desk.resend_scheduled  # never back among the unsent
    assert record.local_id in desk.following
    seen = await changes.wait_for(lambda c: c.record.provider_status == "rejected")
    assert seen.record.status == CREATED
    assert not seen.became_final
    # still followed: the provider's real status comes next
    await changes.wait_for(lambda c: c.record.provider_status == PENDING and c.record.status == PENDING)
    assert record.local_id in desk.following
    assert len(await rig.payments()) == 1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"amount": "1000.00"}, "amount '1000.00'"),
        ({"currency": "JPY"}, "currency 'JPY'"),
        ({"externalId": "someone-else"}, "externalId 'someone-else'"),
        ({"amount": 1000}, "amount '1000'"),
    ],
)
async def test_a_create_answer_that_does_not_match_is_never_applied(
    rig: Rig, fields: dict[str, object], problem: str
) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields=fields)
    desk, changes = rig.desk()
    record = await desk.submit(payout_request("10.00", "EUR", external_id="ORDER-1"))
    assert record.status == MISMATCH
    assert record.payment_id is None  # nothing of the answer was applied
    assert record.last_error is not None
    assert problem in record.last_error
    answer = json.loads(record.answer or "{}")
    assert all(answer[k] == v for k, v in fields.items())  # the raw answer is kept
    change = await changes.wait_for(lambda c: c.event == "mismatch")
    assert change.became_final  # the window notifies
    await _settle()
    assert record.local_id not in desk.following | desk.resend_scheduled
    assert (await desk.get(record.local_id)).status == MISMATCH
    assert len(await rig.payments()) == 1  # asked once, never again


async def test_an_amount_with_other_trailing_zeros_is_the_same_amount(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields={"amount": "10.000"})
    desk, _ = rig.desk()
    record = await desk.submit(payout_request("10.00", "EUR"))
    assert record.status == PENDING  # compared as Decimal


async def test_a_poll_answer_for_another_payment_is_never_applied(rig: Rig) -> None:
    desk, changes = rig.desk(poll=QUIET_POLL)
    record = await desk.submit(payout_request())
    assert record.payment_id is not None
    await rig.control.add_fault(method="GET", path="/api/payments/*", fault="rewrite",
                                fields={"id": "pay_someone_else", "status": "succeeded"})  # fmt: skip
    checked = await desk.refresh(record.local_id)
    assert checked.status == MISMATCH
    assert checked.payment_id == record.payment_id
    assert checked.provider_status == PENDING  # the answer's "succeeded" was not applied
    assert checked.last_error is not None
    assert "pay_someone_else" in checked.last_error
    assert record.local_id not in desk.following
    assert [c.event for c in changes.items if c.record.local_id == record.local_id][-1] == "mismatch"


async def test_a_payment_id_belongs_to_one_entry(rig: Rig) -> None:
    desk, _ = rig.desk(poll=QUIET_POLL)
    first = await desk.submit(payout_request())
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields={"id": first.payment_id})
    second = await desk.submit(payout_request())
    assert second.status == MISMATCH
    assert second.payment_id is None
    assert second.last_error is not None
    assert f"belongs to payout {first.local_id}" in second.last_error
    assert (await desk.get(first.local_id)).status == PENDING


async def test_provider_strings_are_stored_bounded(rig: Rig) -> None:
    desk, _ = rig.desk(poll=QUIET_POLL)
    record = await desk.submit(payout_request())
    await rig.control.add_fault(method="GET", path="/api/payments/*", fault="rewrite",
                                fields={"status": "s" * 200, "failureReason": "r" * 5000})  # fmt: skip
    checked = await desk.refresh(record.local_id)
    assert checked.provider_status == "s" * 63 + "…"
    assert checked.status == CREATED  # unknown, not final, still followed
    assert checked.failure_reason is not None
    assert len(checked.failure_reason) == 1000


async def test_an_answer_over_one_megabyte_is_not_read(rig: Rig) -> None:
    desk, _ = rig.desk(poll=QUIET_POLL)
    record = await desk.submit(payout_request())
    await rig.control.add_fault(method="GET", path="/api/payments/*", fault="huge_body", field="failureReason",
                                bytes=5_000_000, times=10)  # fmt: skip
    with pytest.raises(ProviderError) as caught:
        await desk.refresh(record.local_id)
    assert "over 1,000,000 bytes" in caught.value.detail
    assert (await desk.get(record.local_id)).failure_reason is None


async def test_a_huge_create_answer_is_ambiguous_and_replayed(rig: Rig) -> None:
    await rig.control.add_fault(method="POST", path="/api/payments", fault="huge_body", bytes=50_000_000)
    desk, _ = rig.desk()
    record = await desk.submit(payout_request())
    assert record.status == PENDING
    assert record.ambiguous == 1  # the first answer could not be read: the create may have happened
    [held] = await rig.payments()
    assert held["id"] == record.payment_id


async def test_changes_listener_sees_a_mismatch_as_needing_a_person(rig: Rig) -> None:
    """A ``mismatch`` reaches listeners with ``became_final`` (the window's notification)."""
    changes = Changes()
    await rig.control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields={"currency": "USD"})
    desk, _ = rig.desk()
    desk.subscribe(changes)
    record = await desk.submit(payout_request())
    change = await changes.wait_for(lambda c: c.record.local_id == record.local_id and c.event == "mismatch")
    assert change.became_final
    assert change.previous_status == "confirmed"
