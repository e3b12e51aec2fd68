"""A team desk's confirmation asks the retype from the team's threshold in the database (issue 21: "in team mode
the retype threshold lives in the database too"), read at each confirmation, not from the person's own settings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from payout_desk.domain.thresholds import DEFAULT_RETYPE_THRESHOLDS
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.store import connect
from tests.e2e.helpers import fill_form
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.team_setup import set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk


def _set(team_db: TeamDb, amount: Decimal | None) -> None:
    conn = connect(team_db.as_person("ada_admin", "admin"))
    try:
        approvals.set_retype_threshold(conn, "EUR", amount)
    finally:
        conn.close()


def _confirmation(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=10000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_the_preparers_confirmation_follows_the_teams_threshold(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, PROVIDER)
    assert Decimal(600) < DEFAULT_RETYPE_THRESHOLDS["EUR"]  # the person's own settings would not ask
    _set(team_db, Decimal(500))
    window = open_desk(qtbot, team_db.as_person("rosa", "preparer"), tmp_path / "rosa")
    try:
        fill_form(qtbot, window, "600.00")
        dialog = _confirmation(qtbot, window)
        assert dialog.retype_required
        assert dialog.findChild(QLineEdit, "retypeAmountEdit") is not None
        assert not dialog.findChild(QPushButton, "confirmButton").isEnabled()
        dialog.reject()
        qtbot.waitUntil(lambda: window.flow.confirm_dialog is None, timeout=5000)
        _set(team_db, Decimal(700))  # an admin raises it while the desk is open: the next confirmation follows
        dialog = _confirmation(qtbot, window)
        assert not dialog.retype_required
        assert dialog.findChild(QLineEdit, "retypeAmountEdit") is None
        dialog.reject()
        qtbot.waitUntil(lambda: window.flow.confirm_dialog is None, timeout=5000)
    finally:
        close_desk(qtbot, window)
