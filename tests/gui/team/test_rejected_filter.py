"""The history's "Rejected" filter finds payouts rejected by an approver as well as those the provider refused
(audit F31), on the real team database."""

from __future__ import annotations

from typing import Any

from payout_desk.journal.models import HistoryQuery
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.store import PgJournal
from payout_desk.ui.history.filters import HistoryFilterBar
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, person, rule, team


def test_rejected_includes_rejected_by_an_approver(qtbot: Any, team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "10000", 1)
    waiting, _ = confirm(team_db, identity, "15000.00", ref="BIG")
    confirm(team_db, identity, "20.00", ref="SMALL")  # confirmed: not rejected
    with person(team_db, "bob") as conn:
        approvals.reject(conn, waiting, "Wrong IBAN on the invoice")
    bar = HistoryFilterBar()
    qtbot.addWidget(bar)
    bar.status_filter.setCurrentText("Rejected")
    query: HistoryQuery = bar.query()
    journal = PgJournal.open(team_db.as_person("val", "viewer"))
    try:
        assert [r.local_id for r in journal.page(query, 0, 10)] == [waiting]
    finally:
        journal.close()
