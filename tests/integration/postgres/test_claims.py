"""The agent's claims on the real team database: one claim per payout (SKIP LOCKED), leases timed by the
database, the fencing generation refusing a stale agent's every late write, release and resend backoff."""

from __future__ import annotations

import psycopg
import pytest

from payout_desk.journal.models import AttemptInfo, JournalError, LeaseLostError
from payout_desk.journal.postgres.fenced import FencedPgJournal
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.team_setup import confirm, expire_leases, set_provider

URL = "https://payments.example"


def _events(team_db: TeamDb) -> list[tuple[int, str, str]]:
    with psycopg.connect(team_db.admin) as conn:
        return conn.execute("SELECT local_id, kind, actor FROM payout_desk.events ORDER BY event_id").fetchall()


def _lease_row(team_db: TeamDb, local_id: int) -> tuple[object, ...]:
    with psycopg.connect(team_db.admin) as conn:
        row = conn.execute(
            "SELECT lease_generation, lease_holder, lease_expires_at > now(), send_after > now()"
            " FROM payout_desk.payouts WHERE local_id = %s",
            (local_id,),
        ).fetchone()
    assert row is not None
    return tuple(row)


async def test_each_unsent_payout_is_claimed_once_oldest_first(team_db: TeamDb) -> None:
    identity = set_provider(team_db, URL)
    first, second = confirm(team_db, identity, 2)
    confirm(team_db, set_provider(team_db, "https://other.example"), 1, first=3)  # another connection's payout
    set_provider(team_db, URL)  # the team's provider again
    one = await FencedPgJournal.open(team_db.as_person("agent_one", "agent"))
    two = await FencedPgJournal.open(team_db.as_person("agent_two", "agent"))
    try:
        a = await one.claim(identity.key, "one", 30)
        b = await two.claim(identity.key, "two", 30)
        assert (a and a.local_id, b and b.local_id) == (first, second)
        assert (a and a.generation, b and b.generation) == (1, 1)
        assert await one.claim(identity.key, "one", 30) is None  # the other connection's payout is not ours
        assert _lease_row(team_db, first)[:3] == (1, "agent_one", True)
        assert one.held == {first: 1}
    finally:
        await one.close()
        await two.close()


async def test_a_stale_agents_late_writes_are_refused_and_nothing_is_written(team_db: TeamDb) -> None:
    identity = set_provider(team_db, URL)
    (local_id,) = confirm(team_db, identity, 1)
    stale = await FencedPgJournal.open(team_db.as_person("agent_stale", "agent"))
    fresh = await FencedPgJournal.open(team_db.as_person("agent_fresh", "agent"))
    try:
        old = await stale.claim(identity.key, "stale", 30)
        assert old is not None
        await stale.record_attempt_started(local_id, number=1, actor="x")
        expire_leases(team_db)  # the stale agent hung past its lease
        new = await fresh.claim(identity.key, "fresh", 30)
        assert new is not None
        assert (new.local_id, new.generation) == (local_id, old.generation + 1)
        before = _events(team_db)
        attempt = AttemptInfo(number=1, status_code=201, error=None, duration_ms=5.0)
        late_writes = [
            stale.record_attempt_started(local_id, number=2, actor="x"),
            stale.record_attempt(local_id, attempt, actor="x"),
            stale.record_created(local_id, payment_id="pay_late", checkin_url=None, status="pending", actor="x"),
            stale.record_rejected(local_id, code="validation_error", message="m", actor="x"),
            stale.record_outcome_unknown(local_id, message="m", actor="x"),
            stale.record_mismatch(local_id, problems=["amount"], answer="{}", source="create", message="m", actor="x"),
            stale.record_needs_reconciliation(local_id, message="m", actor="x"),
            stale.mark_ambiguous(local_id, reason="r", actor="x"),
        ]
        stale._held[local_id] = old.generation  # as if it had not noticed: every write goes to the database
        for write in late_writes:
            with pytest.raises(LeaseLostError):
                await write
            stale._held[local_id] = old.generation
        with pytest.raises(LeaseLostError):
            await stale.renew(old, 30)
        with pytest.raises(LeaseLostError):
            await stale.release(old)
        assert _events(team_db) == before
        record = await fresh.record_created(
            local_id, payment_id="pay_1", checkin_url="https://c.example/1", status="pending", actor="x"
        )
        assert (record.status, record.payment_id) == ("pending", "pay_1")
        assert _events(team_db)[-1] == (local_id, "created", "agent_fresh")
    finally:
        await stale.close()
        await fresh.close()


async def test_a_lease_run_out_refuses_writes_even_before_anyone_claims(team_db: TeamDb) -> None:
    identity = set_provider(team_db, URL)
    (local_id,) = confirm(team_db, identity, 1)
    agent = await FencedPgJournal.open(team_db.as_person("agent_slow", "agent"))
    try:
        lease = await agent.claim(identity.key, "slow", 30)
        assert lease is not None
        renewed = await agent.renew(lease, 60)
        assert renewed.expires_at > lease.expires_at
        expire_leases(team_db)
        with pytest.raises(LeaseLostError):
            await agent.record_attempt_started(local_id, number=1, actor="x")
        assert agent.held == {}  # and later writes are refused before reaching the database
        with pytest.raises(LeaseLostError):
            await agent.record_outcome_unknown(local_id, message="m", actor="x")
        again = await agent.claim(identity.key, "slow", 30)
        assert again is not None
        assert again.generation == lease.generation + 1
    finally:
        await agent.close()


async def test_a_released_unanswered_payout_waits_its_backoff(team_db: TeamDb) -> None:
    identity = set_provider(team_db, URL)
    (local_id,) = confirm(team_db, identity, 1)
    agent = await FencedPgJournal.open(team_db.as_person("agent_b", "agent"))
    try:
        lease = await agent.claim(identity.key, "b", 30)
        assert lease is not None
        await agent.record_outcome_unknown(local_id, message="no answer", actor="x")
        await agent.release(lease, retry_after=3600)
        assert _lease_row(team_db, local_id) == (1, None, None, True)
        assert await agent.claim(identity.key, "b", 30) is None
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("UPDATE payout_desk.payouts SET send_after = now() - interval '1 second'")
        again = await agent.claim(identity.key, "b", 30)
        assert again is not None
        assert (again.local_id, again.generation) == (local_id, 2)
    finally:
        await agent.close()


async def test_claim_arguments_are_checked(team_db: TeamDb) -> None:
    identity = set_provider(team_db, URL)
    agent = await FencedPgJournal.open(team_db.as_person("agent_c", "agent"))
    try:
        for instance, seconds in (("", 30.0), ("c", 0.0), ("c", 7200.0)):
            with pytest.raises(JournalError, match=r"lease|instance"):
                await agent.claim(identity.key, instance, seconds)
    finally:
        await agent.close()
