"""The approver's warnings on the real team database (audit F33, F24): a recipient's history and "far above
usual" count only payouts that paid (succeeded) — a big payout that failed, or is still on its way, never makes
the next one look usual; in-flight ones are listed apart. Near-duplicates warn both of a pair: the earlier
waiting payout names the later twin too. Payouts are sent through the agent's real claim and journal calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from payout_desk.domain.approvals import body_hash
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.services.approvals import ApprovalsService, QueueItem
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, near_twins, person, rule, send, team

FAILCO = {"recipient_id": None, "recipient_name": "Failco"}


async def queue_of_bob(team_db: TeamDb) -> list[QueueItem]:
    """The approvals queue as approver bob's desk loads it (its warnings included)."""
    journal = await AsyncPgJournal.open(team_db.as_person("bob", "approver"))
    try:
        service = ApprovalsService(journal)
        await service.start()
        return await service.queue()
    finally:
        await journal.close()


def approve(team_db: TeamDb, local_id: int, body: str) -> None:
    with person(team_db, "bob") as conn:
        assert approvals.approve(conn, local_id, body_hash(body)) == "confirmed"


async def test_a_failed_big_payout_never_makes_the_next_one_look_usual(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "10000", 1)
    big, body = confirm(team_db, identity, "20000.00", ref="WARM-UP", **FAILCO)
    approve(team_db, big, body)
    await send(team_db, identity, big, "failed")  # the warm-up never paid
    paid, _ = confirm(team_db, identity, "100.00", ref="PAID", **FAILCO)
    await send(team_db, identity, paid, "succeeded")
    on_way, _ = confirm(team_db, identity, "900.00", ref="ON-WAY", **FAILCO)
    await send(team_db, identity, on_way, None)  # pending at the provider: not paid yet
    waiting, _ = confirm(team_db, identity, "50000.00", ref="NEXT", **FAILCO)

    since = datetime.now(UTC) - timedelta(days=365)
    with person(team_db, "bob") as conn:
        assert [m.wire for m, _ in approvals.recipient_history(conn, "failco", "EUR", since)] == ["100.00"]
        assert [m.wire for m, _ in approvals.recipient_in_flight(conn, "Failco", "EUR", since)] == ["900.00"]

    (item,) = await queue_of_bob(team_db)
    assert item.request.local_id == waiting
    texts = [w.text for w in item.warnings]
    assert [w.kind for w in item.warnings] == ["far_above", "history", "in_flight"]
    assert texts[0].startswith("Far above usual: €50,000.00 is 500×")  # against the 100.00 that paid
    assert texts[1].startswith("1 earlier payout paid to this recipient in EUR in the last 365 days, always €100.00")
    assert texts[2] == (
        "Not counted above: 1 more payout to this recipient in EUR approved or sent but not paid yet (€900.00)."
    )
    assert not any("20,000.00" in text for text in texts)  # the failed one counts nowhere


async def test_only_failed_history_reads_as_a_first_payout(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "10000", 1)
    big, body = confirm(team_db, identity, "20000.00", ref="WARM-UP", **FAILCO)
    approve(team_db, big, body)
    await send(team_db, identity, big, "failed")
    confirm(team_db, identity, "50000.00", ref="NEXT", **FAILCO)
    (item,) = await queue_of_bob(team_db)
    assert [(w.kind, w.serious) for w in item.warnings] == [("first", True)]
    assert item.warnings[0].text == "First payout to this recipient Failco: none paid in EUR in the last 365 days."


async def test_both_of_a_near_duplicate_pair_are_warned(team_db: TeamDb) -> None:
    first, twin = near_twins(team_db)
    earlier, later = await queue_of_bob(team_db)
    assert (earlier.request.local_id, later.request.local_id) == (first, twin)
    ahead = [w for w in earlier.warnings if w.kind == "later_duplicate"]
    assert len(ahead) == 1
    assert ahead[0].serious
    assert ahead[0].text.startswith(f"Payout #{twin}, confirmed later, looks like this one (same recipient, about")
    assert ahead[0].text.endswith("prepared by dora — also waiting for approval.")
    behind = [w for w in later.warnings if w.kind == "duplicate"]
    assert [w.text.split(" (")[0] for w in behind] == [f"Looks like payout #{first}"]
    assert not [w for w in later.warnings if w.kind == "later_duplicate"]  # nothing came after the twin
