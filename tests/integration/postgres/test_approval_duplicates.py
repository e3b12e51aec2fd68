"""Near-duplicates on the team database ignore payouts closed before sending (issue 21): a payout withdrawn,
expired or rejected by an approver was never sent, so neither the desk's confirmation nor the approver's
warnings call a new payout its duplicate; one still awaiting approval (money on its way) still counts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from payout_desk.domain.approval_warnings import request_warnings
from payout_desk.domain.duplicates import PayoutProbe
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.store import PgJournal
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, overdue, person, row, rule, team


def _closed_and_open(team_db: TeamDb) -> tuple[dict[str, int], int]:
    """Four payouts of 1250.00 EUR to Anna Müller, three closed unsent; a fifth waiting for approval."""
    identity = team(team_db)
    rule(team_db, "EUR", "1000", 1)
    ids = {name: confirm(team_db, identity, "1250.00", ref=f"REF-{name}")[0] for name in
           ("withdrawn", "expired", "approval_rejected", "waiting")}  # fmt: skip
    with person(team_db, "pia") as conn:
        approvals.withdraw(conn, ids["withdrawn"])
    overdue(team_db, ids["expired"])
    with person(team_db, "bob") as conn:
        assert approvals.expire_overdue(conn) == 1
        approvals.reject(conn, ids["approval_rejected"], "wrong recipient")
    for status in ("withdrawn", "expired", "approval_rejected"):
        assert row(team_db, ids[status], "status") == (status,)
    new, _ = confirm(team_db, identity, "1251.00", ref="REF-new")
    return ids, new


def test_the_desk_confirmation_ignores_payouts_closed_before_sending(team_db: TeamDb) -> None:
    ids, _ = _closed_and_open(team_db)
    probe = PayoutProbe(Decimal("1250.00"), "EUR", "cus_1", "Anna Müller", "Refund order #48213", datetime.now(UTC))
    journal = PgJournal.open(team_db.as_person("pia", "preparer"))
    try:
        found = [m.past.local_id for m in journal.near_duplicates(probe)]
    finally:
        journal.close()
    assert ids["waiting"] in found
    assert not {ids["withdrawn"], ids["expired"], ids["approval_rejected"]} & set(found)


def test_the_approvers_warnings_ignore_payouts_closed_before_sending(team_db: TeamDb) -> None:
    ids, new = _closed_and_open(team_db)
    with person(team_db, "cy") as conn:
        (request,) = [r for r in approvals.approval_queue(conn) if r.local_id == new]
    probe = PayoutProbe(request.amount.amount, "EUR", request.recipient, request.recipient, request.description,
                        request.confirmed_at)  # fmt: skip
    journal = PgJournal.open(team_db.as_person("cy", "approver"))
    try:
        candidates = [m.past for m in journal.near_duplicates(probe)]
    finally:
        journal.close()
    duplicates = [w.text for w in request_warnings(request, [], candidates) if w.kind == "duplicate"]
    assert len(duplicates) == 1
    assert f"#{ids['waiting']} " in duplicates[0]
