"""Migration 0019: hint_poll and expire_overdue ask membership by the rule of actor_in (audit F9, version 17): a
superuser is no preparer, approver, viewer or agent; it counts as an app admin only (the database administrator)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg import errors

from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, overdue, person, row, rule, send, team


def _pending(team_db: TeamDb) -> int:
    identity = team(team_db)
    local_id, _ = confirm(team_db, identity, "10.00")
    asyncio.run(send(team_db, identity, local_id, None))  # at the provider, pending: a payout a hint is for
    return local_id


def test_a_superuser_may_not_hint_the_agents_polls(team_db: TeamDb) -> None:
    local_id = _pending(team_db)
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="a superuser is not a person of the team"):
            conn.execute("SELECT payout_desk.hint_poll(%s, 'selected')", (local_id,))
        assert conn.execute("SELECT count(*) FROM payout_desk.poll_hints").fetchone() == (0,)
        people = conn.execute(
            "SELECT payout_desk.is_person_in(ARRAY['payout_desk_preparer','payout_desk_viewer','payout_desk_agent'])"
        ).fetchone()
        assert people == (False,)
    for login, role in (("pia", "preparer"), ("vic", "viewer"), ("bob", "approver")):
        with person(team_db, login, role) as conn:
            hinted = conn.execute("SELECT payout_desk.hint_poll(%s, 'checkin_completed')", (local_id,)).fetchone()
            assert hinted is not None  # the first is kept, the next within a second folded into it
    with psycopg.connect(team_db.admin) as conn:
        assert conn.execute("SELECT actor FROM payout_desk.poll_hints").fetchall() == [("pia",)]


def test_expire_overdue_counts_a_superuser_as_an_app_admin_only(team_db: TeamDb) -> None:
    team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, _ = confirm(team_db, team(team_db), "14.00")
    overdue(team_db, local_id)
    with psycopg.connect(team_db.admin, autocommit=True) as conn:  # a login with no app role (roles are cluster-wide)
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nobody_pd') THEN "
                     "CREATE ROLE nobody_pd LOGIN; END IF; END $$")  # fmt: skip
    with person(team_db, "nobody_pd") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("SELECT payout_desk.expire_overdue()")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        assert conn.execute(
            "SELECT payout_desk.is_person_in(ARRAY['payout_desk_preparer','payout_desk_approver','payout_desk_agent'])"
        ).fetchone() == (False,)
        assert conn.execute("SELECT payout_desk.is_person_in(ARRAY['payout_desk_admin'])").fetchone() == (True,)
        assert conn.execute("SELECT payout_desk.expire_overdue()").fetchone() == (1,)  # the DBA, as an app admin
    assert row(team_db, local_id, "status") == ("expired",)
