"""Idempotency (SPEC "Idempotency"): replay 200 with ``Idempotent-Replayed: true``, key reuse 422,
in flight 409, fifty concurrent creates make one payout, keys per merchant, the no-key externalId rule."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from payout_desk.sandbox.client import AsyncSandboxControl, SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.sandbox.store import Payment, Store
from tests.integration.sandbox.helpers import assert_error, auth, eventually, new_key, payout


def _mine(control: SandboxControl, token_payment_id: str) -> list[dict[str, object]]:
    merchant = next(p["merchantId"] for p in control.payments() if p["id"] == token_payment_id)
    return [p for p in control.payments() if p["merchantId"] == merchant]


def test_same_key_same_body_replays_the_original_response(
    api_client: httpx.Client, sandbox_control: SandboxControl
) -> None:
    key = new_key()
    first = api_client.post("/api/payments", json=payout(externalId="e-1"), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    sandbox_control.complete(first.json()["id"], "succeeded")  # the status moves on; the replay does not
    again = api_client.post("/api/payments", json=payout(externalId="e-1"), headers={"Idempotency-Key": key})
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(_mine(sandbox_control, first.json()["id"])) == 1


def test_bodies_are_compared_as_parsed_json(api_client: httpx.Client) -> None:
    key = new_key()
    body = payout(metadata={"a": 1, "b": {"c": [1, 2], "d": 2.0}})
    first = api_client.post("/api/payments", json=body, headers={"Idempotency-Key": key})
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4).encode()
    again = api_client.post(
        "/api/payments", content=reordered, headers={"Idempotency-Key": key, "Content-Type": "application/json"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    "changed",
    [{"amount": "10.01"}, {"description": "Order #1457"}, {"metadata": {"orderId": 1}}, {"extra": "field"}],
    ids=["amount", "description", "metadata", "unknown-field"],
)
def test_same_key_different_body_is_422_key_reused(api_client: httpx.Client, changed: dict[str, object]) -> None:
    key = new_key()
    assert api_client.post("/api/payments", json=payout(), headers={"Idempotency-Key": key}).status_code == 201
    response = api_client.post("/api/payments", json=payout(**changed), headers={"Idempotency-Key": key})
    assert_error(response, 422, "idempotency_key_reused")


def test_keys_are_scoped_to_the_merchant(sandbox_server: EmbeddedSandbox, sandbox_control: SandboxControl) -> None:
    key = new_key()
    one, two = sandbox_control.mint_token(), sandbox_control.mint_token()
    with httpx.Client(base_url=sandbox_server.base_url, trust_env=False) as client:
        a = client.post("/api/payments", json=payout(), headers=auth(one, key))
        b = client.post("/api/payments", json=payout(), headers=auth(two, key))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


def test_a_rejected_body_does_not_use_up_the_key(api_client: httpx.Client) -> None:
    """Validation runs before idempotency: only a created payout is remembered under its key."""
    key = new_key()
    bad = api_client.post("/api/payments", json=payout(amount="0"), headers={"Idempotency-Key": key})
    assert_error(bad, 422, "validation_error", "amount")
    assert api_client.post("/api/payments", json=payout(), headers={"Idempotency-Key": key}).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "non-ascii-é"], ids=["empty", "256", "tab", "non-ascii"])
def test_badly_formed_key_is_422(api_client: httpx.Client, key: str) -> None:
    response = api_client.post("/api/payments", json=payout(), headers=[(b"Idempotency-Key", key.encode("utf-8"))])
    assert_error(response, 422, "validation_error", None)


def test_any_printable_ascii_key_of_up_to_255_characters_works(api_client: httpx.Client) -> None:
    key = "k" * 254 + "~"
    first = api_client.post("/api/payments", json=payout(), headers={"Idempotency-Key": key})
    again = api_client.post("/api/payments", json=payout(), headers={"Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)


async def test_duplicate_while_in_flight_is_409(sandbox: EmbeddedSandbox) -> None:
    control = AsyncSandboxControl(sandbox.base_url)
    token = await control.mint_token()
    key = new_key()
    await control.add_fault(method="POST", path="/api/payments", fault="delay", seconds=1.5)
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False, timeout=10) as client:
        first = asyncio.create_task(client.post("/api/payments", json=payout(), headers=auth(token, key)))
        await eventually(lambda: _no_faults(control))  # the first request has taken the delay

        async def duplicate_gets_409() -> bool:
            response = await client.post("/api/payments", json=payout(), headers=auth(token, key))
            assert response.status_code in (409, 200), response.text
            return response.status_code == 409

        await eventually(duplicate_gets_409, within=5)
        conflict = await client.post("/api/payments", json=payout(), headers=auth(token, key))
        assert_error(conflict, 409, "idempotency_in_progress")
        assert (await first).status_code == 201
        replay = await client.post("/api/payments", json=payout(), headers=auth(token, key))
    assert replay.status_code == 200
    assert replay.json()["id"] == (await first).json()["id"]
    assert len(await control.payments()) == 1


async def _no_faults(control: AsyncSandboxControl) -> bool:
    return not await control.faults()


async def test_fifty_concurrent_creates_with_one_key_make_one_payout(sandbox: EmbeddedSandbox) -> None:
    control = AsyncSandboxControl(sandbox.base_url)
    token = await control.mint_token()
    key = new_key()
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False, timeout=20, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post("/api/payments", json=payout(), headers=auth(token, key)) for _ in range(50))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) == 1, statuses
        assert set(statuses) <= {200, 201, 409}, statuses
        ids = {r.json()["id"] for r in responses if r.status_code in (200, 201)}
        assert len(ids) == 1
        # Whoever got 409 retries with the same key and body, as the SPEC says, and gets the same payout.
        for response in responses:
            if response.status_code == 409:
                retry = await client.post("/api/payments", json=payout(), headers=auth(token, key))
                assert retry.status_code == 200
                assert retry.json()["id"] in ids
    payments = await control.payments()
    assert [p["id"] for p in payments] == list(ids)
    assert payments[0]["idempotencyKey"] == key


def test_no_key_same_external_id_and_body_replays(api_client: httpx.Client, sandbox_control: SandboxControl) -> None:
    body = payout(externalId="invoice-77")
    first = api_client.post("/api/payments", json=body)
    again = api_client.post("/api/payments", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(_mine(sandbox_control, first.json()["id"])) == 1


def test_no_key_same_external_id_different_body_is_422_on_external_id(api_client: httpx.Client) -> None:
    assert api_client.post("/api/payments", json=payout(externalId="invoice-78")).status_code == 201
    response = api_client.post("/api/payments", json=payout(externalId="invoice-78", amount="11.00"))
    assert_error(response, 422, "validation_error", "externalId")


def test_no_key_external_id_rule_also_finds_payouts_created_with_a_key(api_client: httpx.Client) -> None:
    body = payout(externalId="invoice-79")
    first = api_client.post("/api/payments", json=body, headers={"Idempotency-Key": new_key()})
    again = api_client.post("/api/payments", json=body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_no_key_and_no_external_id_creates_each_time(api_client: httpx.Client, sandbox_control: SandboxControl) -> None:
    first = api_client.post("/api/payments", json=payout())
    second = api_client.post("/api/payments", json=payout())
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_external_id_rule_is_per_merchant(sandbox_server: EmbeddedSandbox, sandbox_control: SandboxControl) -> None:
    one, two = sandbox_control.mint_token(), sandbox_control.mint_token()
    with httpx.Client(base_url=sandbox_server.base_url, trust_env=False) as client:
        a = client.post("/api/payments", json=payout(externalId="shared", amount="1.00"), headers=auth(one))
        b = client.post("/api/payments", json=payout(externalId="shared", amount="2.00"), headers=auth(two))
    assert (a.status_code, b.status_code) == (201, 201)


def test_retry_after_a_5xx_with_the_same_key_creates_once(sandbox: EmbeddedSandbox) -> None:
    control = SandboxControl(sandbox.base_url)
    token = control.mint_token()
    key = new_key()
    control.add_fault(method="POST", path="/api/payments", fault="status", status=503)
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as client:
        failed = client.post("/api/payments", json=payout(), headers=auth(token, key))
        assert_error(failed, 503, "internal_error")
        assert control.payments() == []
        assert client.post("/api/payments", json=payout(), headers=auth(token, key)).status_code == 201
        assert client.post("/api/payments", json=payout(), headers=auth(token, key)).status_code == 200
    assert len(control.payments()) == 1


@pytest.mark.parametrize(("age_hours", "kept"), [(23.9, True), (24.1, False)])
def test_keys_are_kept_at_least_24_hours(age_hours: float, kept: bool) -> None:
    """The default retention, checked on the store directly (no waiting a day)."""
    store = Store(None)
    token = store.mint_token(payouts=True)
    created_at = time.time() - age_hours * 3600
    payment = Payment(
        id="pay_old", merchant_id=token.merchant_id, token=token.token, type="payout", status="pending",
        amount="1.00", currency="EUR", description=None, metadata=None, external_id=None, redirect_url=None,
        webhook_url=None, customer=None, url="http://127.0.0.1/checkin/pay_old", fingerprint="{}",
        idempotency_key="old-key", created_at=created_at, expires_at=created_at + 1800,
    )  # fmt: skip
    store.insert_payment(payment, {"id": "pay_old"})
    assert (store.get_idempotency(token.merchant_id, "old-key") is not None) is kept
    store.close()
