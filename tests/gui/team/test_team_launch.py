"""``payout-desk --team CONNINFO``: a desk on the team's database as the person's own login — no provider client,
no token; the banner names the database (never a password); wrong logins and databases are refused in words."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtWidgets import QLabel, QPushButton

from payout_desk.services.team_desk import TeamDesk
from payout_desk.ui.history.columns import COL_CREATED_BY
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk, shown_record
from tests.integration.postgres.team_setup import confirm, set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk


def test_a_preparer_opens_a_team_desk_with_no_token(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    identity = set_provider(team_db, PROVIDER)
    (first,) = confirm(team_db, identity, 1)  # by pia
    conninfo = team_db.as_person("rosa", "preparer") + " password=not-a-real-secret"
    window = open_desk(qtbot, conninfo, tmp_path / "rosa")
    try:
        desk = window.context.desk
        assert isinstance(desk, TeamDesk)
        assert desk.client is None
        assert desk.actor == "rosa"
        banner = window.findChild(QLabel, "environmentBanner").text()
        assert banner.startswith("TEAM — ")
        assert team_db.name in banner
        assert "as rosa" in banner
        assert "not-a-real-secret" not in banner
        assert "password" not in banner
        assert "not-a-real-secret" not in str(window.property("launchArgs"))
        assert window.findChild(QPushButton, "submitButton") is not None
        assert window.form._ready
        qtbot.waitUntil(lambda: shown_record(window, first) is not None, timeout=10000)
        assert not window.history.table.isColumnHidden(COL_CREATED_BY)
        model = window.history.model
        assert model.data(model.index(model.row_of(first), COL_CREATED_BY)) == "pia"
        assert not (tmp_path / "rosa" / "journal.sqlite3").exists()  # no local journal on a team desk
        assert not (tmp_path / "rosa" / "settings.json").exists()  # saved settings untouched
    finally:
        close_desk(qtbot, window)


def test_a_viewer_sees_the_history_but_cannot_send(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, PROVIDER)
    window = open_desk(qtbot, team_db.as_person("vic", "viewer"), tmp_path / "vic")
    try:
        assert not window.form._ready
        assert window.form._not_ready_reason == "Preparing payouts needs the preparer role"
    finally:
        close_desk(qtbot, window)


def feed_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("payout-journal-") and t.is_alive()}


def test_a_desk_closed_as_soon_as_it_connects_leaves_no_feed_listening(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    """Closed while the approvals queue is still starting: every feed thread it started is joined by the close
    (none lives on, reconnecting to a database the desk has left)."""
    set_provider(team_db, PROVIDER)
    before = feed_threads()
    window = open_desk(qtbot, team_db.as_person("rosa", "preparer"), tmp_path / "rosa")
    assert feed_threads() - before  # the desk follows the feed
    close_desk(qtbot, window)
    assert not feed_threads() - before


def test_an_agent_login_is_refused_in_words(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, PROVIDER)
    window = launch_refused(qtbot, team_db.as_person("agent_z", "agent"), tmp_path / "agent")
    try:
        text = window.connection_banner.label.text()
        assert "agent_z" in text
        assert "holds no preparer, approver or viewer role" in text
        assert window.context.desk is None
    finally:
        close_desk(qtbot, window)


def test_a_database_of_another_schema_version_is_refused(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    set_provider(team_db, PROVIDER)
    conninfo = team_db.as_person("rosa", "preparer")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("INSERT INTO payout_desk.schema_migrations (version, description) VALUES (999, 'from the future')")
    window = launch_refused(qtbot, conninfo, tmp_path / "rosa")
    try:
        assert "schema version 999" in window.connection_banner.label.text()
        assert window.context.desk is None
    finally:
        close_desk(qtbot, window)


def test_no_provider_yet_keeps_the_history_and_says_so(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    window = open_desk(qtbot, team_db.as_person("rosa", "preparer"), tmp_path / "rosa", connected=False)
    try:
        assert window.connection_banner.isVisibleTo(window)
        assert "names no provider yet" in window.connection_banner.label.text()
        assert window.history is not None
    finally:
        close_desk(qtbot, window)


def launch_refused(qtbot: Any, conninfo: str, data_dir: Path) -> Any:
    return open_desk(qtbot, conninfo, data_dir, connected=False)
