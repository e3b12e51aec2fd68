"""The history's totals never add money that was not and will not be sent (audit F21): refused by the provider,
rejected by an approver, withdrawn and expired payouts are listed apart ("not sent: …"), on a team desk and on a
single desk alike; the export's rows still equal every status's count and sum."""

from __future__ import annotations

from decimal import Decimal

from payout_desk.domain.totals import CurrencyTotals, StatusTotal, group_totals
from payout_desk.ui.history.totals_bar import currency_line

ONE, FIVE = Decimal("999.00"), Decimal("5.00")
AUDIT = [  # the audit's team desk: 8 EUR payouts, "€1,265,218.89" of which €1.25 M never sent
    ("EUR", "pending", 3, Decimal("15151.00")),
    ("EUR", "approval_rejected", 2, Decimal("1234717.89")),
    ("EUR", "awaiting_approval", 1, Decimal("250.00")),
    ("EUR", "succeeded", 1, Decimal("100.00")),
    ("EUR", "withdrawn", 1, Decimal("15000.00")),
]


def test_the_headline_sum_leaves_out_what_was_never_sent() -> None:
    (eur,) = group_totals(AUDIT)
    assert currency_line(eur, "en_US") == (
        "EUR · 5 payouts €15,501.00: 3 pending €15,151.00, 1 awaiting approval €250.00, 1 succeeded €100.00;"
        " not sent: 2 rejected by an approver €1,234,717.89, 1 withdrawn €15,000.00"
    )
    assert (eur.count, eur.amount) == (8, Decimal("1265218.89"))  # every row shown: the export's
    assert (eur.sent_count, eur.sent_amount) == (5, Decimal("15501.00"))


def test_a_single_desks_refused_payouts_are_apart_too() -> None:
    totals = CurrencyTotals("EUR", (StatusTotal("succeeded", 3, Decimal("30.00")), StatusTotal("rejected", 1, ONE)))
    assert currency_line(totals, "en_US") == "EUR · 3 succeeded €30.00; not sent: 1 rejected €999.00"
    assert totals.sent_amount == Decimal("30.00")
    plain = CurrencyTotals("EUR", (StatusTotal("succeeded", 2, Decimal("20.00")), StatusTotal("failed", 1, FIVE)))
    assert currency_line(plain, "en_US") == "EUR · 3 payouts €25.00: 2 succeeded €20.00, 1 failed €5.00"


def test_only_unsent_payouts_have_no_headline() -> None:
    totals = CurrencyTotals("EUR", (StatusTotal("expired", 2, Decimal("40000.00")),))
    assert currency_line(totals, "en_US") == "EUR · not sent: 2 expired — not approved in time €40,000.00"
    assert totals.sent_amount == Decimal(0)
