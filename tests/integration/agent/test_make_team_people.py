"""Audit F9: ``make team`` hands out the people's conninfo (anna, ben), never the cluster superuser's — a login that
PostgreSQL puts in every group and that could prepare, approve and claim anything."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

from tests.integration.agent.conftest import Process, spawn

ROOT = Path(__file__).resolve().parents[3]


def test_make_team_prints_the_peoples_conninfo_not_the_superusers() -> None:
    started: list[Process] = []
    team = spawn(started, [sys.executable, str(ROOT / "scripts" / "team.py"), "--desks", "0"])
    try:
        anna = team.output.expect(r"the team database as anna \(preparer\): (.+)$", timeout=120).group(1)
        ben = team.output.expect(r"the team database as ben \(approver\): (.+)$").group(1)
        team.output.expect(r"Ctrl\+C stops everything")
    finally:
        team.stop(signal.SIGINT, timeout=60)  # (its exit status races its own Ctrl+C handler: not this test's)
    assert "the throwaway cluster and its folder are gone" in team.output.text()
    assert re.search(r"\buser=anna\b", anna)
    assert re.search(r"\buser=ben\b", ben)
    printed = [line for line in team.output.text().splitlines() if "dbname=" in line]
    assert printed
    assert all(re.search(r"\buser=(anna|ben)\b", line) for line in printed), printed  # no line without a person
