"""Approval warnings (issue 21): the recipient's history, near-duplicates by the desk's one rule, and
"far above usual" (> 3× the largest payout to that recipient in the last 365 days), in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from payout_desk.domain.approval_warnings import WaitingPayout, approval_warnings, request_warnings
from payout_desk.domain.approvals import ApprovalRequest
from payout_desk.domain.duplicates import PastPayout
from payout_desk.domain.money import Money, currency

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def waiting(amount: str = "15000.00", **kw: Any) -> WaitingPayout:
    values: dict[str, Any] = {
        "local_id": 7, "currency": "EUR", "recipient": "Ada Lovelace", "description": "Invoice 2026-118",
        "confirmed_at": NOW,
    }  # fmt: skip
    values.update(kw)
    return WaitingPayout(amount=Decimal(amount), **values)


def past(amount: str, local_id: int, ago: timedelta, **kw: Any) -> PastPayout:
    values: dict[str, Any] = {
        "currency": "EUR", "recipient_id": None, "recipient_name": "Ada Lovelace",
        "description": "Invoice 2026-100", "status": "succeeded", "created_by": "pat",
    }  # fmt: skip
    values.update(kw)
    return PastPayout(local_id=local_id, created_at=NOW - ago, amount=Decimal(amount), **values)


def test_first_payout_to_a_recipient_says_so() -> None:
    found = approval_warnings(waiting(), [], [])
    assert [(w.kind, w.serious) for w in found] == [("first", True)]
    assert found[0].text == "First payout to this recipient Ada Lovelace: none paid in EUR in the last 365 days."


def test_history_counts_range_and_last_date_in_the_confirmation_format() -> None:
    history = [(Decimal("1200.00"), NOW - timedelta(days=40)), (Decimal("4800.00"), NOW - timedelta(days=3))]
    found = approval_warnings(waiting("5000.00"), history, [])
    assert [w.kind for w in found] == ["history"]
    assert found[0].text == (
        "2 earlier payouts paid to this recipient in EUR in the last 365 days, from €1,200.00 to €4,800.00; "
        "the last on Dec 3, 2026."
    )
    assert not found[0].serious


def test_history_in_another_locale_formats_as_the_confirmation_does() -> None:
    history = [(Decimal("1200.00"), NOW - timedelta(days=40))]
    found = approval_warnings(waiting("1000.00"), history, [], locale="de_DE")
    assert "immer 1.200,00\xa0€" not in found[0].text  # words stay English; numbers are the locale's
    assert "always 1.200,00\xa0€" in found[0].text
    assert "27.10.2026" in found[0].text


def test_far_above_usual_is_strictly_more_than_three_times_the_largest_in_a_year() -> None:
    history = [(Decimal("5000.00"), NOW - timedelta(days=10)), (Decimal("90000.00"), NOW - timedelta(days=366))]
    exactly = approval_warnings(waiting("15000.00"), history, [])
    assert [w.kind for w in exactly] == ["history"]  # 3× is not "more than 3×"; the old one is out of the year
    above = approval_warnings(waiting("15000.01"), history, [])
    assert [w.kind for w in above] == ["far_above", "history"]
    assert above[0].text == (
        "Far above usual: €15,000.01 is 3.0× the largest payout paid to this recipient in the last 365 days "
        "(€5,000.00)."
    )
    assert above[0].serious


def test_the_payout_itself_and_later_ones_are_not_its_history() -> None:
    history = [(Decimal("15000.00"), NOW), (Decimal("10.00"), NOW + timedelta(hours=1))]
    assert [w.kind for w in approval_warnings(waiting(), history, [])] == ["first"]


def test_near_duplicates_use_the_desk_rule_and_never_the_payout_itself() -> None:
    candidates = [
        past("15000.00", 7, timedelta(0)),  # itself
        past("14950.00", 3, timedelta(days=2)),  # within 0.5 %, same recipient
        past("14000.00", 4, timedelta(days=1)),  # outside the band
        past("15000.00", 5, timedelta(days=5), recipient_name="Someone Else", description="Invoice 2026-118"),
        past("15000.00", 6, timedelta(days=91)),  # outside the 90 days
        past("15000.00", 8, timedelta(days=1), status="rejected"),  # nothing was sent
        past("15000.00", 9, timedelta(days=1), status="withdrawn"),  # closed before sending
        past("15000.00", 10, timedelta(days=1), status="expired"),
    ]
    found = approval_warnings(waiting(), [], candidates)
    duplicates = [w for w in found if w.kind == "duplicate"]
    assert [w.text.split(" (")[0] for w in duplicates] == ["Looks like payout #3", "Looks like payout #5"]
    assert duplicates[0].text == (
        "Looks like payout #3 (same recipient, about the same amount): €14,950.00 on Dec 4, 2026, prepared by pat."
    )
    assert "same description and amount" in duplicates[1].text
    assert [w.kind for w in found] == ["duplicate", "duplicate", "first"]


def test_a_recipient_matched_by_id_counts_as_the_same_recipient() -> None:
    candidates = [past("15000.00", 2, timedelta(days=1), recipient_id="Ada Lovelace", recipient_name=None)]
    found = approval_warnings(waiting(), [], candidates)
    assert found[0].kind == "duplicate"
    assert "#2" in found[0].text


def test_zero_decimal_currency_is_formatted_without_decimals() -> None:
    history = [(Decimal("98000"), NOW - timedelta(days=2))]
    found = approval_warnings(waiting("500000", currency="JPY"), history, [])
    assert [w.kind for w in found] == ["far_above", "history"]
    assert "¥500,000 is 5.1× the largest" in found[0].text
    assert "always ¥98,000" in found[1].text


def test_a_queued_request_and_its_money_history() -> None:
    eur = currency("EUR")
    request = ApprovalRequest(
        local_id=9, amount=Money(Decimal("15000.00"), eur), description="Invoice", recipient="Ada Lovelace",
        reference="INV-9", prepared_by="pat", confirmed_at=NOW, required=1, decisions=(), body_hash="ab",
        expires_at=NOW + timedelta(days=7),
    )  # fmt: skip
    history = [
        (Money(Decimal("2000.00"), eur), NOW - timedelta(days=30)),
        (Money(Decimal("90000"), currency("JPY")), NOW - timedelta(days=20)),  # another currency: not counted
    ]
    found = request_warnings(request, history, [])
    assert [w.kind for w in found] == ["far_above", "history"]
    assert "7.5× the largest" in found[0].text
    assert found[1].text.startswith("1 earlier payout paid to this recipient in EUR")
