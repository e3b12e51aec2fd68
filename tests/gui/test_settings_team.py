"""Settings: the Team profile editor — inline errors naming the field and the rule (sslmode verify-full unless
loopback or a unix socket), a pasted connection string (its password refused), the password in the keychain and
never in the settings file, and Test connection against real PostgreSQL servers (tests/fixtures/postgres.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton

from payout_desk.services.secrets import TEAM_SERVICE_NAME, TokenStore
from payout_desk.services.settings import AppSettings, Profile, load_settings
from payout_desk.services.team_connection import TeamConnection
from payout_desk.services.team_profile import TeamCheckStatus, resolve_team_conninfo
from payout_desk.ui.settings.dialog import SettingsDialog
from tests.fixtures.keyring_memory import MemoryKeyring
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.password_server import DBNAME, PASSWORD, PasswordServer, pw_server

__all__ = ["pw_server"]  # the module-scoped fixture, used here

NAMES = ("teamHostEdit", "teamPortEdit", "teamDbnameEdit", "teamUserEdit", "teamSslrootcertEdit", "teamPasswordEdit")


def make_dialog(qtbot: Any, run_async: Callable[..., Any], settings: AppSettings, path: Path | None = None
                ) -> SettingsDialog:  # fmt: skip
    dialog = SettingsDialog(settings, TokenStore(), settings_path=path)
    qtbot.addWidget(dialog)
    dialog.show()
    run_async(dialog.ready)
    return dialog


def field(dialog: SettingsDialog, name: str) -> Any:
    found = dialog.findChild(QLineEdit, name) or dialog.findChild(QComboBox, name)
    found = found or dialog.findChild(QLabel, name) or dialog.findChild(QPushButton, name)
    assert found is not None, name
    return found


def type_into(qtbot: Any, dialog: SettingsDialog, name: str, text: str) -> None:
    edit = field(dialog, name)
    edit.selectAll()
    edit.del_()
    qtbot.keyClicks(edit, text)


def choose_sslmode(dialog: SettingsDialog, mode: str) -> None:
    combo = field(dialog, "teamSslmodeCombo")
    combo.setCurrentIndex(combo.findData(mode))
    combo.activated.emit(combo.currentIndex())  # what a person's choice emits


def shown_errors(dialog: SettingsDialog) -> dict[str, str]:
    return {n: label.text() for n, label in dialog.team_editor.errors.items() if label.isVisibleTo(dialog)}


def test_inline_errors_name_the_field_and_the_rule(qtbot: Any, run_async: Callable[..., Any]) -> None:
    dialog = make_dialog(qtbot, run_async, AppSettings())
    dialog.add_team_profile()
    assert dialog.name_edit.text() == "Team"
    assert dialog.kind_label.text().startswith("Team: ")
    assert dialog.team_editor.isVisible()
    for name in NAMES:
        widget = field(dialog, name)
        assert widget.isVisible()
        assert widget.accessibleName()
    assert field(dialog, "teamSslmodeCombo").currentData() == "verify-full"  # the default
    assert dialog.focusWidget() is field(dialog, "teamHostEdit")
    assert shown_errors(dialog) == {"dbname": "dbname: enter the team database's name"}
    assert not dialog.save_button.isEnabled()
    assert "Profile “Team”: dbname:" in dialog.save_hint.text()

    type_into(qtbot, dialog, "teamHostEdit", "db.example.com")
    type_into(qtbot, dialog, "teamDbnameEdit", "payouts")
    assert shown_errors(dialog) == {"user": "user: enter your database login (your own, not a shared one)"}
    type_into(qtbot, dialog, "teamUserEdit", "ada")
    assert shown_errors(dialog) == {}
    assert dialog.save_button.isEnabled()
    choose_sslmode(dialog, "require")
    (problem,) = shown_errors(dialog).values()
    assert list(shown_errors(dialog)) == ["sslmode"]
    assert problem.startswith("sslmode: must be verify-full, because the host db.example.com is not on this computer")
    assert not dialog.save_button.isEnabled()
    type_into(qtbot, dialog, "teamHostEdit", "127.0.0.1")  # loopback: any sslmode
    assert shown_errors(dialog) == {}
    type_into(qtbot, dialog, "teamPortEdit", "70000")
    assert shown_errors(dialog)["port"].startswith("port:")  # the validator keeps at most what fits


def test_a_pasted_connection_string_fills_the_fields_but_never_a_password(
    qtbot: Any, run_async: Callable[..., Any]
) -> None:
    dialog = make_dialog(qtbot, run_async, AppSettings())
    dialog.add_team_profile()
    type_into(qtbot, dialog, "teamConninfoEdit", "postgresql://ada:hunter2@db.example.com:6432/payouts")
    field(dialog, "teamConninfoButton").click()
    refusal = field(dialog, "teamConninfoError")
    assert refusal.isVisible()
    assert refusal.text().startswith("Connection string: password: passwords live in the keychain")
    assert "hunter2" not in refusal.text()
    assert field(dialog, "teamHostEdit").text() == ""
    type_into(qtbot, dialog, "teamConninfoEdit", "host=db.example.com port=6432 dbname=payouts user=ada "
                                                 "sslrootcert=/etc/ssl/team-ca.pem")  # fmt: skip
    field(dialog, "teamConninfoButton").click()
    assert not refusal.isVisible()
    assert [field(dialog, n).text() for n in NAMES[:5]] == ["db.example.com", "6432", "payouts", "ada",
                                                            "/etc/ssl/team-ca.pem"]  # fmt: skip
    assert field(dialog, "teamSslmodeCombo").currentData() == "verify-full"
    assert dialog.save_button.isEnabled()
    type_into(qtbot, dialog, "teamConninfoEdit", "host=localhost dbname=p user=ada sslcert=/c.crt")
    field(dialog, "teamConninfoButton").click()  # a rule on a setting without a field: said at the top
    assert refusal.text() == "sslkey: a client certificate needs both sslcert and sslkey"
    assert not dialog.save_button.isEnabled()


def test_the_password_goes_to_the_keychain_not_the_settings_file(
    qtbot: Any, run_async: Callable[..., Any], memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    dialog = make_dialog(qtbot, run_async, AppSettings(), path)
    dialog.add_team_profile()
    type_into(qtbot, dialog, "profileName", "Finance team")
    type_into(qtbot, dialog, "teamConninfoEdit", "host=db.example.com dbname=payouts user=ada")
    field(dialog, "teamConninfoButton").click()
    password = field(dialog, "teamPasswordEdit")
    assert password.echoMode() == QLineEdit.EchoMode.Password
    assert field(dialog, "teamPasswordNotice").text().startswith("The password is kept in the system keychain")
    type_into(qtbot, dialog, "teamPasswordEdit", "s3cret-Team-pw")
    dialog.active_combo.setCurrentText("Finance team")
    assert run_async(dialog.save()) is True
    assert memory_keyring.secrets[(TEAM_SERVICE_NAME, "ada@db.example.com:5432/payouts")] == "s3cret-Team-pw"
    assert not [key for key in memory_keyring.secrets if key[0] != TEAM_SERVICE_NAME]  # no token, no other entry
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    assert "password" not in text
    reloaded = load_settings(path)
    profile = reloaded.profile()
    assert profile.team == TeamConnection(host="db.example.com", dbname="payouts", user="ada")
    assert "password=s3cret-Team-pw" in resolve_team_conninfo(profile, TokenStore())  # what the launch gets

    again = make_dialog(qtbot, run_async, reloaded, path)
    again.profile_list.setCurrentRow(len(reloaded.profiles) - 1)
    run_async(again.team_editor.lookup)
    assert field(again, "teamPasswordEdit").text() == ""
    assert field(again, "teamPasswordEdit").placeholderText().startswith("A password is stored")
    again.remove_button.click()  # the last profile using that login/host/port/database: its password goes too
    assert run_async(again.save()) is True
    assert memory_keyring.secrets == {}
    assert "team_profiles" not in json.loads(path.read_text(encoding="utf-8"))


def test_test_connection_as_a_person_and_as_a_stranger(
    qtbot: Any, run_async: Callable[..., Any], team_db: TeamDb
) -> None:
    team_db.as_person("pia", "preparer")
    dialog = make_dialog(qtbot, run_async, AppSettings())
    dialog.add_team_profile()
    type_into(qtbot, dialog, "teamHostEdit", str(team_db.server.socket_dir))  # a unix socket: any sslmode
    type_into(qtbot, dialog, "teamPortEdit", str(team_db.server.port))
    type_into(qtbot, dialog, "teamDbnameEdit", team_db.name)
    type_into(qtbot, dialog, "teamUserEdit", "pia")
    result = field(dialog, "teamConnectionResult")
    check = run_async(dialog.team_editor.test_connection())
    assert check.status is TeamCheckStatus.OK
    assert f"Connected to “{team_db.name}” as pia (preparer)" in result.text()
    assert field(dialog, "teamTestButton").isEnabled()
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE stranger LOGIN")  # a login of the server, not a person of the team
    try:
        type_into(qtbot, dialog, "teamUserEdit", "stranger")
        assert result.text() == ""  # an edit clears the last verdict
        check = run_async(dialog.team_editor.test_connection())
    finally:
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("DROP ROLE stranger")
    assert check.status is TeamCheckStatus.NOT_A_PERSON
    assert "stranger is not a person of this team" in result.text()


def test_test_connection_with_a_password_typed_stored_and_wrong(
    qtbot: Any, run_async: Callable[..., Any], pw_server: PasswordServer
) -> None:
    settings = AppSettings()
    tc = TeamConnection(host="127.0.0.1", port=pw_server.tcp_port, dbname=DBNAME, user="pia", sslmode="disable")
    settings.profiles.append(Profile("Team", "team", "", team=tc))
    dialog = make_dialog(qtbot, run_async, settings)
    dialog.profile_list.setCurrentRow(len(settings.profiles) - 1)
    result = field(dialog, "teamConnectionResult")
    check = run_async(dialog.team_editor.test_connection())
    assert check.status is TeamCheckStatus.AUTH_FAILED
    assert "No password is stored for this login" in result.text()
    type_into(qtbot, dialog, "teamPasswordEdit", "wrong")
    assert run_async(dialog.team_editor.test_connection()).status is TeamCheckStatus.AUTH_FAILED
    assert result.text().startswith("Failed: The database refused the login pia")
    type_into(qtbot, dialog, "teamPasswordEdit", PASSWORD)
    assert run_async(dialog.team_editor.test_connection()).ok
    assert run_async(dialog.save()) is True
    again = make_dialog(qtbot, run_async, settings)  # the stored password is used when none is typed
    again.profile_list.setCurrentRow(len(settings.profiles) - 1)
    assert run_async(again.team_editor.test_connection()).ok
    assert PASSWORD not in field(again, "teamConnectionResult").text()
    choose_sslmode(again, "verify-full")  # TLS asked of a server without it: said, nothing sent
    assert run_async(again.team_editor.test_connection()).status is TeamCheckStatus.TLS_ERROR
    assert "could not be verified" in field(again, "teamConnectionResult").text()


SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")


@pytest.mark.skipif(not SHOTS, reason="set PAYOUT_DESK_SHOTS=<dir> to take the Team profile's screenshot")
def test_screenshot_of_the_team_profile_editor(qtbot: Any, run_async: Callable[..., Any]) -> None:
    dialog = make_dialog(qtbot, run_async, AppSettings())
    dialog.add_team_profile()
    type_into(qtbot, dialog, "profileName", "Finance team")
    type_into(qtbot, dialog, "teamConninfoEdit", "host=db.corp.example port=5432 dbname=payouts user=ada "
                                                 "sslrootcert=/etc/ssl/certs/corp-ca.pem")  # fmt: skip
    field(dialog, "teamConninfoButton").click()
    choose_sslmode(dialog, "require")
    dialog.resize(900, int(os.environ.get("PAYOUT_DESK_SHOT_HEIGHT", "760")))
    qtbot.wait(100)
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(out / "settings-team-profile.png"))
