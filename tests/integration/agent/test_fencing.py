"""Fencing between agent processes (``test_claims.py`` proves it function by function in SQL): an agent paused
mid-send (SIGSTOP) loses its claim to another agent; when it wakes up with the provider's answer, its late writes
are refused (LeaseLostError) and it writes nothing, while it keeps running. And an agent whose --provider-url is
not the team's refuses to claim anything (exit 1)."""

from __future__ import annotations

import signal

from tests.integration.agent.conftest import Rig, status_of, wait_for_journal
from tests.integration.agent.ops_helpers import CREATE, all_output, events, payout_state, request_held_by_sandbox, until
from tests.integration.postgres.team_setup import confirm


def test_a_paused_agent_that_lost_its_claim_writes_nothing_when_it_wakes(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    rig.control.add_fault(method="POST", path=CREATE, fault="delay", seconds=3)
    stale = rig.agent("--lease-seconds", "2", token=rig.token)
    stale.output.expect(rf"payout {local_id} claimed \(claim 1,")
    until(lambda: request_held_by_sandbox(rig), "the sandbox holds the first agent's create request")
    stale.popen.send_signal(signal.SIGSTOP)  # paused mid-send: it cannot renew its lease
    try:
        fresh = rig.agent("--lease-seconds", "30", token=rig.token, login="agent_b")
        fresh.output.expect(rf"payout {local_id} claimed \(claim 2,")
        wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
        settled = events(rig.team_db.admin, local_id)
        assert settled[-1] == ("created", "agent_b")
    finally:
        stale.popen.send_signal(signal.SIGCONT)
    # It wakes with the provider's answer to its request in hand (or a timeout) and tries to journal it.
    stale.output.expect(rf"payout {local_id}: .*another agent sends it")
    assert stale.popen.poll() is None  # it goes on running: losing a claim is not a failure
    assert "unexpected error" not in stale.output.text()
    assert stale.stop() == 0
    assert fresh.stop() == 0
    assert events(rig.team_db.admin, local_id) == settled  # the stale agent wrote nothing
    assert [actor for _, actor in settled].count("agent_a") == 1  # its attempt_started, before it was paused
    state = payout_state(rig.team_db.admin, local_id)
    assert (state.status, state.lease_generation, state.lease_holder) == ("pending", 2, None)
    payments = rig.control.payments()
    assert [(p["id"], p["idempotencyKey"]) for p in payments] == [(state.payment_id, state.key)]


def test_an_agent_with_another_provider_url_refuses_to_claim(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    other = "http://127.0.0.1:9"  # a sandbox address, but not the team's provider
    agent = rig.agent("--provider-url", other, token=rig.token)
    assert agent.popen.wait(timeout=30) == 1
    text = all_output(agent)
    assert f"--provider-url {other} is not the team's provider {rig.base_url.rstrip('/')}" in text
    assert "Nothing was claimed or sent" in text
    state = payout_state(rig.team_db.admin, local_id)
    assert (state.status, state.lease_generation, state.lease_holder) == ("confirmed", 0, None)
    assert events(rig.team_db.admin, local_id) == [("confirmed", "pia")]
    assert rig.control.payments() == []
    assert rig.token not in text
