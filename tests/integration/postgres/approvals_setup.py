"""A team with approval rules for the approvals tests: people by role, payouts confirmed through the real
journal, and the clock moved past an expiry as the database administrator (no sleeping)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.fenced import FencedPgJournal
from payout_desk.journal.postgres.store import PgJournal, connect
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.team_setup import set_provider
from tests.unit.journal.helpers import request

URL = "https://payments.example"


@contextmanager
def person(team_db: TeamDb, login: str, *roles: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection as ``login`` (given ``roles`` first), as the desk makes them."""
    conn = connect(team_db.as_person(login, *roles))
    try:
        yield conn
    finally:
        conn.close()


def team(team_db: TeamDb) -> ConnectionIdentity:
    """The provider set; a preparer (pia), two approvers (bob, cy), an admin (ada_admin), an agent."""
    identity = set_provider(team_db, URL)
    team_db.as_person("pia", "preparer")
    team_db.as_person("bob", "approver")
    team_db.as_person("cy", "approver")
    team_db.as_person("agent_a", "agent")
    return identity


def rule(team_db: TeamDb, code: str, amount_from: str, approvers: int, preparer: str | None = None) -> int:
    """An app admin sets one tier; the approvers it asked before."""
    with person(team_db, "ada_admin", "admin") as conn:
        return approvals.set_rule(conn, code, Decimal(amount_from), approvers, preparer)


def confirm(
    team_db: TeamDb, identity: ConnectionIdentity, amount: str, *, by: str = "pia", ref: str | None = None, **kw: Any
) -> tuple[int, str]:
    """One payout confirmed by preparer ``by``: (local id, its body's text)."""
    journal = PgJournal.open(team_db.as_person(by, "preparer"))
    try:
        payout = request(amount=amount, external_id=ref or f"REF-{amount}-{by}", **kw)
        record = journal.record_confirmed(
            payout,
            idempotency_key=str(uuid.uuid4()),
            environment=identity.environment,
            profile=identity.profile,
            actor=by,
            connection_id=identity.key,
        )
        return record.local_id, payout.body_json()
    finally:
        journal.close()


def row(team_db: TeamDb, local_id: int, columns: str = "status, approvals_required") -> tuple[Any, ...]:
    """Columns of one payout, read as the database administrator."""
    with psycopg.connect(team_db.admin) as conn:
        found = conn.execute(f"SELECT {columns} FROM payout_desk.payouts WHERE local_id = %s", (local_id,)).fetchone()
    assert found is not None
    return tuple(found)


def kinds(team_db: TeamDb, local_id: int) -> list[tuple[str, str]]:
    """(kind, actor) of a payout's events, in order."""
    with psycopg.connect(team_db.admin) as conn:
        rows = conn.execute(
            "SELECT kind, actor FROM payout_desk.events WHERE local_id = %s ORDER BY event_id", (local_id,)
        ).fetchall()
    return [(str(k), str(a)) for k, a in rows]


def overdue(team_db: TeamDb, local_id: int) -> None:
    """Move a waiting payout's expiry into the past (what waiting the days out would do). The database
    administrator bypasses the immutability trigger for this one row, as only a superuser could."""
    with psycopg.connect(team_db.admin) as conn:
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(
            "UPDATE payout_desk.payouts SET approval_expires_at = clock_timestamp() - interval '1 second'"
            " WHERE local_id = %s",
            (local_id,),
        )


async def send(
    team_db: TeamDb, identity: ConnectionIdentity, local_id: int, final: str | None, checkin_url: str | None = None
) -> None:
    """The agent claims ``local_id`` (the only sendable payout), the provider creates it (with ``checkin_url``),
    then (unless ``final`` is None: still pending) its final status arrives."""
    agent = await FencedPgJournal.open(team_db.as_person("agent_a", "agent"))
    try:
        lease = await agent.claim(identity.key, "a", 30)
        assert lease is not None
        assert lease.local_id == local_id
        await agent.record_attempt_started(local_id, number=1, actor="agent_a")
        await agent.record_created(
            local_id, payment_id=f"pay_{local_id}", checkin_url=checkin_url, status="pending", actor="agent_a"
        )
        await agent.release(lease)
    finally:
        await agent.close()
    if final is not None:
        journal = PgJournal.open(team_db.as_person("agent_a", "agent"))
        try:
            journal.record_status(local_id, status=final, failure_reason=None, source="webhook", actor="agent_a")
        finally:
            journal.close()
    assert row(team_db, local_id, "status") == (final or "pending",)


def near_twins(team_db: TeamDb, *, twin_name: str = "GLOBEX ") -> tuple[int, int]:
    """A team (see :func:`team`, plus preparer dora) whose EUR rule asks 1 approval from 10,000, and two waiting
    15,000.00 EUR payouts to Globex: pia's, then dora's (``twin_name``: the same recipient, however spelled)."""
    identity = team(team_db)
    team_db.as_person("dora", "preparer")
    rule(team_db, "EUR", "10000", 1)
    first, _ = confirm(team_db, identity, "15000.00", ref="GLOBEX-1", recipient_id=None, recipient_name="Globex")
    twin, _ = confirm(team_db, identity, "15000.00", by="dora", ref="GLOBEX-2", recipient_id=None,
                      recipient_name=twin_name)  # fmt: skip
    return first, twin
