"""On a team desk the preparer's confirmation asks for the retype from the team's threshold, which lives in the
database (issue 21), not from the desk's own settings; an administrator's change applies at the next confirmation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from payout_desk.journal.postgres.approvals import set_retype_threshold
from tests.e2e.helpers import fill_form
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.team_setup import set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk


def _asks_retype(qtbot: Any, window: Any, amount: str) -> bool:
    """Open the confirmation of ``amount`` EUR: whether it asks for the amount again; then cancel it."""
    fill_form(qtbot, window, amount, description="Invoice 7", name="Ada Lovelace")
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=10000) as opened:
        qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    asks = dialog.findChild(QLineEdit, "retypeAmountEdit") is not None
    dialog.reject()
    qtbot.waitUntil(lambda: window.flow.confirm_dialog is None, timeout=5000)
    window.findChild(QLineEdit, "amountEdit").clear()
    window.findChild(QLineEdit, "descriptionEdit").clear()
    window.findChild(QLineEdit, "recipientNameEdit").clear()
    return asks


def test_the_teams_threshold_applies_not_the_desks_own(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, PROVIDER)
    admin = team_db.as_person("ada_admin", "admin")
    with psycopg.connect(admin, autocommit=True) as conn:
        set_retype_threshold(conn, "EUR", Decimal("500"))
    window = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    try:
        assert window.context.settings.retype_threshold("EUR") == 10000  # the desk's own: the default
        assert _asks_retype(qtbot, window, "600.00")  # the team's 500.00 applies
        assert not _asks_retype(qtbot, window, "499.99")
        with psycopg.connect(admin, autocommit=True) as conn:
            set_retype_threshold(conn, "EUR", None)  # back to the default (10,000.00): applies at once
        assert not _asks_retype(qtbot, window, "600.00")
        assert _asks_retype(qtbot, window, "10000.00")
    finally:
        close_desk(qtbot, window)
