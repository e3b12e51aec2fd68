"""Approvals types (contract 2): Money, body hash, counts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payout_desk.domain.approvals import ApprovalDecision, ApprovalRequest, Money, body_hash
from payout_desk.domain.money import AmountError, currency


def test_body_hash_is_the_sha256_of_the_exact_utf8_text() -> None:
    body = '{"amount":"15000.00","currency":"EUR","description":"Café","type":"payout"}'
    assert body_hash(body) == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert body_hash(body) != body_hash(body.replace("15000.00", "15000.01"))


def test_money_is_exact_and_refuses_more_digits_than_the_currency() -> None:
    eur = currency("EUR")
    assert Money(Decimal("15000"), eur).wire == "15000.00"
    assert Money(Decimal("0"), currency("JPY")).wire == "0"
    with pytest.raises(AmountError):
        Money(Decimal("1.001"), eur)
    with pytest.raises(AmountError):
        Money(Decimal("-1"), eur)
    with pytest.raises(TypeError):
        Money(1.5, eur)  # type: ignore[arg-type]


def test_request_counts_approvals_and_who_decided() -> None:
    at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    yes = ApprovalDecision(by="bob", at=at, approved=True, reason=None, body_hash="h")
    request = ApprovalRequest(
        local_id=1,
        amount=Money(Decimal("15000.00"), currency("EUR")),
        description="Invoice 7",
        recipient="ACME",
        reference="INV-7",
        prepared_by="alice",
        confirmed_at=at,
        required=2,
        decisions=(yes,),
        body_hash="h",
        expires_at=at,
    )
    assert (request.approvals, request.missing) == (1, 1)
    assert request.decided_by("bob")
    assert not request.decided_by("alice")
