"""Audit F1, the agent's side: a journaled body that does not say what the payout's columns say — changed behind
the desk's back, or naming a field twice — is never sent by the real agent; the payout waits for a person
(``needs_reconciliation``) with the disagreement journaled, and the payouts next to it are sent as usual."""

from __future__ import annotations

import psycopg
import pytest

from tests.integration.agent.conftest import AGENT_LOGIN, Rig, status_of, wait_for_journal
from tests.integration.postgres.team_setup import confirm


def _alter_behind_the_desks_back(admin: str, local_id: int, change: str) -> None:
    """As the database's superuser, past every trigger (replica): what no app role can do, and an attacker with
    the owner's rights could."""
    with psycopg.connect(admin) as conn:
        conn.execute("SET LOCAL session_replication_role = replica")
        found = conn.execute("SELECT request_body FROM payout_desk.payouts WHERE local_id = %s", (local_id,)).fetchone()
        assert found is not None
        body = str(found[0])
        assert '"amount":"1.00"' in body
        if change == "amount":
            body = body.replace('"amount":"1.00"', '"amount":"15000.00"')
        elif change == "recipient":  # the approvers saw Anna Müller (the column); the provider would read Mallory
            assert '"name":"Anna Müller"' in body
            body = body.replace('"name":"Anna Müller"', '"name":"Mallory"')
        elif change == "unknown key":  # as journaled before migration 0020 (second audit N1): a second amount
            body = body.replace('"amount":"1.00"', '"Amount":"15000.00","amount":"1.00"')
        else:  # the same amount twice: jsonb (and Python's json) keep the last, a provider may keep the first
            body = body.replace('"amount":"1.00"', '"amount":"15000.00","amount":"1.00"')
        conn.execute("UPDATE payout_desk.payouts SET request_body = %s WHERE local_id = %s", (body, local_id))


_WORDS = {
    "amount": 'the body says "15000.00", the journal 1.00',
    "duplicate": 'the key "amount" appears twice',
    "recipient": 'recipient name: the body says "Mallory", the journal "Anna Müller"',
    "unknown key": '"Amount": the desk never writes this key (names are case-sensitive: the desk writes "amount")',
}


@pytest.mark.parametrize("change", list(_WORDS))
def test_a_body_that_disagrees_with_its_payout_is_never_sent(rig: Rig, change: str) -> None:
    tampered, fine = confirm(rig.team_db, rig.identity, 2)  # 1.00 and 2.00 EUR
    _alter_behind_the_desks_back(rig.team_db.admin, tampered, change)
    agent = rig.agent(token=rig.token)
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(fine)(conn) == "pending")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(tampered)(conn) == "needs_reconciliation")
    assert agent.stop() == 0
    payments = rig.control.payments()
    assert [p["amount"] for p in payments] == ["2.00"]  # only the untouched one reached the provider
    with psycopg.connect(rig.team_db.admin) as conn:
        row = conn.execute(
            "SELECT status, payment_id, last_error, lease_holder FROM payout_desk.payouts WHERE local_id = %s",
            (tampered,),
        ).fetchone()
        kinds = conn.execute(
            "SELECT kind, actor FROM payout_desk.events WHERE local_id = %s ORDER BY event_id", (tampered,)
        ).fetchall()
    assert row is not None
    status, payment_id, last_error, holder = row
    assert (status, payment_id, holder) == ("needs_reconciliation", None, None)
    assert _WORDS[change] in str(last_error)
    assert str(last_error).startswith("Not sent: the journaled request body does not say")
    assert kinds == [("confirmed", "pia"), ("needs_reconciliation", AGENT_LOGIN)]  # no attempt was ever started
    assert "Not sent" in agent.output.text()
