"""Approvals on the real team database (issue 21): rules fix the approvals at confirmation, the last one makes a
payout sendable in its own transaction, rejection, withdrawal and expiry close it unsent, the agent's claim
skips whatever is not approved, and a rule change leaves the payouts already waiting as they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from payout_desk.domain.approvals import ApprovalRefusedError, ApprovalRule, body_hash, required_approvals
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.fenced import FencedPgJournal
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, kinds, overdue, person, row, rule, send, team


def test_a_fresh_database_asks_no_approval(team_db: TeamDb) -> None:
    identity = team(team_db)
    local_id, _ = confirm(team_db, identity, "15000.00")
    assert row(team_db, local_id, "status, approvals_required, approval_expires_at") == ("confirmed", 0, None)
    with person(team_db, "bob") as conn:
        assert approvals.approval_queue(conn) == []
        assert approvals.list_rules(conn) == []


async def test_the_last_required_approval_makes_it_sendable(team_db: TeamDb) -> None:
    identity = team(team_db)
    assert rule(team_db, "EUR", "10000", 2) == 0
    small, _ = confirm(team_db, identity, "9999.99")
    big, body = confirm(team_db, identity, "15000.00")
    assert row(team_db, small) == ("confirmed", 0)
    assert row(team_db, big) == ("awaiting_approval", 2)
    agent = await FencedPgJournal.open(team_db.as_person("agent_a", "agent"))
    try:
        first = await agent.claim(identity.key, "a", 30)
        assert first is not None
        assert first.local_id == small
        assert await agent.claim(identity.key, "a", 30) is None  # awaiting approval: never claimed
        with person(team_db, "bob") as conn:
            (waiting,) = approvals.approval_queue(conn)
            assert (waiting.local_id, waiting.amount.wire, waiting.amount.currency.code) == (big, "15000.00", "EUR")
            assert (waiting.prepared_by, waiting.recipient, waiting.reference) == (
                "pia",
                "Anna Müller",
                waiting.reference,
            )
            assert waiting.body_hash == body_hash(body)
            assert timedelta(days=6, hours=23) < waiting.expires_at - waiting.confirmed_at <= timedelta(days=7)
            assert approvals.approve(conn, big, body_hash(body)) == "awaiting_approval"
        assert await agent.claim(identity.key, "a", 30) is None  # one of two approvals: still not sendable
        with person(team_db, "cy") as conn:
            (waiting,) = approvals.approval_queue(conn)
            assert [(d.by, d.approved) for d in waiting.decisions] == [("bob", True)]
            assert (waiting.approvals, waiting.missing) == (1, 1)
            assert approvals.approve(conn, big, body_hash(body)) == "confirmed"
            assert approvals.approval_queue(conn) == []
        claimed = await agent.claim(identity.key, "a", 30)
        assert claimed is not None
        assert claimed.local_id == big
    finally:
        await agent.close()
    assert kinds(team_db, big) == [("confirmed", "pia"), ("approval_granted", "bob"), ("approval_granted", "cy")]
    with psycopg.connect(team_db.admin) as conn:
        details = conn.execute(
            "SELECT detail FROM payout_desk.events WHERE local_id = %s ORDER BY event_id", (big,)
        ).fetchall()
    assert details[0][0]["new"] == "awaiting_approval"
    assert details[0][0]["approvals_required"] == 2
    assert "new" not in details[1][0]
    assert details[2][0]["new"] == "confirmed"


def test_a_rejection_needs_a_reason_and_closes_the_payout(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, body = confirm(team_db, identity, "50.00")
    with person(team_db, "bob") as conn:
        for blank in ("", "   "):
            with pytest.raises(ApprovalRefusedError, match="needs a reason"):
                approvals.reject(conn, local_id, blank)
        approvals.reject(conn, local_id, "Wrong IBAN, see ticket 42")
    assert row(team_db, local_id, "status, last_error, payment_id") == (
        "approval_rejected",
        "Wrong IBAN, see ticket 42",
        None,
    )
    with person(team_db, "cy") as conn, pytest.raises(ApprovalRefusedError, match="not awaiting approval"):
        approvals.approve(conn, local_id, body_hash(body))
    assert kinds(team_db, local_id)[-1] == ("approval_rejected", "bob")


def test_the_preparer_withdraws_a_waiting_payout_and_its_reference_is_free_again(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "100", 1)
    local_id, _ = confirm(team_db, identity, "500.00", ref="INV-7")
    with person(team_db, "pia") as conn:
        approvals.withdraw(conn, local_id)
        with pytest.raises(ApprovalRefusedError, match="not awaiting approval"):
            approvals.withdraw(conn, local_id)
    assert row(team_db, local_id) == ("withdrawn", 1)
    assert kinds(team_db, local_id)[-1] == ("withdrawn", "pia")
    again, _ = confirm(team_db, identity, "500.00", ref="INV-7")  # the provider never held the withdrawn one
    assert row(team_db, again) == ("awaiting_approval", 1)
    sent, _ = confirm(team_db, identity, "50.00")
    with person(team_db, "pia") as conn, pytest.raises(ApprovalRefusedError, match="cannot be withdrawn"):
        approvals.withdraw(conn, sent)  # confirmed without approvals: the agent's now


async def test_an_expired_payout_is_closed_on_the_next_claim_and_never_sent(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "0", 1)
    local_id, body = confirm(team_db, identity, "20.00")
    overdue(team_db, local_id)
    with person(team_db, "bob") as conn:
        assert approvals.approval_queue(conn) == []  # out of the queue at once
        with pytest.raises(ApprovalRefusedError, match="expired"):
            approvals.approve(conn, local_id, body_hash(body))
    assert row(team_db, local_id)[0] == "awaiting_approval"
    agent = await FencedPgJournal.open(team_db.as_person("agent_a", "agent"))
    try:
        assert await agent.claim(identity.key, "a", 30) is None
    finally:
        await agent.close()
    assert row(team_db, local_id, "status, payment_id, lease_generation") == ("expired", None, 0)
    assert kinds(team_db, local_id) == [("confirmed", "pia"), ("expired", "agent_a")]
    with person(team_db, "bob") as conn:
        assert approvals.expire_overdue(conn) == 0  # nothing left to close


def test_the_expiry_set_by_an_admin_applies_to_payouts_confirmed_after_it(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    before, _ = confirm(team_db, identity, "10.00")
    with person(team_db, "ada_admin", "admin") as conn:
        assert approvals.expiry_days(conn) == 7
        assert approvals.set_expiry(conn, 2) == 7
        with pytest.raises(ApprovalRefusedError, match="1 to 365"):
            approvals.set_expiry(conn, 0)
    after, _ = confirm(team_db, identity, "11.00")
    with person(team_db, "bob") as conn:
        waits = {r.local_id: r.expires_at - r.confirmed_at for r in approvals.approval_queue(conn)}
    assert waits[before] == timedelta(days=7)
    assert waits[after] == timedelta(days=2)


def test_a_rule_change_does_not_touch_payouts_already_waiting(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "10000", 2)
    waiting, body = confirm(team_db, identity, "15000.00")
    assert rule(team_db, "EUR", "10000", 0) == 2  # the tier removed
    rule(team_db, "EUR", "1", 3)
    assert row(team_db, waiting) == ("awaiting_approval", 2)
    later, _ = confirm(team_db, identity, "15000.00", ref="LATER")
    assert row(team_db, later) == ("awaiting_approval", 3)
    with person(team_db, "bob") as conn:
        approvals.approve(conn, waiting, body_hash(body))
    with person(team_db, "cy") as conn:
        assert approvals.approve(conn, waiting, body_hash(body)) == "confirmed"  # still 2, not 3


def test_rules_per_currency_catch_all_and_preparer_match_the_domain(team_db: TeamDb) -> None:
    team(team_db)
    tiers = [("*", "0", 1, None), ("*", "5000", 2, None), ("EUR", "10000", 2, None), ("JPY", "0", 1, None),
             ("EUR", "0", 1, "pia"), ("*", "100000", 3, "pia")]  # fmt: skip
    for code, amount_from, n, who in tiers:
        rule(team_db, code, amount_from, n, who)
    with person(team_db, "bob") as conn:
        rules = approvals.list_rules(conn)
        assert ApprovalRule("EUR", Decimal("10000.00"), 2, None) in rules
        checked = {}
        for code in ("EUR", "USD", "JPY"):
            for amount in ("0.01", "4999.99", "5000", "9999.99", "10000", "100000", "2000000"):
                for who in ("pia", "max"):
                    scaled = int(Decimal(amount) * 10000)
                    query = "SELECT payout_desk.required_approvals(%s, %s, %s)"
                    with psycopg.connect(team_db.admin) as admin:
                        (sql_value,) = admin.execute(query, (code, scaled, who)).fetchone() or (None,)
                    expected = required_approvals(rules, code, Decimal(amount), who)
                    assert sql_value == expected, (code, amount, who)
                    checked[(code, amount, who)] = expected
    assert checked[("EUR", "9999.99", "max")] == 0  # EUR's own tiers replace the catch-all
    assert checked[("EUR", "9999.99", "pia")] == 1  # pia's own EUR tier adds one
    assert checked[("USD", "5000", "max")] == 2
    assert checked[("USD", "100000", "pia")] == 3
    assert checked[("JPY", "2000000", "max")] == 1


async def test_recipient_history_counts_what_was_paid(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "1000", 1)
    sent, _ = confirm(team_db, identity, "120.00", recipient_id=None, recipient_name="ACME  GmbH")
    await send(team_db, identity, sent, "succeeded")
    other, _ = confirm(team_db, identity, "80.00", recipient_id="cus_9", recipient_name="Someone Else")
    await send(team_db, identity, other, "succeeded")
    confirm(team_db, identity, "5000.00", recipient_id=None, recipient_name="acme gmbh")  # awaiting: not history
    confirm(team_db, identity, "60.00", code="USD", recipient_id=None, recipient_name="ACME GmbH")
    since = datetime.now(UTC) - timedelta(days=365)
    with person(team_db, "bob") as conn:
        found = approvals.recipient_history(conn, "Acme GmbH", "EUR", since)
        assert [(m.wire, m.currency.code) for m, _ in found] == [("120.00", "EUR")]
        assert [m.wire for m, _ in approvals.recipient_history(conn, "cus_9", "EUR", since)] == ["80.00"]
        assert approvals.recipient_history(conn, "Acme GmbH", "EUR", datetime.now(UTC) + timedelta(days=1)) == []
    assert sent > 0
