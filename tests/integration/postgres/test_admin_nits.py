"""Audit 2, N9 and a nit: a NOINHERIT login is told what is wrong (not "no Payout Desk role"), and
``payout-desk-admin … rules | head`` ends without a BrokenPipeError traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from payout_desk.journal import JournalError
from payout_desk.journal.postgres.store import PgJournal
from tests.fixtures.postgres import TeamDb


@pytest.mark.parametrize("role", ["agent", "preparer"])
def test_a_noinherit_login_is_told_to_inherit_its_role(team_db: TeamDb, role: str) -> None:
    conninfo = team_db.as_person("agent4", role)
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier("agent4")))
    with pytest.raises(JournalError) as refused:
        PgJournal.open(conninfo)
    said = str(refused.value)
    assert f"The login agent4 is a member of payout_desk_{role} but does not inherit its rights" in said
    assert said.endswith("ALTER ROLE agent4 INHERIT")
    assert "no Payout Desk role" not in said


def test_rules_into_a_closed_pipe_ends_without_a_traceback(team_db: TeamDb) -> None:
    script = Path(sys.executable).with_name("payout-desk-admin")
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has already left: every write fails with EPIPE
    try:
        done = subprocess.run(
            [str(script), "--db", team_db.admin, "rules"], stdout=write_end, capture_output=False,
            stderr=subprocess.PIPE, text=True, check=False, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr
    assert done.returncode == 0
