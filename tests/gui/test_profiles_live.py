"""Issue 14: profiles switch live (Settings reconnects, no restart; payouts keep their own connection), and a
Live profile on a machine with no usable keychain asks for its token once per start, keeps it in memory and
never loops."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from payout_desk.app import launch
from payout_desk.domain.payout import PayoutDraft, validate_draft
from payout_desk.services.settings import BUILTIN_PROFILE, AppSettings, Profile, save_settings
from payout_desk.ui.history.columns import COL_DESCRIPTION, COL_STATUS
from tests.fixtures.keyring_memory import installed

TOKEN = "tk_live_" + "m" * 24  # a made-up token, typed in the dialog


def close(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
        window.close()


def statuses(model: Any) -> dict[str, str]:
    """Description → status text of every loaded row."""
    display = Qt.ItemDataRole.DisplayRole
    return {model.data(model.index(r, COL_DESCRIPTION), display): model.data(model.index(r, COL_STATUS), display)
            for r in range(model.rowCount())}  # fmt: skip


def switch_to(qtbot: Any, run_async: Any, window: Any, profile: str) -> Any:
    """Choose ``profile`` in Settings and save: the window reconnects; returns the new connection."""
    window.open_settings()
    qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=5000)
    dialog = window.flow.settings_dialog
    run_async(dialog.ready)
    dialog.active_combo.setCurrentText(profile)
    with qtbot.waitSignal(window.connected, timeout=30000) as blocker:
        assert run_async(dialog.save()) is True
    return blocker.args[0]


def test_profile_switch_reconnects_and_payouts_keep_their_connection(
    qtbot: Any, run_async: Any, data_dir: Path, sandbox: Any
) -> None:
    settings = AppSettings(
        profiles=[Profile(BUILTIN_PROFILE, "embedded", ""), Profile("Staging", "sandbox", sandbox.base_url)],
        active_profile=BUILTIN_PROFILE,
    )
    save_settings(settings, data_dir / "settings.json")
    window = launch(["--data-dir", str(data_dir)])
    try:
        qtbot.waitUntil(lambda: window.context.connection is not None, timeout=20000)
        first = run_async(window.context.desk.submit(validate_draft(PayoutDraft("10.00", "EUR", "built-in one"))))
        assert first.status == "pending"

        staging = switch_to(qtbot, run_async, window, "Staging")
        assert staging.profile == "Staging"
        assert not staging.embedded
        assert window.context.sandbox is None  # the built-in sandbox stopped with its profile
        assert window.findChild(QPushButton, "submitButton") is window.form.submit_button
        desk = window.context.desk
        assert desk.connection_id != first.connection_id
        second = run_async(desk.submit(validate_draft(PayoutDraft("20.00", "EUR", "staging one"))))
        assert second.status == "pending"
        assert second.connection_id == desk.connection_id
        assert first.local_id not in desk.following  # never asked about through another connection
        model = window.history.model
        waits = "Waiting for profile Built-in sandbox"
        qtbot.waitUntil(lambda: len(statuses(model)) == 2 and waits in statuses(model)["built-in one"], timeout=10000)
        assert "Waiting" not in statuses(model)["staging one"]

        back = switch_to(qtbot, run_async, window, BUILTIN_PROFILE)
        assert back.embedded
        assert window.context.desk.connection_id == first.connection_id  # same merchant, same identity
        qtbot.waitUntil(lambda: "Waiting for profile Staging" in statuses(model)["staging one"], timeout=10000)
        assert "Waiting" not in statuses(model)["built-in one"]
        assert window.context.settings.active_profile == BUILTIN_PROFILE
    finally:
        close(qtbot, window)


@pytest.fixture
def no_keychain() -> Iterator[None]:
    with installed(fail.Keyring()):
        yield


def test_keychain_less_live_profile_asks_once_per_start_and_never_loops(
    qtbot: Any, run_async: Any, data_dir: Path, no_keychain: None
) -> None:
    with socket.socket() as s:  # a Live address where nothing listens: after the token, the provider is missing
        s.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{s.getsockname()[1]}"
    save_settings(AppSettings(profiles=[Profile("Acme Live", "live", url)], active_profile="Acme Live"),
                  data_dir / "settings.json")  # fmt: skip

    window = launch(["--data-dir", str(data_dir)])  # first start
    try:
        qtbot.waitUntil(lambda: window.connector.token_dialog is not None, timeout=20000)
        assert window.connector.problem.reason == "token_needed"
        dialog = window.connector.token_dialog
        assert dialog.objectName() == "tokenPromptDialog"
        assert "kept in memory only" in dialog.labelText()
        dialog.setTextValue(TOKEN)
        with qtbot.waitSignal(window.connector.notConnected, timeout=30000) as after:
            dialog.accept()
        assert after.args[0].reason == "unreachable"  # the token is in use now; the address is what is missing
        assert "kept in memory until you close Payout Desk" in window.statusBar().currentMessage()
        tokens = run_async(window.context.token_store())
        assert not tokens.is_persistent
        assert tokens.get("Acme Live") == TOKEN  # kept in memory for this run
        assert window.connector.token_dialog is None  # not asked again in this run
    finally:
        close(qtbot, window)
    for path in data_dir.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes()  # never written to disk

    again = launch(["--data-dir", str(data_dir)])  # second start: asked once more, and only once
    try:
        qtbot.waitUntil(lambda: again.connector.token_dialog is not None, timeout=20000)
        with qtbot.waitSignal(again.connector.token_dialog.finished, timeout=5000):
            again.connector.token_dialog.reject()  # not now
        assert again.connector.token_dialog is None  # no loop: it does not come back by itself
        action = again.findChild(QPushButton, "connectionBannerAction")
        assert action.text() == "Enter the token…"
        assert "no system keychain" in again.connection_banner.label.text()
        qtbot.mouseClick(action, Qt.MouseButton.LeftButton)
        assert again.connector.token_dialog is not None  # the banner's one action asks again
        again.connector.token_dialog.reject()
    finally:
        close(qtbot, again)
