"""Switching to and from a Team profile in Settings without restarting (issue 20): Save with a Team profile active
and the window closes its journal cleanly and opens the team database (the person's login, the password from the
keychain, the sslmode rule checked) — banner TEAM and the database, the history reloaded, the approvals page
there — and back again; a profile that cannot open is refused in words while the journal in use stays open. The
form's draft survives every switch. Real PostgreSQL (tests/fixtures/postgres.py), the real Settings dialog."""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg.conninfo
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from payout_desk.app import launch
from payout_desk.journal.async_journal import AsyncJournal
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.services.profiles import BUILTIN_PROFILE, Profile
from payout_desk.services.settings import AppSettings, save_settings
from payout_desk.services.team_connection import TeamConnection
from payout_desk.services.team_desk import TeamDesk
from payout_desk.ui.history.columns import COL_CREATED_BY
from payout_desk.ui.settings.dialog import SettingsDialog
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, shown_record
from tests.gui.test_settings_team import choose_sslmode, type_into
from tests.integration.postgres.password_server import DBNAME, PASSWORD, PasswordServer, pw_server
from tests.integration.postgres.team_setup import confirm, set_provider

__all__ = ["pw_server"]  # the module-scoped fixture, used here

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk
MS = 30000


def socket_of(conninfo: str) -> tuple[str, int]:
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    return str(params["host"]), int(str(params["port"]))


def is_closed(journal: Any) -> bool:
    return journal._executor is None  # its worker thread gone: closed


def banner(window: Any) -> str:
    return str(window.findChild(QLabel, "environmentBanner").text())


def type_draft(qtbot: Any, window: Any) -> None:
    """A payout half typed: it must survive the switch."""
    qtbot.keyClicks(window.findChild(QLineEdit, "amountEdit"), "12.34")
    qtbot.keyClicks(window.findChild(QLineEdit, "descriptionEdit"), "Refund typed before the switch")


def assert_draft_kept(window: Any) -> None:
    assert window.findChild(QLineEdit, "amountEdit").text() == "12.34"
    assert window.findChild(QLineEdit, "descriptionEdit").text() == "Refund typed before the switch"


def save_in_settings(qtbot: Any, run_async: Callable[..., Any], window: Any, edit: Callable[[SettingsDialog], None]
                     ) -> None:  # fmt: skip
    """Open Settings from the window, ``edit`` it as a person would, click Save (the dialog closes)."""
    window.open_settings()
    qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=MS)
    dialog = window.flow.settings_dialog
    run_async(dialog.ready)
    edit(dialog)
    assert dialog.save_button.isEnabled(), dialog.save_hint.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.flow.settings_dialog is None, timeout=MS)


def add_team(qtbot: Any, host: str, port: int, dbname: str, user: str, password: str = "") -> Callable[..., None]:
    """An edit adding a Team profile ("Team"), made the profile in use."""

    def edit(dialog: SettingsDialog) -> None:
        dialog.add_team_profile()
        type_into(qtbot, dialog, "teamHostEdit", host)
        type_into(qtbot, dialog, "teamPortEdit", str(port))
        type_into(qtbot, dialog, "teamDbnameEdit", dbname)
        type_into(qtbot, dialog, "teamUserEdit", user)
        choose_sslmode(dialog, "prefer")  # a unix socket or loopback: the rule allows it
        if password:
            type_into(qtbot, dialog, "teamPasswordEdit", password)
        dialog.active_combo.setCurrentText("Team")

    return edit


def use_profile(name: str) -> Callable[[SettingsDialog], None]:
    def edit(dialog: SettingsDialog) -> None:
        dialog.active_combo.setCurrentText(name)

    return edit


def wait_connected(qtbot: Any, window: Any, act: Callable[[], None]) -> None:
    with qtbot.waitSignal(window.connected, timeout=MS):
        act()


def approvals_tab(window: Any) -> bool:
    return window.approvals is not None and window.tabs.indexOf(window.approvals) >= 0


def launch_on_team_profile(qtbot: Any, team_db: TeamDb, data_dir: Path) -> Any:
    """A desk launched with the Team profile "Our team" (rita, a preparer, on ``team_db``) in use; connected."""
    host, port = socket_of(team_db.as_person("rita", "preparer"))
    team = TeamConnection(host=host, port=port, dbname=team_db.name, user="rita", sslmode="prefer")
    settings = AppSettings()
    settings.profiles.append(Profile("Our team", "team", "", 24.0, team))
    settings.active_profile = "Our team"
    save_settings(settings, data_dir / "settings.json")
    window = launch(["--data-dir", str(data_dir)])
    wait_connected(qtbot, window, lambda: None)
    return window


def test_switch_from_the_built_in_sandbox_to_a_team_profile_and_back(
    qtbot: Any, run_async: Callable[..., Any], team_db: TeamDb, data_dir: Path
) -> None:
    identity = set_provider(team_db, PROVIDER)
    (first,) = confirm(team_db, identity, 1)  # by pia
    team_db.as_person("rita", "preparer")
    host, port = socket_of(team_db.admin)
    window = launch(["--sandbox", "--data-dir", str(data_dir)])
    try:
        wait_connected(qtbot, window, lambda: None)
        local = window.context._journal
        assert isinstance(local, AsyncJournal)
        assert not approvals_tab(window)
        type_draft(qtbot, window)

        wait_connected(qtbot, window, lambda: save_in_settings(qtbot, run_async, window,
                                                               add_team(qtbot, host, port, team_db.name, "rita")))
        team_desk = window.context.desk
        assert isinstance(team_desk, TeamDesk)
        assert team_desk.client is None  # no provider token on a team desk
        assert isinstance(window.context._journal, AsyncPgJournal)
        assert is_closed(local)  # the local journal was closed, not left behind
        assert not window.context.sandbox  # the built-in sandbox stopped with it
        assert banner(window).startswith("TEAM — ")
        assert team_db.name in banner(window)
        assert "as rita" in banner(window)
        qtbot.waitUntil(lambda: shown_record(window, first) is not None, timeout=MS)  # the team's history
        assert not window.history.table.isColumnHidden(COL_CREATED_BY)
        assert approvals_tab(window)
        assert window.form._ready
        assert_draft_kept(window)
        shots = os.environ.get("PAYOUT_DESK_SHOTS")
        if shots:  # the switched desk, for a person to look at
            window.grab().save(str(Path(shots) / "team-profile-switched.png"))

        approvals = window.approvals
        wait_connected(qtbot, window, lambda: save_in_settings(qtbot, run_async, window, use_profile(BUILTIN_PROFILE)))
        assert team_desk.feed._task is None  # the team desk stopped following the feed
        assert approvals._watch.done()  # and so did its approvals page
        assert isinstance(window.context._journal, AsyncJournal)
        assert window.context.desk.client is not None
        assert banner(window) == "SANDBOX"
        assert not approvals_tab(window)
        assert window.history.table.isColumnHidden(COL_CREATED_BY)
        qtbot.waitUntil(lambda: window.history.model.rowCount() == 0, timeout=MS)  # this computer's (empty) journal
        assert window.form._ready
        assert_draft_kept(window)
    finally:
        close_desk(qtbot, window)


def test_a_desk_launched_on_a_team_profile_switches_to_the_built_in_sandbox(
    qtbot: Any, run_async: Callable[..., Any], team_db: TeamDb, data_dir: Path
) -> None:
    identity = set_provider(team_db, PROVIDER)
    (first,) = confirm(team_db, identity, 1)
    window = launch_on_team_profile(qtbot, team_db, data_dir)
    try:
        assert banner(window).startswith("TEAM — ")
        qtbot.waitUntil(lambda: shown_record(window, first) is not None, timeout=MS)
        team_journal, team_desk = window.context._journal, window.context.desk
        qtbot.waitUntil(lambda: approvals_tab(window), timeout=MS)
        type_draft(qtbot, window)

        wait_connected(qtbot, window, lambda: save_in_settings(qtbot, run_async, window, use_profile(BUILTIN_PROFILE)))
        assert banner(window) == "SANDBOX"
        assert is_closed(team_journal)
        assert team_desk.feed._task is None
        assert not approvals_tab(window)
        assert shown_record(window, first) is None
        assert (data_dir / "journal.sqlite3").exists()
        assert_draft_kept(window)
    finally:
        close_desk(qtbot, window)


def test_the_team_password_comes_from_the_keychain_and_a_wrong_one_keeps_the_journal_in_use(
    qtbot: Any, run_async: Callable[..., Any], pw_server: PasswordServer, data_dir: Path
) -> None:
    with psycopg.connect(pw_server.admin, autocommit=True) as conn:
        conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (PROVIDER,))
    window = launch(["--sandbox", "--data-dir", str(data_dir)])
    try:
        wait_connected(qtbot, window, lambda: None)
        local, history = window.context._journal, window.history
        type_draft(qtbot, window)
        problems: list[str] = []
        window.connectFailed.connect(problems.append)

        save_in_settings(qtbot, run_async, window,
                         add_team(qtbot, "127.0.0.1", pw_server.tcp_port, DBNAME, "pia", "not-the-password"))
        qtbot.waitUntil(lambda: bool(problems), timeout=MS)
        assert "password authentication failed" in problems[0]
        assert "not-the-password" not in problems[0]
        assert "journal in use stays open" in problems[0]
        assert window.context._journal is local  # the journal in use stays open, its history shown
        assert not is_closed(local)
        assert window.history is history
        assert window.context.desk is None  # nothing is sent with the profile that was left
        assert window.findChild(QPushButton, "connectionBannerAction").text() == "Try again"
        assert_draft_kept(window)

        def right_password(dialog: SettingsDialog) -> None:
            dialog.profile_list.setCurrentRow(len(dialog._drafts) - 1)
            type_into(qtbot, dialog, "teamPasswordEdit", PASSWORD)

        wait_connected(qtbot, window, lambda: save_in_settings(qtbot, run_async, window, right_password))
        assert banner(window).startswith(f"TEAM — {DBNAME}")
        assert "as pia" in banner(window)
        assert PASSWORD not in banner(window)
        assert is_closed(local)
        assert approvals_tab(window)
        assert_draft_kept(window)
    finally:
        close_desk(qtbot, window)


def test_a_team_profile_breaking_the_sslmode_rule_is_refused_and_the_desk_is_not_locked_out(
    qtbot: Any, run_async: Callable[..., Any], data_dir: Path
) -> None:
    window = launch(["--sandbox", "--data-dir", str(data_dir)])
    try:
        wait_connected(qtbot, window, lambda: None)
        local, history = window.context._journal, window.history
        problems: list[str] = []
        window.connectFailed.connect(problems.append)
        # Settings' editor never saves such a profile: a settings file edited by hand has it.
        settings = window.context.settings
        team = TeamConnection(host="db.example.com", dbname="payouts", user="rita", sslmode="prefer")
        settings.profiles.append(Profile("Edited by hand", "team", "", 24.0, team))
        settings.active_profile = "Edited by hand"
        window.flow.connectionSettingsChanged.emit()  # what Save emits when the connection changed
        qtbot.waitUntil(lambda: bool(problems), timeout=MS)
        assert "sslmode" in problems[0]
        assert "verify-full" in problems[0]
        assert window.context._journal is local
        assert window.history is history
        assert window.context.desk is None
        button = window.findChild(QPushButton, "connectionBannerAction")
        assert button.text() == "Open Settings…"  # the way out: fix the profile, or choose another one
        shots = os.environ.get("PAYOUT_DESK_SHOTS")
        if shots:  # the refusal, for a person to look at
            window.grab().save(str(Path(shots) / "team-profile-refused.png"))

        def remove_it(dialog: SettingsDialog) -> None:  # Save stays off while it is there
            dialog.profile_list.setCurrentRow(len(dialog._drafts) - 1)
            qtbot.mouseClick(dialog.findChild(QPushButton, "removeProfileButton"), Qt.MouseButton.LeftButton)
            dialog.active_combo.setCurrentText(BUILTIN_PROFILE)

        wait_connected(qtbot, window, lambda: save_in_settings(qtbot, run_async, window, remove_it))
        assert banner(window) == "SANDBOX"
        assert window.context._journal is local  # the same journal: nothing had to be switched
        assert window.form._ready
    finally:
        close_desk(qtbot, window)


def test_editing_the_team_profile_in_use_moves_the_desk_to_that_database(
    qtbot: Any, run_async: Callable[..., Any], team_db: TeamDb, pw_server: PasswordServer, data_dir: Path
) -> None:
    set_provider(team_db, PROVIDER)
    with psycopg.connect(pw_server.admin, autocommit=True) as conn:
        conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (PROVIDER,))
    window = launch_on_team_profile(qtbot, team_db, data_dir)
    try:
        assert team_db.name in banner(window)
        first_journal = window.context._journal
        type_draft(qtbot, window)

        def other_database(dialog: SettingsDialog) -> None:  # the same profile, now the other team's database
            dialog.profile_list.setCurrentRow(len(dialog._drafts) - 1)
            type_into(qtbot, dialog, "teamHostEdit", "127.0.0.1")
            type_into(qtbot, dialog, "teamPortEdit", str(pw_server.tcp_port))
            type_into(qtbot, dialog, "teamDbnameEdit", DBNAME)
            type_into(qtbot, dialog, "teamUserEdit", "pia")
            type_into(qtbot, dialog, "teamPasswordEdit", PASSWORD)

        wait_connected(qtbot, window, lambda: save_in_settings(qtbot, run_async, window, other_database))
        assert banner(window).startswith(f"TEAM — {DBNAME}")
        assert "as pia" in banner(window)
        assert is_closed(first_journal)
        assert isinstance(window.context._journal, AsyncPgJournal)
        qtbot.waitUntil(lambda: approvals_tab(window), timeout=MS)
        assert_draft_kept(window)
    finally:
        close_desk(qtbot, window)


def test_the_window_never_freezes_while_a_team_database_does_not_answer(qtbot: Any, data_dir: Path) -> None:
    """The keychain, the connect and its timeout all run off the GUI thread: a 10 ms timer keeps ticking while the
    desk waits for a server that accepts the connection and never answers; then it says so, journal kept."""
    window = launch(["--sandbox", "--data-dir", str(data_dir)])
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        try:
            wait_connected(qtbot, window, lambda: None)
            local, history = window.context._journal, window.history
            problems: list[str] = []
            window.connectFailed.connect(problems.append)
            team = TeamConnection(host="127.0.0.1", port=silent.getsockname()[1], dbname="payouts", user="rita",
                                  sslmode="disable", connect_timeout=2)  # fmt: skip
            window.context.settings.profiles.append(Profile("Silent team", "team", "", 24.0, team))
            window.context.settings.active_profile = "Silent team"
            stamps: list[float] = []
            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(lambda: stamps.append(time.monotonic()))
            timer.start()
            window.flow.connectionSettingsChanged.emit()  # what Save emits when the connection changed
            qtbot.waitUntil(lambda: bool(problems), timeout=MS)
            timer.stop()
            gaps = [b - a for a, b in itertools.pairwise(stamps)]
            assert stamps[-1] - stamps[0] > 1.5  # it did wait for the server, ticking all along
            assert max(gaps) < 0.5, f"the GUI thread stalled for {max(gaps):.3f} s"
            assert "Could not open the team database of “Silent team”" in problems[0]
            assert window.context._journal is local
            assert window.history is history
            assert window.findChild(QPushButton, "connectionBannerAction").text() == "Try again"
        finally:
            close_desk(qtbot, window)
