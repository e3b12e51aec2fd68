"""The near-duplicate rule (issue 16): same currency, last 90 days; same recipient (id, or name
case-folded with whitespace collapsed) within 0.5 % inclusive, or same description and same amount."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from payout_desk.domain.duplicates import (
    IGNORED_STATUSES,
    PastPayout,
    PayoutProbe,
    amount_band,
    find_duplicates,
    match,
    normalise,
)
from payout_desk.domain.status import CLOSED_STATUSES, REJECTED

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def probe(amount: str = "1250.00", **kw: Any) -> PayoutProbe:
    values: dict[str, Any] = {
        "currency": "EUR", "recipient_id": None, "recipient_name": "Ada Lovelace",
        "description": "Refund order 1042", "at": NOW,
    }  # fmt: skip
    values.update(kw)
    return PayoutProbe(amount=Decimal(amount), **values)


def past(amount: str = "1250.00", local_id: int = 1, ago: timedelta = timedelta(minutes=11), **kw: Any) -> PastPayout:
    values: dict[str, Any] = {
        "currency": "EUR", "recipient_id": None, "recipient_name": "Ada Lovelace",
        "description": "Refund order 1042", "status": "succeeded", "created_by": "jdoe",
    }  # fmt: skip
    values.update(kw)
    return PastPayout(local_id=local_id, created_at=NOW - ago, amount=Decimal(amount), **values)


def test_the_issues_case_is_caught() -> None:
    assert match(probe(), past()) == "recipient"


def test_names_are_case_folded_and_whitespace_collapsed() -> None:
    assert normalise("  Straße \t Müller ") == "strasse müller"
    assert match(probe(recipient_name="ADA   lovelace"), past(description="other")) == "recipient"
    assert match(probe(recipient_name="Ada Lovelace Jr"), past(description="other")) is None


def test_recipient_id_alone_matches() -> None:
    new = probe(recipient_id="cus_7", recipient_name=None, description=None)
    assert match(new, past(recipient_id="cus_7", recipient_name="Someone else", description=None)) == "recipient"
    assert match(new, past(recipient_id="cus_8", recipient_name=None, description=None)) is None


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ("1243.75", "recipient"),  # exactly 0.5 % below: inclusive
        ("1256.25", "recipient"),  # exactly 0.5 % above: inclusive
        ("1243.74", None),
        ("1256.26", None),
    ],
)
def test_the_amount_band_is_half_a_percent_inclusive(old: str, expected: str | None) -> None:
    assert match(probe(), past(old, description="other")) == expected
    assert amount_band(Decimal("1250.00")) == (Decimal("1243.75"), Decimal("1256.25"))


def test_same_description_needs_the_same_amount() -> None:
    other = {"recipient_name": "Someone else"}
    assert match(probe(), past(description="refund  ORDER 1042", **other)) == "description"
    assert match(probe(), past("1250.01", **other)) is None
    assert match(probe(description=""), past(description="", **other)) is None  # nothing to compare


def test_currency_window_and_refused_payouts() -> None:
    assert match(probe(), past(currency="USD")) is None
    assert match(probe(), past(ago=timedelta(days=90))) == "recipient"  # the 90th day still counts
    assert match(probe(), past(ago=timedelta(days=90, seconds=1))) is None
    assert match(probe(), past(status="rejected")) is None  # nothing was sent
    for status in ("approval_rejected", "withdrawn", "expired"):  # closed before sending: never sent
        assert match(probe(), past(status=status)) is None, status
    for status in ("pending", "outcome_unknown", "failed", "confirmed", "awaiting_approval"):
        assert match(probe(), past(status=status)) == "recipient"


def test_found_newest_first() -> None:
    found = find_duplicates(
        probe(), [past(local_id=1, ago=timedelta(days=3)), past(local_id=2), past(local_id=3, currency="GBP")]
    )
    assert [m.past.local_id for m in found] == [2, 1]


def test_the_ignored_statuses_are_exactly_those_never_sent() -> None:
    assert {"rejected", "approval_rejected", "withdrawn", "expired"} == IGNORED_STATUSES
    assert {REJECTED} | CLOSED_STATUSES == IGNORED_STATUSES
