"""Tolerant parsing of the provider's payment object."""

from __future__ import annotations

import pytest

from payout_desk.provider.errors import ProviderProtocolError
from payout_desk.provider.models import Payment, token_kind

SEED_RESPONSE = {
    "id": "pay_a1b2c3d4",
    "status": "pending",
    "url": "https://example.com/checkin/pay_a1b2c3d4",
    "externalId": "3e3f3796-4c3a-41e2-a90a-2c0f3e20b0a1",
    "amount": "10.00",
    "currency": "EUR",
    "description": "Order #1456",
    "metadata": {"orderId": 1456},
    "createdAt": "2025-05-27T14:25:00Z",
}


def test_seed_example() -> None:
    payment = Payment.from_json(SEED_RESPONSE)
    assert payment.id == "pay_a1b2c3d4"
    assert payment.status == "pending"
    assert payment.url == "https://example.com/checkin/pay_a1b2c3d4"
    assert payment.amount == "10.00"
    assert payment.currency == "EUR"
    assert payment.external_id == "3e3f3796-4c3a-41e2-a90a-2c0f3e20b0a1"
    assert payment.created_at == "2025-05-27T14:25:00Z"
    assert payment.failure_reason is None
    assert payment.raw["metadata"] == {"orderId": 1456}


def test_unknown_fields_and_status_are_kept() -> None:
    data = {**SEED_RESPONSE, "status": "on_hold_by_compliance", "riskScore": 12, "failureReason": "x"}
    payment = Payment.from_json(data)
    assert payment.status == "on_hold_by_compliance"
    assert payment.raw["riskScore"] == 12
    assert payment.failure_reason == "x"


def test_odd_types_are_tolerated() -> None:
    payment = Payment.from_json(
        {
            "id": "pay_1",
            "status": "failed",
            "amount": 10.5,
            "url": None,
            "currency": ["EUR"],
            "failureReason": {"code": "x"},
            "createdAt": True,
        }
    )
    assert payment.amount == "10.5"
    assert payment.url is None
    assert payment.currency is None
    assert payment.failure_reason is None
    assert payment.created_at is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "pay_1",
        3,
        {},
        {"id": "pay_1"},
        {"status": "pending"},
        {"id": "", "status": "pending"},
        {"id": 5, "status": "pending"},
        {"id": "pay_1", "status": ""},
        {"id": "pay_1", "status": 1},
    ],
)
def test_unusable_objects_are_protocol_errors(data: object) -> None:
    with pytest.raises(ProviderProtocolError) as info:
        Payment.from_json(data)
    assert info.value.retryable
    assert info.value.user_message


def test_token_kind() -> None:
    assert token_kind("tk_test_abc") == "test"
    assert token_kind("tk_live_abc") == "live"
    assert token_kind("abc") is None
