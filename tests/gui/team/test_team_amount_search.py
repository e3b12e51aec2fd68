"""The search box's amount search on a team desk: typing an amount as displayed finds that amount exactly on
the team journal (never the amount text as a substring), as it does on a desk's own journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLineEdit

from payout_desk.ui.history.model import RecordRole
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk, shown_record
from tests.integration.postgres.team_setup import confirm, set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk


def _shown(window: Any) -> set[int]:
    model = window.history.model
    return {model.data(model.index(row, 0), RecordRole).local_id for row in range(model.rowCount())}


def _search(qtbot: Any, window: Any, text: str) -> None:
    search = window.findChild(QLineEdit, "searchEdit")
    search.clear()
    qtbot.keyClicks(search, text)


def test_an_amount_typed_in_the_search_box_finds_that_amount_on_the_team(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    ids = confirm(team_db, set_provider(team_db, PROVIDER), 12)  # 1.00 … 12.00 EUR, references TEAM-1 … TEAM-12
    window = open_desk(qtbot, team_db.as_person("vic", "viewer"), tmp_path / "vic")
    try:
        qtbot.waitUntil(lambda: all(shown_record(window, i) is not None for i in ids), timeout=10000)
        search = window.findChild(QLineEdit, "searchEdit")
        assert "amount" in search.placeholderText()  # still offered on a team desk
        assert window.history.filters.search_amount("11.00") is not None
        _search(qtbot, window, "11.00")
        qtbot.waitUntil(lambda: _shown(window) == {ids[10]}, timeout=10000)  # not 1.00's neighbour text
        _search(qtbot, window, "1.00")
        qtbot.waitUntil(lambda: _shown(window) == {ids[0]}, timeout=10000)  # exactly 1.00, never 11.00
        _search(qtbot, window, "TEAM-1")  # not an amount: text, a substring as before
        qtbot.waitUntil(lambda: _shown(window) == {ids[0], ids[9], ids[10], ids[11]}, timeout=10000)
        assert window.history.model.total() == 4
    finally:
        close_desk(qtbot, window)
