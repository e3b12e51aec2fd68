"""A team desk opened by the launch has the approvals queue as ``mainTabs``' page ``approvalsTab`` (issue 21), live
from the team database: a payout waiting for approval shows in an approver's queue; a single desk has no such page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtWidgets import QTableView, QTableWidget, QTabWidget

from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.team_setup import confirm, set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk


def _rows(window: Any) -> int:
    table = window.findChild(QTableView, "approvalsTable") or window.findChild(QTableWidget, "approvalsTable")
    assert table is not None
    return int(table.model().rowCount())


def test_an_approvers_team_desk_has_the_live_approvals_tab(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    identity = set_provider(team_db, PROVIDER)
    with psycopg.connect(team_db.as_person("ada_admin", "admin"), autocommit=True) as conn:
        conn.execute("SELECT payout_desk.set_approval_rule('*', '0', 1, NULL)")
    window = open_desk(qtbot, team_db.as_person("abe", "approver"), tmp_path / "abe")
    try:
        tabs = window.findChild(QTabWidget, "mainTabs")
        assert tabs is not None
        qtbot.waitUntil(lambda: window.approvals is not None, timeout=10000)
        assert tabs.indexOf(window.approvals) >= 0
        assert window.approvals.objectName() == "approvalsTab"
        assert _rows(window) == 0
        confirm(team_db, identity, 1)  # pia's payout waits for one approval
        qtbot.waitUntil(lambda: _rows(window) == 1, timeout=10000)  # live, from the feed
        assert "1" in tabs.tabText(tabs.indexOf(window.approvals))
    finally:
        close_desk(qtbot, window)
