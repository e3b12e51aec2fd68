"""SettingsDialog: https enforced for Live, the token in the keychain (never the settings file), the
plain no-keychain message, and Test connection against the real sandbox (good / bad / no-permission
token, unreachable port)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QLineEdit

from payout_desk.provider.models import ConnectionStatus
from payout_desk.sandbox.client import SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.secrets import SERVICE_NAME, TokenStore
from payout_desk.services.settings import AppSettings, Profile, load_settings
from payout_desk.ui.settings.dialog import NO_KEYCHAIN_TEXT, SettingsDialog
from tests.fixtures.keyring_memory import MemoryKeyring


def make_dialog(qtbot: Any, run_async: Callable[..., Any], settings: AppSettings, path: Path | None = None,
                tokens: TokenStore | None = None) -> SettingsDialog:  # fmt: skip
    dialog = SettingsDialog(settings, tokens or TokenStore(), settings_path=path)
    qtbot.addWidget(dialog)
    dialog.show()
    run_async(dialog.ready)
    return dialog


def type_into(qtbot: Any, widget: Any, text: str) -> None:
    widget.selectAll()
    widget.del_()
    qtbot.keyClicks(widget, text)


def set_threshold(qtbot: Any, dialog: SettingsDialog, code: str, text: str) -> None:
    """Type ``text`` into ``code``'s threshold cell through the table's own editor."""
    table = dialog.thresholds.table
    row = dialog.thresholds.codes().index(code)
    table.setCurrentCell(row, 1)
    table.editItem(table.item(row, 1))
    (editor,) = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible()]
    type_into(qtbot, editor, text)
    table.commitData(editor)  # what the delegate does on Return/Tab once the window has focus
    table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    assert table.item(row, 1).text() == text


def test_live_profile_must_use_https(qtbot: Any, run_async: Callable[..., Any]) -> None:
    dialog = make_dialog(qtbot, run_async, AppSettings())
    dialog.add_live_profile()
    assert dialog.name_edit.text() == "Live"  # no empty "Live" profile exists by default
    assert not dialog.save_hint.isVisible()
    assert dialog.save_hint.text() == ""
    type_into(qtbot, dialog.url_edit, "http://pay.example.com")
    assert "https://" in dialog.url_error.text()
    assert not dialog.save_button.isEnabled()
    # a disabled Save says why, next to it and in its tooltip
    assert dialog.save_hint.text().startswith("Save is off until this is fixed — Profile “Live”:")
    assert "https://" in dialog.save_hint.text()
    assert dialog.save_button.toolTip() == dialog.save_hint.text()
    type_into(qtbot, dialog.url_edit, "https://pay.example.com")
    assert dialog.url_error.text() == ""
    type_into(qtbot, dialog.token_edit, "tk_test_abc")
    assert "live token" in dialog.url_error.text()
    type_into(qtbot, dialog.token_edit, "tk_live_abc")
    assert dialog.save_button.isEnabled()
    set_threshold(qtbot, dialog, "EUR", "-5")
    assert dialog.threshold_error.text().startswith("EUR: ")
    assert not dialog.save_button.isEnabled()
    set_threshold(qtbot, dialog, "EUR", "10,00")  # once read as 1000 by stripping the comma
    assert dialog.threshold_error.text().startswith("EUR: ")
    assert not dialog.save_button.isEnabled()
    assert "Retype threshold" in dialog.save_hint.text()
    set_threshold(qtbot, dialog, "JPY", "1000.5")  # JPY has no decimal places
    set_threshold(qtbot, dialog, "EUR", "10000")
    assert dialog.threshold_error.text() == "JPY: Amount: JPY allows no decimal places."
    set_threshold(qtbot, dialog, "JPY", "1500000")
    assert dialog.threshold_error.text() == ""
    assert dialog.save_button.isEnabled()


def test_thresholds_per_currency_can_be_added_removed_and_reset(qtbot: Any, run_async: Callable[..., Any]) -> None:
    settings = AppSettings()
    dialog = make_dialog(qtbot, run_async, settings)
    editor = dialog.thresholds
    assert {"BHD", "KWD", "JOD", "OMR", "EUR", "JPY"} <= set(editor.codes())
    type_into(qtbot, editor.new_code, "pen")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert "PEN" in editor.codes()
    assert editor.thresholds() is None  # an empty threshold is not saved as "never"
    assert not dialog.save_button.isEnabled()
    set_threshold(qtbot, dialog, "PEN", "35000.00")
    type_into(qtbot, editor.new_code, "XYZ")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.error.text() == "XYZ: not an ISO 4217 currency code."
    editor.table.setCurrentCell(editor.codes().index("JPY"), 0)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    edited = editor.thresholds()
    assert edited is not None
    assert "JPY" not in edited
    assert edited["PEN"] == Decimal("35000.00")
    qtbot.mouseClick(editor.reset_button, Qt.MouseButton.LeftButton)
    assert editor.thresholds() == settings.retype_thresholds


def test_token_goes_to_the_keychain_not_the_settings_file(
    qtbot: Any, run_async: Callable[..., Any], memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    settings = AppSettings()
    dialog = make_dialog(qtbot, run_async, settings, path)
    assert dialog.keychain_notice.text().startswith("API tokens are stored in the system keychain")
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password
    assert not dialog.token_edit.isEnabled()  # the built-in sandbox (first) mints its own token
    assert not dialog.url_edit.isEnabled()
    assert dialog.kind_label.text().startswith("Built-in sandbox")
    dialog.profile_list.setCurrentRow(1)  # "Sandbox"
    assert dialog.token_edit.isEnabled()
    dialog.show_token.click()
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Normal
    type_into(qtbot, dialog.token_edit, "tk_test_secret123")
    dialog.add_live_profile()
    type_into(qtbot, dialog.url_edit, "https://api.provider.example")
    type_into(qtbot, dialog.token_edit, "tk_live_fake-456")
    set_threshold(qtbot, dialog, "EUR", "2500.50")
    dialog.active_combo.setCurrentText("Live")
    with qtbot.waitSignal(dialog.settingsSaved, timeout=5000):
        saved = dialog.save()
    assert run_async(saved) is True
    assert memory_keyring.secrets[(SERVICE_NAME, "Sandbox")] == "tk_test_secret123"
    assert memory_keyring.secrets[(SERVICE_NAME, "Live")] == "tk_live_fake-456"
    assert dialog.changed_tokens == {"Sandbox", "Live"}
    text = path.read_text(encoding="utf-8")
    assert "secret" not in text
    assert "tk_" not in text
    reloaded = load_settings(path)
    assert [p.name for p in reloaded.profiles] == ["Built-in sandbox", "Sandbox", "Live"]
    assert reloaded.active_profile == "Live"
    assert reloaded.retype_threshold("EUR") == Decimal("2500.50")
    assert reloaded.retype_threshold("BHD") == Decimal("4000.000")  # the others keep their defaults

    again = make_dialog(qtbot, run_async, reloaded)  # a stored token is not shown, only announced
    again.profile_list.setCurrentRow(1)
    assert again.token_edit.text() == ""
    assert again.token_edit.placeholderText().startswith("A token is stored")


def test_no_keychain_is_said_plainly(qtbot: Any, run_async: Callable[..., Any]) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        tokens = TokenStore()
        assert not tokens.is_persistent
        dialog = make_dialog(qtbot, run_async, AppSettings(), tokens=tokens)
        assert dialog.keychain_notice.text() == NO_KEYCHAIN_TEXT
        dialog.profile_list.setCurrentRow(1)  # "Sandbox" (the built-in one needs no token)
        type_into(qtbot, dialog.token_edit, "tk_test_memory")
        assert run_async(dialog.save()) is True
        assert tokens.get("Sandbox") == "tk_test_memory"  # memory only, for this session
    finally:
        keyring.set_keyring(previous)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("case", ["good", "bad", "no_permission", "unreachable"])
def test_connection_verdicts_against_the_sandbox(
    qtbot: Any, run_async: Callable[..., Any], sandbox_server: EmbeddedSandbox, case: str
) -> None:
    control = SandboxControl(sandbox_server.base_url)
    base_url = sandbox_server.base_url
    token = {"good": lambda: control.mint_token(payouts=True), "bad": lambda: "tk_test_not_a_real_token",
             "no_permission": lambda: control.mint_token(payouts=False),
             "unreachable": lambda: control.mint_token(payouts=True)}[case]()  # fmt: skip
    if case == "unreachable":
        base_url = f"http://127.0.0.1:{free_port()}"
    settings = AppSettings(profiles=[Profile("Sandbox", "sandbox", base_url)])
    dialog = make_dialog(qtbot, run_async, settings)
    type_into(qtbot, dialog.token_edit, token)
    check = run_async(dialog.test_connection(), timeout=30)
    expected = {"good": ConnectionStatus.OK, "bad": ConnectionStatus.BAD_TOKEN,
                "no_permission": ConnectionStatus.NO_PAYOUT_PERMISSION,
                "unreachable": ConnectionStatus.UNREACHABLE}[case]  # fmt: skip
    assert check.status is expected
    words = {
        "good": "This token can send payouts",
        "bad": "did not accept this token",
        "no_permission": "not allowed to send payouts",
        "unreachable": "Could not reach 127.0.0.1",
    }[case]
    assert words in dialog.result_label.text()
    assert token not in dialog.result_label.text()
    assert dialog.test_button.isEnabled()
