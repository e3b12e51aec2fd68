"""Audit F9 on the desk: a desk opened with the database's superuser login (in every group by PostgreSQL's
rules) is refused in words — it neither prepares nor approves; a person's login opens as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.gui.team.test_team_refusals import shoot
from tests.integration.postgres.team_setup import set_provider


def test_a_superuser_login_is_refused_in_words(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, "http://127.0.0.1:9")
    window = open_desk(qtbot, team_db.admin, tmp_path / "postgres", connected=False)
    try:
        text = window.connection_banner.label.text()  # (fix-conn: team refusals show in the banner)
        assert "a superuser is not a person of the team: log in as yourself" in text
        assert "postgres" in text
        assert window.context.desk is None
        assert window.findChild(object, "approveButton") is None  # no approvals page to approve from
        shoot(qtbot, window, "team-superuser-refused.png")
    finally:
        close_desk(qtbot, window)
