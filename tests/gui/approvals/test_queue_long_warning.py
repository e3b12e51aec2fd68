"""Second audit N8: a long Warnings cell ("Near-duplicate (a later one), First payout") is elided at a fixed width
instead of widening its column, so at 1024×640 "Prepared by" and "Approvals" stay in view; the full words are in
the cell's tooltip and under the table. Real PostgreSQL, the approver's desk opened by the launch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QTableWidget, QTabWidget

from payout_desk.ui.approvals.dialogs import warnings_text
from payout_desk.ui.approvals.panel import COL_WARNINGS, COLUMNS
from tests.fixtures.postgres import TeamDb
from tests.gui.approvals.test_queue_live import Team
from tests.gui.team.helpers import close_desk, open_desk


def test_a_long_warning_is_elided_and_the_approvals_stay_in_view(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    team = Team(team_db)
    first = team.confirm("15000.00", 12)  # a new recipient, and twins: the earlier names the later one
    team.confirm("15000.00", 13)
    window = open_desk(qtbot, team.abe, tmp_path / "abe")
    try:
        window.resize(1024, 640)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.approvals is not None and len(window.approvals.items) == 2, timeout=10_000)
        window.findChild(QTabWidget, "mainTabs").setCurrentWidget(window.approvals)
        table = window.findChild(QTableWidget, "approvalsTable")
        table.selectRow(0)
        qtbot.waitUntil(lambda: table.viewport().width() > 0)
        qtbot.wait(50)  # one layout pass at this size

        window.grab().save("/tmp/residue-n8.png")
        print([table.columnWidth(c) for c in range(len(COLUMNS))])
        cell = table.item(0, COL_WARNINGS)
        assert table.item(0, 0).text() == f"#{first}"
        assert cell.text() == "Near-duplicate (a later one), First payout"
        assert table.fontMetrics().horizontalAdvance(cell.text()) > table.columnWidth(COL_WARNINGS)  # elided
        item = window.approvals.items[0]
        assert cell.toolTip() == warnings_text(item.warnings)  # the full words, on hover
        details = window.findChild(QLabel, "approvalsSelectedWarnings")
        assert details.text() == f"#{first}: " + warnings_text(item.warnings)  # and under the table
        for name in ("Recipient", "Prepared by", "Approvals"):
            column = COLUMNS.index(name)
            start = table.columnViewportPosition(column)
            assert start >= 0, name
            assert start + table.columnWidth(column) <= table.viewport().width(), name  # in view, no scrolling
        approvals = table.item(0, COLUMNS.index("Approvals"))
        assert table.fontMetrics().horizontalAdvance(approvals.text()) <= table.columnWidth(COLUMNS.index("Approvals"))
        if shots := os.environ.get("PAYOUT_DESK_SHOTS", ""):
            Path(shots).mkdir(parents=True, exist_ok=True)
            window.grab().save(str(Path(shots) / "approvals-queue-long-warning-1024x640.png"))
    finally:
        close_desk(qtbot, window)
