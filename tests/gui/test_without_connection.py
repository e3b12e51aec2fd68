"""Issue 14: never locked out of your own records. The real window on a journal with payouts: the history,
search, details and export work with the provider down, with no token and with a locked keychain; the banner
says what is missing with the one action that fixes it; sending stays off; reconnecting needs no restart."""

from __future__ import annotations

import csv
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from payout_desk.app import launch
from payout_desk.domain.payout import PayoutDraft, validate_draft
from payout_desk.journal import Journal
from payout_desk.services.settings import AppSettings, Profile, save_settings
from payout_desk.ui.history.columns import COL_DESCRIPTION
from tests.fixtures.keyring_memory import LockedKeyring, installed

LIVE = Profile("Acme Live", "live", "https://api.example.com")
OLD = "sandbox|http://127.0.0.1:9|merchant:mer_old|Old sandbox"


def seed(data_dir: Path) -> list[int]:
    """Three payouts sent earlier: succeeded, failed, and one still pending with its checkin page."""
    ids = []
    with Journal.open(data_dir / "journal.sqlite3") as journal:
        rows = [("1250.00", "Refund order 1042", "succeeded"), ("80.00", "Courier March", "failed"),
                ("19.99", "Refund order 1077", None)]  # fmt: skip
        for n, (amount, description, final) in enumerate(rows):
            request = validate_draft(PayoutDraft(amount=amount, currency="EUR", description=description))
            record = journal.record_confirmed(
                request, idempotency_key=f"2f1d3c58-6a55-4c38-9d0b-3f5c3f7a2b1{n}", environment="sandbox",
                profile="Old sandbox", actor="tester", connection_id=OLD,
            )  # fmt: skip
            journal.record_created(record.local_id, payment_id=f"pay_{n}", checkin_url=f"http://127.0.0.1:9/c/{n}",
                                   status="pending", actor="tester")  # fmt: skip
            if final:
                journal.record_status(record.local_id, status=final, failure_reason="account_closed" if
                                      final == "failed" else None, source="poll", actor="tester")  # fmt: skip
            ids.append(record.local_id)
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def close(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
        window.close()


def not_connected(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.connector.notConnected, timeout=20000) as blocker:
        pass
    return blocker.args[0]


def assert_records_usable(qtbot: Any, run_async: Any, window: Any, tmp_path: Path) -> None:
    """History, search, details, timeline and export, all from the journal, with sending off."""
    assert not window.findChild(QPushButton, "submitButton").isEnabled()
    assert window.context.desk is None
    panel = window.history
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=10000)
    assert window.findChild(QLabel, "historyPlaceholder") is not panel.stack.currentWidget()
    qtbot.keyClicks(panel.search_edit, "1077")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and not panel.model.is_loading(), timeout=10000)
    assert panel.model.data(panel.model.index(0, COL_DESCRIPTION), Qt.ItemDataRole.DisplayRole) == "Refund order 1077"
    panel.select_row(0)
    qtbot.waitUntil(lambda: panel.details.record() is not None, timeout=5000)
    assert panel.details.record().description == "Refund order 1077"
    timeline = panel.details.timeline
    qtbot.waitUntil(lambda: timeline.count() >= 2, timeout=5000)  # confirmed, created: from the journal
    # the checkin link is the journal's: it can be shared; opening the page needs the provider, said in words
    window.menus.actions["copyCheckinLinkAction"].trigger()
    assert QGuiApplication.clipboard().text() == "http://127.0.0.1:9/c/2"
    window.menus.actions["reopenCheckinAction"].trigger()
    error = window.findChild(QLabel, "errorBannerText")
    qtbot.waitUntil(lambda: error.text().startswith("Not connected: the checkin page opens once"), timeout=5000)
    # a refresh needs the provider: said in words, the journal's record stays
    run_async(panel.refresh_current())
    assert "Not connected to the provider" in panel.message.text()
    panel.search_edit.clear()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3 and not panel.model.is_loading(), timeout=10000)
    out = tmp_path / "history.csv"
    assert run_async(panel.export_to(out)) == 3
    with out.open(encoding="utf-8", newline="") as handle:
        descriptions = sorted(row["description"] for row in csv.DictReader(handle))
    assert descriptions == ["Courier March", "Refund order 1042", "Refund order 1077"]


def test_provider_unreachable_then_back_without_a_restart(
    qtbot: Any, run_async: Any, data_dir: Path, tmp_path: Path, sandbox_factory: Any
) -> None:
    seed(data_dir)
    port = free_port()
    window = launch(["--sandbox-url", f"http://127.0.0.1:{port}", "--data-dir", str(data_dir)])
    try:
        problem = not_connected(qtbot, window)
        assert problem.reason == "unreachable"
        banner = window.findChild(QLabel, "connectionBannerText")
        assert banner.isVisible()
        assert f"127.0.0.1:{port} cannot be reached" in banner.text()
        assert window.findChild(QPushButton, "connectionBannerAction").text() == "Try again"
        assert window.connector.retry_timer.isActive()  # it tries again by itself, too
        assert window.findChild(QLabel, "environmentBanner").text() == "NOT CONNECTED — Sandbox"
        assert_records_usable(qtbot, run_async, window, tmp_path)
        sandbox_factory(port=port)  # the provider is back
        with qtbot.waitSignal(window.connected, timeout=20000) as blocker:
            qtbot.mouseClick(window.findChild(QPushButton, "connectionBannerAction"), Qt.MouseButton.LeftButton)
        assert blocker.args[0].base_url == f"http://127.0.0.1:{port}"  # the same choice, tried again
        assert window.context.sandbox is None  # not the built-in one
        assert not window.connection_banner.isVisible()
        assert window.context.desk is not None
        qtbot.keyClicks(window.form.amount_edit, "5")
        assert window.form.submit_button.isEnabled()  # sending is on again, no restart
    finally:
        close(qtbot, window)


def test_live_profile_without_a_token_keeps_the_history(
    qtbot: Any, run_async: Any, data_dir: Path, tmp_path: Path
) -> None:
    seed(data_dir)
    settings = AppSettings(profiles=[LIVE], active_profile="Acme Live")
    save_settings(settings, data_dir / "settings.json")
    window = launch(["--data-dir", str(data_dir)])
    try:
        problem = not_connected(qtbot, window)
        assert problem.reason == "no_token"
        assert "“Acme Live” has no token" in window.findChild(QLabel, "connectionBannerText").text()
        assert window.findChild(QPushButton, "connectionBannerAction").text() == "Open Settings…"
        assert_records_usable(qtbot, run_async, window, tmp_path)
        qtbot.mouseClick(window.findChild(QPushButton, "connectionBannerAction"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=5000)  # the one action
        window.flow.settings_dialog.reject()
    finally:
        close(qtbot, window)


@pytest.fixture
def locked_keyring() -> Iterator[LockedKeyring]:
    with installed(LockedKeyring()) as backend:
        assert isinstance(backend, LockedKeyring)
        yield backend


def test_locked_keychain_says_so_and_try_again_reads_it(
    qtbot: Any, run_async: Any, data_dir: Path, tmp_path: Path, locked_keyring: LockedKeyring
) -> None:
    seed(data_dir)
    port = free_port()  # nothing listens: after the unlock, the next thing missing is the provider
    settings = AppSettings(profiles=[LIVE], active_profile="Acme Live")
    save_settings(settings, data_dir / "settings.json")
    window = launch(["--data-dir", str(data_dir)])
    try:
        problem = not_connected(qtbot, window)
        assert problem.reason == "keychain_locked"
        text = window.findChild(QLabel, "connectionBannerText").text()
        assert "keychain is locked" in text
        assert "Unlock" in text
        assert window.findChild(QPushButton, "connectionBannerAction").text() == "Try again"
        assert_records_usable(qtbot, run_async, window, tmp_path)
        locked_keyring.unlock()
        locked_keyring.set_password("payout-desk", "Acme Live", "tk_live_" + "k" * 24)
        window.context.settings.profiles[0].base_url = f"https://127.0.0.1:{port}"
        with qtbot.waitSignal(window.connector.notConnected, timeout=30000) as again:
            qtbot.mouseClick(window.findChild(QPushButton, "connectionBannerAction"), Qt.MouseButton.LeftButton)
        assert again.args[0].reason == "unreachable"  # the token was read: no restart was needed
    finally:
        close(qtbot, window)
