"""Both of a near-duplicate pair are warned in the approver's queue (audit F24): the earlier row, listed first and
usually approved first, names the later twin in its Warnings cell and in full under the table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QTableWidget

from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.services.approvals import ApprovalsService
from payout_desk.ui.approvals.panel import COL_WARNINGS, ApprovalsPanel
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import near_twins


def test_the_earlier_of_a_pair_names_the_later_one(qtbot: Any, team_db: TeamDb, run_async: Callable[..., Any]) -> None:
    first, twin = near_twins(team_db, twin_name="Globex")
    journal = run_async(AsyncPgJournal.open(team_db.as_person("bob", "approver")))
    panel = ApprovalsPanel(ApprovalsService(journal))
    qtbot.addWidget(panel)
    panel.show()
    try:
        run_async(panel.start())
        qtbot.waitUntil(lambda: len(panel.items) == 2, timeout=10000)
        table = panel.findChild(QTableWidget, "approvalsTable")
        cells = {table.item(row, 0).text(): table.item(row, COL_WARNINGS).text() for row in range(2)}
        assert "Near-duplicate (a later one)" in cells[f"#{first}"]
        assert "Near-duplicate" in cells[f"#{twin}"]
        earlier = next(item for item in panel.items if item.request.local_id == first)
        assert any(w.text.startswith(f"Payout #{twin}, confirmed later, looks like this one") for w in earlier.warnings)
    finally:
        run_async(panel.stop())
        run_async(journal.close())
