"""The approvals queue in a team desk's window (F12): at 1024×640 the approver sees each payout's warnings without
scrolling — an early column with an icon and short words, and the selected payout's warnings in full under the
table. Real PostgreSQL, the approver's desk opened by the launch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QTableWidget, QTabWidget

from payout_desk.ui.approvals.dialogs import warnings_text
from payout_desk.ui.approvals.panel import COL_WARNINGS
from tests.fixtures.postgres import TeamDb
from tests.gui.approvals.test_queue_live import Team
from tests.gui.team.helpers import close_desk, open_desk

SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")


def _shown(label: QLabel, window: Any) -> bool:
    """All the label's text is on screen: wrapped tall enough, and its box inside the window."""
    bottom = label.mapTo(window, label.rect().bottomLeft()).y()
    return label.isVisible() and label.height() >= label.heightForWidth(label.width()) and bottom <= window.height()


def test_the_warnings_show_without_scrolling_at_1024x640(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    team = Team(team_db)
    for n, amount in enumerate(("1200.00", "4000.00"), start=10):
        team.confirm(amount, n, status="confirmed")  # below the rule: the recipient's history
    team.confirm("14950.00", 12)
    far = team.confirm("15000.00", 13)  # far above usual, and a near-duplicate of #12
    window = open_desk(qtbot, team.abe, tmp_path / "abe")
    try:
        window.resize(1024, 640)
        window.show()
        qtbot.waitExposed(window)
        tabs = window.findChild(QTabWidget, "mainTabs")
        qtbot.waitUntil(lambda: window.approvals is not None and len(window.approvals.items) == 2, timeout=10_000)
        tabs.setCurrentWidget(window.approvals)
        table = window.findChild(QTableWidget, "approvalsTable")
        table.selectRow(1)
        qtbot.waitUntil(lambda: table.viewport().width() > 0)
        qtbot.wait(50)  # one layout pass at this size

        assert table.item(1, 0).text() == f"#{far}"
        assert table.item(1, COL_WARNINGS).text() == "Far above usual, Near-duplicate"
        assert not table.item(1, COL_WARNINGS).icon().isNull()
        start = table.columnViewportPosition(COL_WARNINGS)
        assert start >= 0
        assert start + table.columnWidth(COL_WARNINGS) <= table.viewport().width()  # no scrolling to see them
        details = window.findChild(QLabel, "approvalsSelectedWarnings")
        assert details.text().startswith(f"#{far}: ⚠ Far above usual")
        assert details.text() == f"#{far}: " + warnings_text(window.approvals.items[1].warnings)  # all of them
        assert _shown(details, window)
        if SHOTS:
            out = Path(SHOTS)
            out.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(out / "approvals-queue-1024x640.png"))
            window.resize(1440, 860)
            qtbot.waitUntil(lambda: window.width() == 1440)
            qtbot.wait(50)
            window.grab().save(str(out / "approvals-queue.png"))  # the README's: every column shows
    finally:
        close_desk(qtbot, window)
