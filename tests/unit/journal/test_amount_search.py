"""A search that reads as an amount finds that amount exactly (never as a substring), beside the
text matches, on both journals: the desk's own (SQLite) and the team's (PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payout_desk.domain.displayed_amount import parse_displayed_amount
from payout_desk.journal import HistoryQuery, SortKey
from tests.unit.journal.backends import AnyJournal, Backend
from tests.unit.journal.helpers import confirm, request


@pytest.fixture
def journal(backend: Backend) -> AnyJournal:
    j = backend.open()
    confirm(j, "k1", request("1250.00", description="Refund order 1042", external_id="ORD-k1"))
    confirm(j, "k2", request("11250.00", description="Supplier", external_id="ORD-k2"))
    # k3 holds the amount as text
    confirm(j, "k3", request("98000", "JPY", description="Invoice 1250.00 paid", external_id="ORD-k3"))
    confirm(j, "k4", request("12.50", description="Coffee", external_id="ORD-k4"))
    return j


def ids(journal: AnyJournal, query: HistoryQuery) -> set[int]:
    assert journal.count(query) == len(journal.page(query, 0, 100))
    return {r.local_id for r in journal.page(query, 0, 100)}


@pytest.mark.parametrize(("text", "expected"), [("1,250.00", {1}), ("98,000", {3}), ("1250.00", {1, 3})])
def test_an_amount_matches_exactly_beside_the_text(journal: AnyJournal, text: str, expected: set[int]) -> None:
    amount = parse_displayed_amount(text) or parse_displayed_amount(text, group="")
    assert amount is not None
    assert ids(journal, HistoryQuery(text=text, amount=amount)) == expected  # never 11250.00 (id 2)
    assert ids(journal, HistoryQuery(text=text, amount=amount, sort=SortKey.AMOUNT)) == expected


def test_short_amounts_and_filters(journal: AnyJournal) -> None:
    # not the amounts 12.50 or 1250.00; the description "Invoice 1250.00 paid" still matches as text
    assert ids(journal, HistoryQuery(text="50", amount=Decimal(50))) == {3}
    found = HistoryQuery(text="12.50", amount=Decimal("12.50"), statuses=frozenset({"confirmed"}))
    assert ids(journal, found) == {4}
    assert ids(journal, HistoryQuery(text="12.50", amount=Decimal("12.50"), statuses=frozenset({"pending"}))) == set()
    assert ids(journal, HistoryQuery(text="250")) == {1, 2, 3}  # without an amount: substring text search
    assert ids(journal, HistoryQuery(text="refund 1250.00", amount=Decimal("1250.00"))) == {1}  # the amount alone
    assert ids(journal, HistoryQuery(text="ORD", amount=Decimal(50))) == {1, 2, 3, 4}  # the text alone


def test_displayed_amounts_parse_in_the_locale() -> None:
    assert parse_displayed_amount("98,000") == Decimal(98000)
    assert parse_displayed_amount("1,250.00") == Decimal("1250.00")
    assert parse_displayed_amount("1.250,00", group=".", decimal=",") == Decimal("1250.00")
    assert parse_displayed_amount("1,25") is None  # "," groups thousands here: not an amount
    assert parse_displayed_amount("Refund") is None
    assert parse_displayed_amount("0") is None
