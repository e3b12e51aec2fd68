"""An agent SIGKILLed while it sends: a second agent claims the payout once the dead one's lease runs out and
resends it with the SAME idempotency key, so the provider holds one payment and the journal one ``created``.

Both moments that matter: killed while the request is in flight (the sandbox holds it with a ``delay`` fault),
and killed after the provider created the payment but before the journal wrote it (the answer only ever
existed in the dead process). The sandbox and both agents run in processes of their own; the database is the
real PostgreSQL.
"""

from __future__ import annotations

from tests.integration.agent.conftest import Rig, status_of, wait_for_journal
from tests.integration.agent.ops_helpers import (
    CREATE,
    events,
    kill,
    lease_run_out,
    payout_state,
    request_held_by_sandbox,
    row_locked,
    until,
    waits_on_a_lock,
)
from tests.integration.postgres.team_setup import confirm

LEASE = "2"  # seconds: the dead agent's claim runs out quickly


def _one_payment_one_created(rig: Rig, local_id: int) -> None:
    """The provider holds exactly one payment, with the journal's key, and the journal one ``created``."""
    state = payout_state(rig.team_db.admin, local_id)
    payments = rig.control.payments()
    assert len(payments) == 1, payments
    assert payments[0]["idempotencyKey"] == state.key
    assert (state.status, state.payment_id, state.lease_holder) == ("pending", payments[0]["id"], None)
    created = [e for e in events(rig.team_db.admin, local_id) if e[0] == "created"]
    assert created == [("created", "agent_b")]


def test_sigkill_mid_send_then_a_second_agent_resends_with_the_same_key(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    key = payout_state(rig.team_db.admin, local_id).key
    rig.control.add_fault(method="POST", path=CREATE, fault="delay", seconds=4)
    a = rig.agent("--lease-seconds", LEASE, token=rig.token)
    a.output.expect(rf"payout {local_id} claimed \(claim 1,")
    until(lambda: request_held_by_sandbox(rig), "the sandbox holds agent A's create request")
    assert rig.control.payments() == []  # in flight: not created yet
    assert events(rig.team_db.admin, local_id)[-1] == ("attempt_started", "agent_a")

    kill(a)  # mid-send
    dead = payout_state(rig.team_db.admin, local_id)
    assert (dead.status, dead.attempt_open, dead.lease_holder, dead.lease_generation) == (
        "confirmed", True, "agent_a", 1,
    )  # fmt: skip

    b = rig.agent("--lease-seconds", LEASE, token=rig.token, login="agent_b")
    b.output.expect(rf"payout {local_id} claimed \(claim 2,")  # only once A's lease ran out
    # A's request is still held (409 in progress, retried), then committed: B gets the provider's replay.
    b.output.expect(rf"payout {local_id} replayed as \S+ \(status pending\)")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    assert b.stop() == 0
    _one_payment_one_created(rig, local_id)
    assert payout_state(rig.team_db.admin, local_id).key == key
    kinds = events(rig.team_db.admin, local_id)
    assert kinds[:3] == [("confirmed", "pia"), ("attempt_started", "agent_a"), ("note", "agent_b")]
    assert all(actor != "agent_a" for _, actor in kinds[2:])  # the dead agent wrote nothing more


def test_sigkill_after_the_provider_created_it_before_the_journal_wrote_it(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    rig.control.add_fault(method="POST", path=CREATE, fault="delay", seconds=1.5)
    a = rig.agent("--lease-seconds", LEASE, token=rig.token)
    wait_for_journal(rig.team_db.admin, lambda conn: events(rig.team_db.admin, local_id)[-1][0] == "attempt_started")
    server_log = rig.team_db.server.socket_dir.parent / "log"
    log_start = server_log.stat().st_size
    with row_locked(rig.team_db.admin, local_id):  # A's writes about the payout wait from now on
        until(lambda: len(rig.control.payments()) == 1, "the sandbox created the payment")
        until(lambda: waits_on_a_lock(rig.team_db.admin, "agent_a"), "agent A waits to journal the answer")
        kill(a)  # the provider's answer existed only in A's memory
        assert payout_state(rig.team_db.admin, local_id).payment_id is None
        # A's write was sent before the kill and still waits in its server session; let it come after the lease.
        until(lambda: lease_run_out(rig.team_db.admin, local_id), "agent A's lease ran out", every=0.2)
    until(lambda: not waits_on_a_lock(rig.team_db.admin, "agent_a"), "A's late write was answered")
    with server_log.open("rb") as log:
        log.seek(log_start)
        late = log.read().decode(errors="replace")
    assert "connection to client lost" in late, late  # A's late statement ran; its transaction never committed
    assert events(rig.team_db.admin, local_id) == [("confirmed", "pia"), ("attempt_started", "agent_a")]
    assert payout_state(rig.team_db.admin, local_id).status == "confirmed"

    b = rig.agent("--lease-seconds", LEASE, token=rig.token, login="agent_b")
    b.output.expect(rf"payout {local_id} replayed as \S+ \(status pending\)")  # the same key: the provider's replay
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    assert b.stop() == 0
    _one_payment_one_created(rig, local_id)
