"""Client behaviour the real sandbox cannot produce, over ``httpx.MockTransport``.

Everything the sandbox *can* produce (503s, 429 with seconds, delays, malformed JSON, dropped
connections, 401/403/422, replays) is tested against the real sandbox in
``tests/integration/core``. Here, only: the exact bytes of every retry as they left the client
(the sandbox compares parsed JSON, so it cannot prove byte identity), a ``Retry-After`` given as an
HTTP-date or as garbage, odd 2xx/3xx answers and an unknown payment status.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from payout_desk.provider.client import PayoutsClient, RetryPolicy
from payout_desk.provider.errors import (
    IdempotencyKeyReusedError,
    OutcomeUnknownError,
    ProviderProtocolError,
    ValidationRejectedError,
)
from payout_desk.provider.models import Attempt

TOKEN = "tk_test_Mock0Secret0Token0123456789"
BODY = '{"amount":"10.00","currency":"EUR","description":"Zoë – €","type":"payout"}'
DEFAULT_POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0)
PAYMENT = {"id": "pay_1", "status": "pending", "url": "https://p.example/checkin/pay_1", "amount": "10.00"}


def _client(
    handler: Callable[[httpx.Request], httpx.Response],
    sleeps: list[float],
    policy: RetryPolicy = DEFAULT_POLICY,
) -> PayoutsClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return PayoutsClient(
        "https://api.provider.example",
        TOKEN,
        transport=httpx.MockTransport(handler),
        retry=policy,
        sleep=sleep,
        rand=lambda: 1.0,
    )


async def test_every_retry_sends_the_same_key_and_the_same_bytes() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(503, json={"error": {"code": "internal_error", "message": "down"}})
        return httpx.Response(201, json=PAYMENT)

    sleeps: list[float] = []
    attempts: list[Attempt] = []

    async def on_attempt(attempt: Attempt) -> None:
        attempts.append(attempt)

    key = str(uuid.uuid4())
    async with _client(handler, sleeps) as client:
        result = await client.create_payout(BODY, key, on_attempt)
    assert result.payment.id == "pay_1"
    assert not result.replayed
    assert [r.content for r in seen] == [BODY.encode("utf-8")] * 3
    assert {r.headers["Idempotency-Key"] for r in seen} == {key}
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in seen)
    assert all(r.headers["Content-Type"] == "application/json" for r in seen)
    assert sleeps == [0.5, 1.0]  # rand() == 1.0: the top of each jitter band
    assert [(a.number, a.status_code, a.error is None) for a in attempts] == [
        (1, 503, False),
        (2, 503, False),
        (3, 201, True),
    ]
    assert all(a.idempotency_key == key for a in attempts)


async def test_retry_after_as_http_date_is_honoured_and_capped() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        when = datetime.now(UTC) + (timedelta(seconds=20) if calls == 1 else timedelta(hours=2))
        if calls <= 2:
            return httpx.Response(
                429,
                headers={"Retry-After": format_datetime(when, usegmt=True)},
                json={"error": {"code": "rate_limited", "message": "slow down"}},
            )
        return httpx.Response(201, json=PAYMENT)

    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=4, retry_after_cap=30.0)
    async with _client(handler, sleeps, policy) as client:
        await client.create_payout(BODY, str(uuid.uuid4()))
    assert 17.0 <= sleeps[0] <= 20.0
    assert sleeps[1] == 30.0


async def test_garbage_retry_after_falls_back_to_backoff() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": "whenever"})
        return httpx.Response(201, json=PAYMENT)

    sleeps: list[float] = []
    async with _client(handler, sleeps) as client:
        await client.create_payout(BODY, str(uuid.uuid4()))
    assert sleeps == [0.5]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(201, json={"status": "pending"}),  # no id: the payout may exist
        httpx.Response(202, content=b""),
        httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
        httpx.Response(201, content=b"\xff\xfe not utf-8"),
    ],
)
async def test_unusable_answers_to_a_create_are_outcome_unknown(response: httpx.Response) -> None:
    sleeps: list[float] = []
    async with _client(lambda request: response, sleeps, RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.create_payout(BODY, str(uuid.uuid4()))
    assert len(sleeps) == 1
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)


async def test_error_body_that_is_not_json_still_maps_by_status() -> None:
    sleeps: list[float] = []
    handler = lambda request: httpx.Response(422, content=b"<html>nope</html>")  # noqa: E731
    async with _client(handler, sleeps) as client:
        with pytest.raises(ValidationRejectedError):
            await client.create_payout(BODY, str(uuid.uuid4()))
    assert sleeps == []


async def test_key_reused_is_a_loud_rejection(caplog: pytest.LogCaptureFixture) -> None:
    handler = lambda request: httpx.Response(  # noqa: E731
        422, json={"error": {"code": "idempotency_key_reused", "message": "different body", "field": None}}
    )
    async with _client(handler, []) as client:
        with pytest.raises(IdempotencyKeyReusedError):
            await client.create_payout(BODY, str(uuid.uuid4()))
    assert any(r.levelname == "ERROR" and "DIFFERENT body" in r.getMessage() for r in caplog.records)


async def test_unknown_status_on_get_is_kept_and_echoed_token_is_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("pay_2"):
            return httpx.Response(404, json={"error": {"code": "not_found", "message": f"token {TOKEN} has no pay_2"}})
        return httpx.Response(200, json={"id": "pay_1", "status": "in_review", "extra": [1, 2]})

    async with _client(handler, []) as client:
        payment = await client.get_payout("pay_1")
        assert payment.status == "in_review"
        assert payment.raw["extra"] == [1, 2]
        with pytest.raises(Exception) as info:
            await client.get_payout("pay_2")
    assert TOKEN not in str(info.value)
    assert "[REDACTED]" in str(info.value)


async def test_get_runs_out_of_retries_with_the_last_error() -> None:
    sleeps: list[float] = []
    handler = lambda request: httpx.Response(200, content=b'{"id": "pay_1", "sta')  # noqa: E731
    async with _client(handler, sleeps, RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(ProviderProtocolError):
            await client.get_payout("pay_1")
    assert len(sleeps) == 2


async def test_payment_id_is_quoted_into_the_path() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"id": "pay_x", "status": "pending"})

    async with _client(handler, []) as client:
        await client.get_payout("../_sandbox/faults")
    assert seen == ["/api/payments/..%2F_sandbox%2Ffaults"]


def test_body_is_json_text() -> None:
    assert json.loads(BODY)["type"] == "payout"
