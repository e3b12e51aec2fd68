"""Webhooks (SPEC "Webhooks"): the payment object POSTed when final, signed with the merchant's token in
the Standard Webhooks layout (verified with payout_desk.provider.webhooks), retried on the schedule,
logged; the merchant default URL (``--webhook-url``); completion through the control surface."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from payout_desk.provider.webhooks import InvalidSignatureError, ReplayGuard, verify
from payout_desk.sandbox.client import AsyncSandboxControl, SandboxControl, SandboxControlError
from payout_desk.sandbox.embedded import EmbeddedSandbox
from tests.fixtures.sandbox import WebhookReceiver
from tests.integration.sandbox.helpers import auth, eventually, payout

GOOD_IBAN = "DE89370400440532013000"


def _create(sandbox: EmbeddedSandbox, token: str, **fields: object) -> dict[str, object]:
    response = httpx.post(f"{sandbox.base_url}/api/payments", json=payout(**fields), headers=auth(token))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def _acreate(sandbox: EmbeddedSandbox, token: str, **fields: object) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
        response = await client.post("/api/payments", json=payout(**fields), headers=auth(token))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_final_status_is_posted_signed_with_the_token(
    sandbox_server: EmbeddedSandbox, webhook_receiver: WebhookReceiver
) -> None:
    control = AsyncSandboxControl(sandbox_server.base_url)
    token = await control.mint_token()
    payment = await _acreate(sandbox_server, token, webhookUrl=webhook_receiver.url)
    async with httpx.AsyncClient(trust_env=False) as client:
        checkin = await client.post(str(payment["url"]), data={"holderName": "Ada", "iban": GOOD_IBAN})
        assert checkin.status_code == 303
        [hook] = await asyncio.to_thread(webhook_receiver.wait_for, 1)
        fetched = await client.get(f"{sandbox_server.base_url}/api/payments/{payment['id']}", headers=auth(token))
    verified = verify(token, hook.headers, hook.body)
    assert verified.webhook_id == hook.headers["webhook-id"]
    assert hook.headers["content-type"] == "application/json"
    assert hook.headers["webhook-signature"].startswith("v1,")
    assert json.loads(hook.body) == fetched.json()
    assert json.loads(hook.body)["status"] == "succeeded"
    with pytest.raises(InvalidSignatureError):
        verify(await control.mint_token(), hook.headers, hook.body)  # another merchant's token

    async def logged() -> list[dict[str, Any]] | None:
        entries = [d for d in await control.webhooks() if d["paymentId"] == payment["id"]]
        return entries or None

    log = await eventually(logged)
    assert len(log) == 1
    entry = log[0]
    assert {"url", "status", "attempt", "headers", "body"} <= set(entry)
    assert (entry["url"], entry["status"], entry["attempt"]) == (webhook_receiver.url, 200, 1)
    assert entry["body"] == hook.body.decode()
    assert entry["headers"]["webhook-id"] == hook.headers["webhook-id"]


def test_no_webhook_while_pending_and_one_per_final_status(
    sandbox_server: EmbeddedSandbox, sandbox_control: SandboxControl, webhook_receiver: WebhookReceiver
) -> None:
    token = sandbox_control.mint_token()
    payment = _create(sandbox_server, token, webhookUrl=webhook_receiver.url)
    assert not [d for d in sandbox_control.webhooks() if d["paymentId"] == payment["id"]]
    sandbox_control.complete(str(payment["id"]), "succeeded")
    sandbox_control.complete(str(payment["id"]), "failed", "returned_by_bank")  # a bank return
    first, second = webhook_receiver.wait_for(2)
    assert json.loads(first.body)["status"] == "succeeded"
    assert json.loads(second.body)["status"] == "failed"
    assert json.loads(second.body)["failureReason"] == "returned_by_bank"
    assert first.headers["webhook-id"] != second.headers["webhook-id"]


def test_complete_refuses_a_transition_out_of_failed(
    sandbox_server: EmbeddedSandbox, sandbox_control: SandboxControl
) -> None:
    token = sandbox_control.mint_token()
    payment = _create(sandbox_server, token)
    done = sandbox_control.complete(str(payment["id"]), "failed", "declined_by_recipient")
    assert (done["status"], done["failureReason"]) == ("failed", "declined_by_recipient")
    with pytest.raises(SandboxControlError) as refused:
        sandbox_control.complete(str(payment["id"]), "succeeded")
    assert refused.value.status_code == 409
    with pytest.raises(SandboxControlError) as bad:
        sandbox_control.complete(str(payment["id"]), "maybe")
    assert bad.value.status_code == 422


def test_merchant_default_webhook_url(
    sandbox_factory: Callable[..., EmbeddedSandbox], webhook_receiver: WebhookReceiver
) -> None:
    sandbox = sandbox_factory(webhook_url=webhook_receiver.url)
    control = SandboxControl(sandbox.base_url)
    token = control.mint_token()
    payment = _create(sandbox, token)  # no webhookUrl: the default applies
    control.complete(str(payment["id"]), "succeeded")
    [hook] = webhook_receiver.wait_for(1)
    verify(token, hook.headers, hook.body)
    assert json.loads(hook.body)["id"] == payment["id"]


def test_payout_webhook_url_overrides_the_default(
    sandbox_factory: Callable[..., EmbeddedSandbox], webhook_receiver: WebhookReceiver
) -> None:
    sandbox = sandbox_factory(webhook_url="http://127.0.0.1:9/never-used")
    control = SandboxControl(sandbox.base_url)
    token = control.mint_token()
    payment = _create(sandbox, token, webhookUrl=webhook_receiver.url + "?override=1")
    control.complete(str(payment["id"]), "failed", "account_closed")
    [hook] = webhook_receiver.wait_for(1)
    assert (hook.path, hook.query) == ("/hooks", "override=1")


async def test_failed_deliveries_are_retried_on_the_schedule_with_the_same_id(
    sandbox_factory: Callable[..., EmbeddedSandbox], webhook_receiver: WebhookReceiver
) -> None:
    sandbox = sandbox_factory(webhook_retry_schedule=(0, 0.1, 0.1, 0.1))
    control = AsyncSandboxControl(sandbox.base_url)
    token = await control.mint_token()
    webhook_receiver.statuses = [500, 503]
    payment = await _acreate(sandbox, token, webhookUrl=webhook_receiver.url)
    await control.complete(payment["id"], "succeeded")
    hooks = await asyncio.to_thread(webhook_receiver.wait_for, 3)
    assert [h.answered for h in hooks] == [500, 503, 200]
    assert len({h.headers["webhook-id"] for h in hooks}) == 1
    for hook in hooks:
        verify(token, hook.headers, hook.body)
    guard = ReplayGuard()
    assert [guard.accept(h.headers["webhook-id"]) for h in hooks] == [True, False, False]

    async def logged() -> list[dict[str, Any]] | None:
        entries = await control.webhooks()
        return entries if len(entries) == 3 else None

    log = await eventually(logged)
    assert [(d["attempt"], d["status"], d["outcome"]) for d in log] == [
        (1, 500, "retrying"), (2, 503, "retrying"), (3, 200, "delivered")]  # fmt: skip


async def test_delivery_gives_up_after_the_last_attempt(
    sandbox_factory: Callable[..., EmbeddedSandbox], webhook_receiver: WebhookReceiver
) -> None:
    sandbox = sandbox_factory(webhook_retry_schedule=(0, 0.05, 0.05))
    control = AsyncSandboxControl(sandbox.base_url)
    webhook_receiver.statuses = [500] * 10
    token = await control.mint_token()
    payment = await _acreate(sandbox, token, webhookUrl=webhook_receiver.url)
    await control.complete(payment["id"], "succeeded")

    async def gave_up() -> list[dict[str, Any]] | None:
        entries = await control.webhooks()
        return entries if entries and entries[-1]["outcome"] == "gave_up" else None

    log = await eventually(gave_up)
    assert [d["attempt"] for d in log] == [1, 2, 3]
    assert len(webhook_receiver.received) == 3


async def test_unreachable_receiver_is_logged_without_a_status(sandbox_factory: Callable[..., EmbeddedSandbox]) -> None:
    sandbox = sandbox_factory(webhook_retry_schedule=(0,))
    control = AsyncSandboxControl(sandbox.base_url)
    token = await control.mint_token()
    payment = await _acreate(sandbox, token, webhookUrl="http://127.0.0.1:9/closed-port")
    await control.complete(payment["id"], "succeeded")

    async def logged() -> list[dict[str, Any]] | None:
        return await control.webhooks() or None

    [entry] = await eventually(logged)
    assert entry["status"] is None
    assert entry["error"]
    assert entry["outcome"] == "gave_up"


def test_default_retry_schedule_is_the_specs() -> None:
    from payout_desk.sandbox.webhook_delivery import DEFAULT_RETRY_SCHEDULE

    assert DEFAULT_RETRY_SCHEDULE == (0.0, 5.0, 30.0, 120.0, 600.0)  # SPEC: 0 s, 5 s, 30 s, 2 min, 10 min
    assert tuple(EmbeddedSandbox().config.webhook_retry_schedule) == DEFAULT_RETRY_SCHEDULE
