"""The team's provider identity lives in the database: an app admin sets it through its function (audited),
every member reads it, nobody else can change it."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.people import audit_log
from tests.fixtures.postgres import TeamDb


async def test_an_admin_sets_the_provider_and_every_desk_reads_it(team_db: TeamDb) -> None:
    viewer = await AsyncPgJournal.open(team_db.as_person("val", "viewer"))
    try:
        assert await viewer.provider_base_url() is None
        with psycopg.connect(team_db.as_person("ada", "admin"), autocommit=True) as conn:
            conn.execute("SELECT payout_desk.set_provider_base_url('https://payments.example')")
            with pytest.raises(errors.InvalidParameterValue, match="https://"):
                conn.execute("SELECT payout_desk.set_provider_base_url('ftp://payments.example')")
        assert await viewer.provider_base_url() == "https://payments.example"
    finally:
        await viewer.close()
    with psycopg.connect(team_db.admin) as conn:
        (entry,) = [e for e in audit_log(conn) if e.action != "add-person"]
        assert (entry.actor, entry.action, entry.detail) == (
            "ada",
            "set-provider-base-url",
            {"old": None, "new": "https://payments.example"},
        )
        row = conn.execute("SELECT updated_by FROM payout_desk.team_settings").fetchone()
        assert row == ("ada",)


@pytest.mark.parametrize("role", ["preparer", "viewer", "agent"])
def test_only_admins_change_the_provider(team_db: TeamDb, role: str) -> None:
    with psycopg.connect(team_db.as_person(f"not_admin_{role}", role)) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT payout_desk.set_provider_base_url('https://evil.example')")
        conn.rollback()
        assert conn.execute("SELECT provider_base_url FROM payout_desk.team_settings").fetchone() == (None,)
