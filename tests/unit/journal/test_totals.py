"""Totals per currency (issue 16) on both backends: the matching payouts' count and exact sum by status,
the currency with most payouts first, statuses most first; filters and text searches narrow them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payout_desk.domain.totals import CurrencyTotals, StatusTotal
from payout_desk.journal import HistoryQuery
from tests.unit.journal.backends import AnyJournal, Backend
from tests.unit.journal.helpers import ACTOR, confirm, request


@pytest.fixture
def journal(backend: Backend) -> AnyJournal:
    return backend.open()


def _fill(journal: AnyJournal) -> None:
    rows = [
        ("0.10", "EUR", "pending", "Rent March"),
        ("0.20", "EUR", "pending", "Rent April"),
        ("1250.00", "EUR", "succeeded", "Refund"),
        ("1500", "JPY", "failed", "Rent JPY"),
        ("310.500", "BHD", "succeeded", "Fees"),
        ("0.001", "BHD", "succeeded", "Fees small"),
    ]
    for i, (amount, code, status, text) in enumerate(rows):
        rec = confirm(journal, f"k{i}", request(amount, code, description=text, external_id=f"T-{i}"))
        journal.record_created(rec.local_id, payment_id=f"pay_{i}", checkin_url=None, status=status, actor=ACTOR)


def test_totals_are_exact_per_currency_and_status(journal: AnyJournal) -> None:
    _fill(journal)
    assert journal.totals(HistoryQuery()) == [
        CurrencyTotals("EUR", (StatusTotal("pending", 2, Decimal("0.30")), StatusTotal("succeeded", 1, Decimal(1250)))),
        CurrencyTotals("BHD", (StatusTotal("succeeded", 2, Decimal("310.501")),)),
        CurrencyTotals("JPY", (StatusTotal("failed", 1, Decimal(1500)),)),
    ]
    eur = journal.totals(HistoryQuery())[0]
    assert (eur.count, eur.amount) == (3, Decimal("1250.30"))


def test_totals_follow_the_filters_and_the_search(journal: AnyJournal) -> None:
    _fill(journal)
    assert journal.totals(HistoryQuery(statuses=frozenset({"succeeded"}))) == [
        CurrencyTotals("BHD", (StatusTotal("succeeded", 2, Decimal("310.501")),)),
        CurrencyTotals("EUR", (StatusTotal("succeeded", 1, Decimal(1250)),)),
    ]
    assert journal.totals(HistoryQuery(text="rent")) == [
        CurrencyTotals("EUR", (StatusTotal("pending", 2, Decimal("0.30")),)),
        CurrencyTotals("JPY", (StatusTotal("failed", 1, Decimal(1500)),)),
    ]
    assert journal.totals(HistoryQuery(statuses=frozenset())) == []
    assert journal.totals(HistoryQuery(text="nothing-like-this")) == []


def test_totals_follow_an_amount_search_on_both_journals(journal: AnyJournal) -> None:
    _fill(journal)
    query = HistoryQuery(text="1250.00", amount=Decimal("1250.00"))
    assert journal.count(query) == 1
    assert journal.totals(query) == [CurrencyTotals("EUR", (StatusTotal("succeeded", 1, Decimal(1250)),))]
    tiny = HistoryQuery(text="0.001", amount=Decimal("0.001"))
    assert journal.totals(tiny) == [CurrencyTotals("BHD", (StatusTotal("succeeded", 1, Decimal("0.001")),))]
