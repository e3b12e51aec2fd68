"""A team desk that cannot open its database says so and keeps saying it (audit F5, F15).

* ``payout-desk --team CONNINFO`` (and ``launch``) applies the Team profile's rule — sslmode=verify-full unless
  every host is loopback or a unix socket, ``hostaddr`` and URIs included — before anything is dialled: refused
  in words naming sslmode and the host; the window opens and says why.
* A login with no Payout Desk role, or one that does not exist: the environment banner reads
  "TEAM — not connected" (not "Connecting…" for ever), the message sits in the connection banner (no ✕ to lose
  it) with Try again, and the refusal is one log line without a traceback; on the terminal, one line.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QToolButton

from payout_desk.app import launch
from payout_desk.services.profiles import Profile
from payout_desk.services.settings import AppSettings, save_settings
from payout_desk.services.team_connection import TeamConnection
from tests.fixtures.postgres import SUPERUSER, PgServer, TeamDb, running_server
from tests.gui.team.helpers import close_desk
from tests.integration.postgres.team_setup import set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk
SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")


def refused_desk(qtbot: Any, conninfo: str, data_dir: Path) -> tuple[Any, list[str]]:
    """A ``--team`` window and what it said through ``connectFailed`` (waited for)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    window: Any = launch(["--team", conninfo, "--data-dir", str(data_dir)])
    said: list[str] = []
    window.connectFailed.connect(said.append)
    qtbot.waitUntil(lambda: bool(said), timeout=30000)
    return window, said


def shoot(qtbot: Any, window: Any, name: str) -> None:
    """With PAYOUT_DESK_SHOTS=<dir>: the window at 1024×640 as a PNG there (to look at, not to assert on)."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.width() == 1024, timeout=5000)
    window.grab().save(str(Path(SHOTS) / name))


def banner_text(window: Any) -> str:
    return str(window.findChild(QLabel, "environmentBanner").text())


def assert_refused_and_kept(window: Any, *words: str, action: str = "Try again") -> str:
    """The window says TEAM — not connected; the message is in the connection banner, which has no ✕; its
    button is ``action``; no dismissable error banner carries it. Returns the message."""
    assert banner_text(window) == "TEAM — not connected"
    assert window.connection_label.text() == "Not connected: TEAM"
    banner = window.connection_banner
    assert banner.isVisibleTo(window)
    text = str(banner.label.text())
    for word in words:
        assert word in text
    assert not banner.findChildren(QToolButton)  # nothing dismisses it while nothing works
    button = banner.findChild(QPushButton, "connectionBannerAction")
    assert button.text() == action
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus  # keyboard reachable
    assert window.shown_error() == ""
    assert not window.form._ready
    assert window.context.desk is None
    return text


@pytest.mark.parametrize(
    ("conninfo", "host"),
    [
        ("host=10.1.2.3 dbname=payouts user=anna sslmode=require connect_timeout=2", "10.1.2.3"),
        ("host=db.invalid dbname=payouts user=anna connect_timeout=2", "db.invalid"),  # libpq's default: prefer
        ("postgresql://anna@127.0.0.1:1/payouts?hostaddr=192.0.2.5&connect_timeout=2", "192.0.2.5"),
        ("host=localhost,10.9.8.7 dbname=payouts user=anna sslmode=verify-ca connect_timeout=2", "10.9.8.7"),
    ],
)
def test_team_conninfo_to_another_computer_without_verify_full_is_refused_before_dialling(
    qtbot: Any, tmp_path: Path, conninfo: str, host: str
) -> None:
    window, said = refused_desk(qtbot, conninfo, tmp_path / "desk")
    try:
        assert window.isVisible()  # no lockout: the window is there and says why
        text = assert_refused_and_kept(window, "sslmode", "verify-full", host, "was not contacted")
        assert said == [text.split(" — nothing is shown or sent. ", 1)[1]]
        assert "connection failed" not in text  # nothing was dialled
        assert "translate host name" not in text
        assert window.context._journal is None
        if host == "10.1.2.3":
            shoot(qtbot, window, "team-refused-sslmode.png")
    finally:
        close_desk(qtbot, window)


def test_a_login_with_no_payout_desk_role_is_not_connected_and_can_try_again(
    qtbot: Any, team_db: TeamDb, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    set_provider(team_db, PROVIDER)
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS zed")
        conn.execute("CREATE ROLE zed LOGIN")
    conninfo = team_db.server.conninfo(team_db.name, user="zed")
    caplog.set_level(logging.INFO)
    window, _said = refused_desk(qtbot, conninfo, tmp_path / "zed")
    try:
        assert_refused_and_kept(window, "zed", "no Payout Desk role")
        assert not [r for r in caplog.records if r.exc_info]  # an expected refusal: no traceback in the log
        assert window.history is None
        shoot(qtbot, window, "team-refused-no-role.png")
        # the administrator adds zed meanwhile: Try again opens the desk, no restart
        team_db.as_person("zed", "viewer")
        with qtbot.waitSignal(window.connected, timeout=30000):
            window.connection_banner.findChild(QPushButton, "connectionBannerAction").click()
        assert banner_text(window).startswith("TEAM — ")
        assert "not connected" not in banner_text(window)
        assert not window.connection_banner.isVisibleTo(window)
        assert window.history is not None
    finally:
        close_desk(qtbot, window)
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("REVOKE payout_desk_viewer FROM zed")


def test_a_team_profile_breaking_the_rule_offers_settings(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    """The active Team profile (no --team) to another computer without verify-full: the same banner, and its
    button opens Settings, where the profile is fixed."""
    settings = AppSettings()
    team = TeamConnection(host="db.example.com", dbname=team_db.name, user="remo", sslmode="require")
    settings.profiles.append(Profile("Our team", "team", "", 24.0, team))
    settings.active_profile = "Our team"
    (tmp_path / "remo").mkdir()
    save_settings(settings, tmp_path / "remo" / "settings.json")
    window: Any = launch(["--data-dir", str(tmp_path / "remo")])
    said: list[str] = []
    window.connectFailed.connect(said.append)
    qtbot.waitUntil(lambda: bool(said), timeout=30000)
    try:
        assert_refused_and_kept(
            window, "Our team", "sslmode", "db.example.com", "Fix it in Settings", action="Settings…"
        )
        window.connection_banner.findChild(QPushButton, "connectionBannerAction").click()
        qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=10000)
        assert window.flow.settings_dialog.objectName() == "settingsDialog"
        window.flow.settings_dialog.reject()
    finally:
        close_desk(qtbot, window)


def test_a_login_that_does_not_exist_is_not_connected_in_words(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    window, said = refused_desk(qtbot, team_db.server.conninfo(team_db.name, user="nosuch"), tmp_path / "nosuch")
    try:
        text = assert_refused_and_kept(window, "nosuch", "does not exist", "Check the login, its password")
        assert "Lost the connection" not in text  # it never had one
        assert len(said) == 1
    finally:
        close_desk(qtbot, window)


@pytest.fixture(scope="module")
def password_server() -> Iterator[PgServer]:
    """A cluster that asks every login but its superuser for a password (scram-sha-256 on the unix socket)."""
    folder = Path(tempfile.mkdtemp(prefix="pd-hba-"))
    folder.chmod(0o755)  # the server's user reads it
    hba = folder / "pg_hba.conf"
    hba.write_text(f"local all {SUPERUSER} trust\nlocal all all scram-sha-256\n")
    hba.chmod(0o644)
    try:
        with running_server({"hba_file": f"'{hba}'"}) as server:
            with psycopg.connect(server.conninfo(), autocommit=True) as conn:
                conn.execute("CREATE ROLE pat LOGIN PASSWORD 'the-right-one'")
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_wrong_password_is_not_connected_in_words(qtbot: Any, password_server: PgServer, tmp_path: Path) -> None:
    conninfo = password_server.conninfo("postgres", user="pat") + " password=a-wrong-one"
    window, _said = refused_desk(qtbot, conninfo, tmp_path / "pat")
    try:
        text = assert_refused_and_kept(window, "pat", "password authentication failed", "Check the login, its password")
        assert "a-wrong-one" not in text
    finally:
        close_desk(qtbot, window)


def _stderr_lines(process: subprocess.Popen[str], into: queue.Queue[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        into.put(line)


def test_the_terminal_gets_one_line_and_no_traceback(team_db: TeamDb, tmp_path: Path) -> None:
    """``payout-desk --team`` as a person would start it: a refusal is one line on stderr."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    conninfo = team_db.server.conninfo(team_db.name, user="nosuch")
    command = [sys.executable, "-m", "payout_desk", "--team", conninfo, "--data-dir", str(tmp_path / "d")]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_stderr_lines, args=(process, lines), daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=20)
        reader.join(timeout=10)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert first.startswith("payout-desk: not connected — Could not open the team database: ")
    assert 'role "nosuch" does not exist' in first
    assert "(the history is available)" not in first  # there is none without the database
    assert rest == []
    log_text = "".join(p.read_text() for p in (tmp_path / "d").rglob("*.log"))
    assert "Traceback" not in log_text
    assert "not connected to the team database" in log_text
