"""A team set up for the agent's tests: the provider set by an admin, people, and payouts confirmed by a
preparer for the team's connection (``services.team.team_identity``), through the real journal functions."""

from __future__ import annotations

import psycopg

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.journal.postgres.store import PgJournal
from payout_desk.services.team import team_identity
from tests.fixtures.postgres import TeamDb
from tests.unit.journal.helpers import request


def set_provider(team_db: TeamDb, url: str, *, force: bool = False) -> ConnectionIdentity:
    """An app admin sets the team's provider (``force``: although payouts may still be paid at the current one,
    which then need reconciliation); the team's connection identity."""
    with psycopg.connect(team_db.as_person("ada_admin", "admin"), autocommit=True) as conn:
        conn.execute("SELECT payout_desk.set_provider_base_url(%s, %s)", (url, force))
    return team_identity(url)


def confirm(team_db: TeamDb, identity: ConnectionIdentity, count: int, *, first: int = 1) -> list[int]:
    """``count`` payouts confirmed by the preparer ``pia`` for ``identity``: their local ids, oldest first."""
    journal = PgJournal.open(team_db.as_person("pia", "preparer"))
    try:
        ids = []
        for n in range(first, first + count):
            record = journal.record_confirmed(
                request(amount=f"{n}.00", external_id=f"TEAM-{n}"),
                idempotency_key=f"00000000-0000-4000-8000-{n:012d}",
                environment=identity.environment,
                profile=identity.profile,
                actor="pia",
                connection_id=identity.key,
            )
            ids.append(record.local_id)
        return ids
    finally:
        journal.close()


def expire_leases(team_db: TeamDb) -> None:
    """Every lease runs out now (as the database administrator): what waiting past a lease would do."""
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute(
            "UPDATE payout_desk.payouts SET lease_expires_at = now() - interval '1 second'"
            " WHERE lease_expires_at IS NOT NULL"
        )
