"""A desk whose active Settings profile is a Team profile opens on that team database at launch (issue 20):
the profile's libpq settings (the sslmode rule checked) and no provider token; a profile that breaks the rule
is refused in words naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg.conninfo
from PySide6.QtWidgets import QLabel

from payout_desk.app import launch
from payout_desk.services.profiles import Profile
from payout_desk.services.settings import AppSettings, save_settings
from payout_desk.services.team_connection import TeamConnection
from payout_desk.services.team_desk import TeamDesk
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk
from tests.integration.postgres.team_setup import set_provider


def _with_team_profile(team_db: TeamDb, login: str, data_dir: Path, **changes: Any) -> None:
    params = psycopg.conninfo.conninfo_to_dict(team_db.as_person(login, "preparer"))
    team = TeamConnection(host=str(params["host"]), port=int(str(params["port"])), dbname=team_db.name, user=login,
                          sslmode="prefer", **changes)  # fmt: skip
    settings = AppSettings()
    settings.profiles.append(Profile("Our team", "team", "", 24.0, team))
    settings.active_profile = "Our team"
    data_dir.mkdir(parents=True, exist_ok=True)
    save_settings(settings, data_dir / "settings.json")


def test_the_active_team_profile_opens_a_team_desk(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, "http://127.0.0.1:9")
    _with_team_profile(team_db, "rita", tmp_path / "rita")
    window = launch(["--data-dir", str(tmp_path / "rita")])
    with qtbot.waitSignal(window.connected, timeout=30000):
        pass
    try:
        assert isinstance(window.context.desk, TeamDesk)
        assert window.context.desk.client is None  # no provider token on a team desk
        banner = window.findChild(QLabel, "environmentBanner").text()
        assert banner.startswith("TEAM — ")
        assert "as rita" in banner
        assert not (tmp_path / "rita" / "journal.sqlite3").exists()
    finally:
        close_desk(qtbot, window)


def test_a_team_profile_breaking_the_sslmode_rule_is_refused_in_words(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    _with_team_profile(team_db, "remo", tmp_path / "remo")
    settings_file = tmp_path / "remo" / "settings.json"
    text = settings_file.read_text()
    settings_file.write_text(text.replace(str(psycopg.conninfo.conninfo_to_dict(team_db.admin)["host"]), "db.example"))
    window = launch(["--data-dir", str(tmp_path / "remo")])
    problems: list[str] = []
    window.connectFailed.connect(problems.append)
    qtbot.waitUntil(lambda: bool(problems) or "sslmode" in window.findChild(QLabel, "environmentBanner").text()
                    or "sslmode" in str(window.statusBar().currentMessage()), timeout=30000)  # fmt: skip
    try:
        shown = " ".join(problems) + window.findChild(QLabel, "environmentBanner").text()
        shown += str(window.statusBar().currentMessage())
        assert "sslmode" in shown
        assert not (tmp_path / "remo" / "journal.sqlite3").exists()
    finally:
        close_desk(qtbot, window)
