"""A webhook that comes while no agent polls for the team (the poll lock elsewhere: a takeover, an agent starting)
is kept, and the next poll term wakes its payout at once rather than at the cadence: the agent's own polls here
are an hour apart, so only that catch-up can record the change, with the source ``webhook``."""

from __future__ import annotations

import psycopg

from payout_desk.journal.postgres.watch import PollLock
from tests.integration.agent.conftest import Rig, status_of, wait_for_journal
from tests.integration.agent.test_webhook import kept, listening_agent
from tests.integration.postgres.team_setup import confirm


def test_a_webhook_no_poller_heard_is_caught_up_when_a_poller_starts(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    elsewhere = PollLock(rig.team_db.admin)  # another holder: this agent sends and keeps webhooks but cannot poll
    assert elsewhere.try_acquire()
    try:
        agent, _, token = listening_agent(rig, "--poll-every-seconds", "3600")
        wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
        (payment,) = rig.control.payments()
        rig.control.complete(payment["id"], "succeeded")
        agent.output.expect(rf"webhook \S+ for payout {local_id}: kept")  # kept; its wake-up heard by no poller
        assert [row[2] for row in kept(rig)] == [local_id]
        with psycopg.connect(rig.team_db.admin) as conn:
            assert status_of(local_id)(conn) == "pending"
    finally:
        elsewhere.close()  # the holder goes: this agent takes the lock and starts polling
    agent.output.expect(r"poller: holding the team's poll lock")
    agent.output.expect(r"poller: 1 webhooks kept while no poller listened")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "succeeded", timeout=30)
    with psycopg.connect(rig.team_db.admin) as conn:
        row = conn.execute(
            "SELECT detail->>'source' FROM payout_desk.events WHERE local_id = %s AND kind = 'status'"
            " AND detail->>'new' = 'succeeded'",
            (local_id,),
        ).fetchone()
    assert row == ("webhook",)
    assert agent.stop() == 0
    assert token not in agent.output.text()
