"""The agents' polling: one rate cap for the whole team (the poll lock), a killed poller's role taken over,
polling reaching ``succeeded`` with no webhooks at all, and the database refusing a backwards status."""

from __future__ import annotations

import signal
from collections.abc import Callable

import psycopg
import pytest

from payout_desk.journal.postgres.watch import POLL_LOCK
from payout_desk.services.poll import PollPolicy
from tests.fixtures.postgres import TeamDb
from tests.integration.agent.conftest import Rig, status_of, wait_for_journal
from tests.integration.postgres.team_setup import confirm, set_provider

CAP = PollPolicy().max_requests_per_second
Conn = psycopg.Connection[tuple[object, ...]]


def poll_gets(rig: Rig) -> list[float]:
    """When the sandbox saw each ``GET /api/payments/{id}``, oldest first (Unix seconds)."""
    return [r["at"] for r in rig.control.requests() if r["method"] == "GET" and r["path"].startswith("/api/payments/")]


def busiest_second(times: list[float]) -> int:
    """The most requests in any one-second window."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def lock_holder(conn: Conn) -> str | None:
    """The login whose session holds the team's poll lock, if any."""
    row = conn.execute(
        "SELECT a.usename FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
        " AND l.granted AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1 AND a.datname = current_database()",
        (POLL_LOCK,),
    ).fetchone()
    return None if row is None else str(row[0])


def all_status(ids: list[int], status: str) -> Callable[[Conn], bool]:
    def check(conn: Conn) -> bool:
        rows = conn.execute("SELECT count(*) FROM payout_desk.payouts WHERE local_id = ANY(%s) AND status = %s",
                            (ids, status)).fetchone()  # fmt: skip
        return rows is not None and rows[0] == len(ids)

    return check


def test_two_agents_share_one_cap_and_a_killed_poller_is_replaced(rig: Rig) -> None:
    ids = confirm(rig.team_db, rig.identity, 30)
    agents = {login: rig.agent(token=rig.token, login=login) for login in ("agent_a", "agent_b")}
    wait_for_journal(rig.team_db.admin, all_status(ids, "pending"))  # both sent; 30 open payouts to follow
    with psycopg.connect(rig.team_db.admin, autocommit=True) as conn:
        wait_for_journal(rig.team_db.admin, lambda _: lock_holder(conn) is not None)
        first = lock_holder(conn)
        assert first in agents
        agents[first].output.expect(r"poller: holding the team's poll lock")
        wait_for_journal(rig.team_db.admin, lambda _: len(poll_gets(rig)) >= 40)
        before_kill = len(poll_gets(rig))
        agents[first].stop(signal.SIGKILL)  # its session, and the lock with it, goes
        second = next(login for login in agents if login != first)
        wait_for_journal(rig.team_db.admin, lambda _: lock_holder(conn) == second)
        agents[second].output.expect(r"poller: holding the team's poll lock")
        wait_for_journal(rig.team_db.admin, lambda _: len(poll_gets(rig)) >= before_kill + 25)
    times = poll_gets(rig)
    assert busiest_second(times) <= CAP  # the whole team, across the takeover
    assert busiest_second(times) >= CAP - 1  # and the cap was what held it back (30 payouts due at once)
    assert agents[second].stop() == 0


def test_polling_alone_reaches_succeeded(rig: Rig) -> None:
    """No --listen, no webhooks: the poller is the backstop and finds the final status."""
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    agent = rig.agent(token=rig.token)
    agent.output.expect(r"webhooks: not listening")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    (payment,) = rig.control.payments()
    rig.control.complete(payment["id"], "succeeded")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "succeeded", timeout=60)
    assert rig.control.webhooks() == []
    with psycopg.connect(rig.team_db.admin) as conn:
        sources = conn.execute(
            "SELECT detail->>'source', actor FROM payout_desk.events WHERE local_id = %s AND kind = 'status'",
            (local_id,),
        ).fetchall()
    assert sources == [("poll", "agent_a")]
    assert agent.stop() == 0


@pytest.mark.parametrize(("recorded", "stale"), [("succeeded", "pending"), ("failed", "processing"),
                                                 ("created", "pending")])  # fmt: skip
def test_record_status_never_moves_a_payout_backwards(team_db: TeamDb, recorded: str, stale: str) -> None:
    (local_id,) = confirm(team_db, set_provider(team_db, "http://127.0.0.1:9"), 1)
    provider = {"created": "processing"}.get(recorded, recorded)
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute(
            "UPDATE payout_desk.payouts SET status = %s, provider_status = %s, payment_id = 'pay_x'"
            " WHERE local_id = %s",
            (recorded, provider, local_id),
        )
    with psycopg.connect(team_db.as_person("agent_a", "agent"), autocommit=True) as conn:
        row = conn.execute("SELECT payout_desk.record_status(%s, %s, NULL, 'poll')", (local_id, stale)).fetchone()
        assert row == (False,)
        assert status_of(local_id)(conn) == recorded
        if recorded == "succeeded":  # a bank return still goes through
            row = conn.execute("SELECT payout_desk.record_status(%s, 'failed', 'r', 'poll')", (local_id,)).fetchone()
            assert row == (True,)
            assert status_of(local_id)(conn) == "failed"
