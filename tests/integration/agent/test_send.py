"""``payout-desk-agent`` in its own process sends the team's confirmed payouts to the sandbox (in its own
process): journal first, the stored key and body, the provider's answer journaled under the agent's claim."""

from __future__ import annotations

import psycopg

from tests.integration.agent.conftest import AGENT_LOGIN, Rig, status_of, wait_for_journal
from tests.integration.postgres.team_setup import confirm


def _payout(conn: psycopg.Connection[tuple[object, ...]], local_id: int) -> tuple[object, ...]:
    row = conn.execute(
        "SELECT status, payment_id, idempotency_key, amount, currency, lease_holder FROM payout_desk.payouts"
        " WHERE local_id = %s",
        (local_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_the_agent_sends_confirmed_payouts_and_wakes_on_the_feed(rig: Rig) -> None:
    (first,) = confirm(rig.team_db, rig.identity, 1)
    agent = rig.agent("--sweep-seconds", "600", token=rig.token)  # only the feed (and the first look) wakes it
    agent.output.expect(r"database “.+” on .+, as login agent_a")
    agent.output.expect(r"provider http://127\.0\.0\.1:\d+ \(sandbox\), the team's provider")
    agent.output.expect(r"webhooks: not listening \(no --listen\)")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(first)(conn) == "pending")
    (second,) = confirm(rig.team_db, rig.identity, 1, first=2)  # confirmed while the agent runs
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(second)(conn) == "pending")
    assert agent.stop() == 0
    with psycopg.connect(rig.team_db.admin) as conn:
        rows = {local_id: _payout(conn, local_id) for local_id in (first, second)}
        kinds = conn.execute(
            "SELECT kind, actor FROM payout_desk.events WHERE local_id = %s ORDER BY event_id", (first,)
        ).fetchall()
    payments = rig.control.payments()
    assert len(payments) == 2
    by_key = {p["idempotencyKey"]: p for p in payments}
    for status, payment_id, key, amount, currency, holder in rows.values():
        assert (status, holder) == ("pending", None)  # the claim was released
        held = by_key[key]
        assert (held["id"], held["amount"], held["currency"]) == (payment_id, amount, currency)
    assert kinds == [
        ("confirmed", "pia"),
        ("attempt_started", AGENT_LOGIN),
        ("attempt", AGENT_LOGIN),
        ("created", AGENT_LOGIN),
    ]
    assert "stopped" in agent.output.text()
    assert rig.token not in agent.output.text()
