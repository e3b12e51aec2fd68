"""A search by amount on the team journal (issue 16's semantics on PostgreSQL): the amount matches exactly
(``amount_scaled``, never the amount text as a substring), beside the text matches; through every read a desk
makes — count, the first page (the sort-index walk), keyset pages, totals, the CSV export — as a preparer."""

from __future__ import annotations

from decimal import Decimal

from payout_desk.domain.totals import CurrencyTotals, StatusTotal
from payout_desk.journal import HistoryQuery, SortKey
from payout_desk.journal.postgres.export import copy_export
from payout_desk.journal.postgres.store import PgJournal
from tests.fixtures.postgres import TeamDb
from tests.unit.journal.helpers import ACTOR, confirm, request

AMOUNTS = ("1250.00", "11250.00", "1250", "12.50", "98000", "1250.001")


def _journal(team_db: TeamDb) -> tuple[PgJournal, str]:
    conninfo = team_db.as_person(ACTOR, "preparer", "agent")
    team_db.grant_unfenced_writes(ACTOR)
    journal = PgJournal.open(conninfo)
    for i, amount in enumerate(AMOUNTS):
        code = {"98000": "JPY", "1250.001": "BHD"}.get(amount, "EUR")
        text = "Invoice 1250.00 paid" if amount == "98000" else f"Payout {i}"
        confirm(journal, f"k{i}", request(amount, code, description=text, external_id=f"ORD-{i}"))
    return journal, conninfo


def test_every_read_of_an_amount_search_is_exact(team_db: TeamDb) -> None:
    journal, conninfo = _journal(team_db)
    try:
        query = HistoryQuery(text="1250.00", amount=Decimal("1250.00"), sort=SortKey.AMOUNT, descending=False)
        # 1250.00 and 1250 are the same amount; 98000 JPY says "1250.00" in its description; never 11250.00
        # nor 1250.001 BHD.
        expected = [1, 3, 5]
        assert journal.count(query) == 3
        first = journal.page(query, 0, 1)  # one row: the walk along the sort index answers it
        assert [r.local_id for r in first] == [1]
        assert [r.local_id for r in first + journal.page(query, 1, 2)] == expected  # the next by keyset
        assert {r.local_id for r in journal.iter_matching(query, batch=1)} == set(expected)
        assert journal.totals(query) == [
            CurrencyTotals("EUR", (StatusTotal("confirmed", 2, Decimal(2500)),)),
            CurrencyTotals("JPY", (StatusTotal("confirmed", 1, Decimal(98000)),)),
        ]
        written: list[bytes] = []
        assert copy_export(conninfo, query, written.append) == 3
        assert b"11250" not in b"".join(written)
        # An amount finer than the journal keeps (4 places) is no payout's amount: only the text can match.
        finer = HistoryQuery(text="1250.00001", amount=Decimal("1250.00001"))
        assert journal.count(finer) == 0
        assert journal.page(finer, 0, 10) == []
        # Without an amount the text is searched everywhere, amounts included (a substring: 11250.00, 1250.001).
        assert journal.count(HistoryQuery(text="1250.00")) == 5
        assert {r.local_id for r in journal.page(HistoryQuery(text="1250.00"), 0, 10)} == {1, 2, 3, 5, 6}
        # The amount with filters: still exact, still narrowed.
        pending = HistoryQuery(text="12.50", amount=Decimal("12.50"), statuses=frozenset({"pending"}))
        assert journal.count(pending) == 0
        confirmed = HistoryQuery(text="12.50", amount=Decimal("12.50"), statuses=frozenset({"confirmed"}))
        assert [r.local_id for r in journal.page(confirmed, 0, 10)] == [4]
    finally:
        journal.close()
