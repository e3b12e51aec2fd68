"""The whole window against a real sandbox: launch, banner, rejection, notification, shortcuts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from payout_desk.app import launch
from payout_desk.app.context import Connection
from payout_desk.sandbox.client import SandboxControl
from payout_desk.ui.frame.window_context import banner_text


def launch_connected(qtbot: Any, base_url: str, data_dir: Path) -> Any:
    window = launch(["--sandbox-url", base_url, "--data-dir", str(data_dir)])
    qtbot.waitUntil(lambda: window.context.connection is not None and window.history is not None, timeout=20000)
    return window


def close(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
        window.close()


def test_launch_with_sandbox_url_isolated_in_data_dir(qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path) -> None:
    window = launch(["--sandbox-url", sandbox.base_url, "--data-dir", str(data_dir)])
    try:
        assert window.findChild(QLabel, "environmentBanner").text() == "SANDBOX"
        submit = window.findChild(QPushButton, "submitButton")
        assert not submit.isEnabled()
        with qtbot.waitSignal(window.connected, timeout=20000) as blocker:
            pass
        connection = blocker.args[0]
        assert connection.base_url == sandbox.base_url.rstrip("/")
        assert connection.token_kind == "test"
        assert not connection.embedded
        assert (data_dir / "journal.sqlite3").exists()
        assert window.context.paths.settings == data_dir / "settings.json"
        assert window.findChild(QLabel, "connectionLabel").text().startswith("Connected")
        qtbot.keyClicks(window.findChild(QLineEdit, "amountEdit"), "5")
        assert submit.isEnabled()
        assert window.findChild(QLineEdit, "searchEdit") is not None  # the history panel is embedded
    finally:
        close(qtbot, window)
    assert window.context.sandbox is None  # nothing embedded to stop


def test_provider_rejection_is_calm_and_keeps_the_form(qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        SandboxControl(sandbox.base_url).add_fault(method="POST", path="/api/payments", fault="status", status=422)
        qtbot.keyClicks(window.form.amount_edit, "10.00")
        qtbot.keyClicks(window.form.description_edit, "Kept after a refusal")
        reference = window.form.external_id_edit.text()
        with qtbot.waitSignal(window.flow.confirmOpened, timeout=3000) as blocker:
            qtbot.mouseClick(window.form.submit_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(window.flow.submitFailed, timeout=20000):
            qtbot.mouseClick(blocker.args[0].findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
        text = window.findChild(QLabel, "errorBannerText").text()
        assert text.startswith("The provider refused this payout:")
        assert "Traceback" not in text
        assert window.findChild(QLabel, "errorBannerText").isVisible()
        assert window.form.amount_edit.text() == "10.00"
        assert window.form.description_edit.text() == "Kept after a refusal"
        assert window.form.external_id_edit.text() == reference
        assert window.flow.checkin_dialog is None
    finally:
        close(qtbot, window)


def _confirmed_through_the_form(qtbot: Any, window: Any, amount: str) -> Any:
    """Type ``amount``, review, confirm; the record the submit ended with."""
    qtbot.keyClicks(window.form.amount_edit, amount)
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=3000) as blocker:
        qtbot.mouseClick(window.form.submit_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.flow.submitted, timeout=30000) as done:
        qtbot.mouseClick(blocker.args[0].findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    return done.args[0]


def test_an_answer_that_does_not_match_is_said_in_the_error_line_not_created(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path
) -> None:
    """Found by the money audit: a 201 echoing 1000.00 for a 10.00 payout ended the submit with the
    status bar's "Payout created." and no error line (only a passing notification)."""
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        control = SandboxControl(sandbox.base_url)
        control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields={"amount": "1000.00"})
        assert _confirmed_through_the_form(qtbot, window, "10.00").status == "mismatch"
        assert "do not match" in window.shown_error()
        assert "'1000.00'" in window.shown_error()
        assert "created" not in window.statusBar().currentMessage()
        assert len(control.payments()) == 1  # the provider holds it: nothing more is sent
    finally:
        close(qtbot, window)


def test_a_payout_without_an_answer_is_not_announced_as_created(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path
) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        control = SandboxControl(sandbox.base_url)
        control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
        control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=20)
        assert _confirmed_through_the_form(qtbot, window, "10.00").status == "outcome_unknown"
        assert "No answer from the provider yet" in window.shown_error()
        assert "created" not in window.statusBar().currentMessage()
        control.clear_faults()
    finally:
        close(qtbot, window)


def test_after_a_refusal_the_kept_form_can_be_corrected_and_sent(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path
) -> None:
    """Found by the money audit: the refusal keeps the form (reference included), but sending the
    corrected form was refused in turn — "already the reference of payout #1", the rejected one,
    which the provider never held (a rejection is never ambiguous)."""
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        control = SandboxControl(sandbox.base_url)
        control.add_fault(method="POST", path="/api/payments", fault="status", status=422)
        window.form.external_id_edit.setText("INV-2042")
        qtbot.keyClicks(window.form.amount_edit, "10.00")
        with qtbot.waitSignal(window.flow.confirmOpened, timeout=3000) as blocker:
            qtbot.mouseClick(window.form.submit_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(window.flow.submitFailed, timeout=20000):
            qtbot.mouseClick(blocker.args[0].findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
        assert window.form.external_id_edit.text() == "INV-2042"
        window.form.amount_edit.clear()
        assert _confirmed_through_the_form(qtbot, window, "12.00").status == "pending"
        [held] = control.payments()
        assert (held["externalId"], held["amount"]) == ("INV-2042", "12.00")
    finally:
        close(qtbot, window)


def test_a_provider_saying_rejected_never_reads_as_the_apps_rejected(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path
) -> None:
    """Found by the money audit: the provider's text "rejected" for a payout it holds read
    "Rejected" in the history, the details and the timeline — the app's word for "never held, key
    it again" — while the desk still follows it."""
    from payout_desk.ui.history.columns import COL_STATUS
    from payout_desk.ui.history.details_pane import WhatRole

    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        control = SandboxControl(sandbox.base_url)
        control.add_fault(method="POST", path="/api/payments", fault="rewrite", fields={"status": "rejected"})
        record = _confirmed_through_the_form(qtbot, window, "10.00")
        assert (record.status, record.provider_status) == ("created", "rejected")
        history = window.history
        qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=5000)
        shown = history.model.index(0, COL_STATUS).data()
        assert shown == "provider: rejected"
        with qtbot.waitSignal(history.details.eventsLoaded, timeout=5000):
            history.select_row(0)
        assert history.details.fields["status"].text() == "provider: rejected"
        timeline = history.details.timeline
        lines = [timeline.item(i).data(WhatRole) for i in range(timeline.count())]
        assert any("provider: rejected" in line for line in lines), lines
        assert not any("Rejected" in line for line in lines), lines
    finally:
        close(qtbot, window)


def test_banner_environments_and_token_mismatch(qtbot: Any, data_dir: Path) -> None:
    assert banner_text(Connection("sandbox", "Sandbox", "http://127.0.0.1:1", "test")) == "SANDBOX"
    assert banner_text(Connection("live", "Acme", "https://api.example", "live")) == "LIVE — Acme"
    warning = banner_text(Connection("live", "Acme", "https://api.example", "test"))
    assert warning.startswith("LIVE — Acme")
    assert "tk_test_" in warning
    assert "⚠" in warning
    assert "tk_live_" in banner_text(Connection("sandbox", "Sandbox", "http://127.0.0.1:1", "live"))
    from payout_desk.app.context import AppContext, AppPaths, LaunchOptions
    from payout_desk.ui.frame.main_window import MainWindow

    window = MainWindow(AppContext(LaunchOptions(data_dir=data_dir), AppPaths.resolve(data_dir)))
    qtbot.addWidget(window)
    window.show_connection(Connection("live", "Acme", "https://api.example", "live"))
    banner = window.findChild(QLabel, "environmentBanner")
    assert banner.text() == "LIVE — Acme"
    assert "#b3261e" in banner.styleSheet()  # the strong colour
    window.show_connection(Connection("sandbox", "Sandbox", "http://127.0.0.1:1", "test"))
    assert banner.text() == "SANDBOX"
    assert "#dcefe3" in banner.styleSheet()


def test_final_status_notifies(qtbot: Any, data_dir: Path) -> None:
    from payout_desk.app.context import AppContext, AppPaths, LaunchOptions
    from payout_desk.ui.frame.main_window import MainWindow

    window = MainWindow(AppContext(LaunchOptions(data_dir=data_dir), AppPaths.resolve(data_dir)))
    qtbot.addWidget(window)
    window.show()
    record = SimpleNamespace(
        amount=Decimal("7.50"),
        currency="EUR",
        recipient_name=None,
        status="failed",
        failure_reason="account_closed",
        last_error=None,
    )
    change = SimpleNamespace(record=record, became_final=True, previous_status="pending")
    listeners: list[Any] = []
    window.bridge.attach(SimpleNamespace(subscribe=lambda fn: listeners.append(fn) or (lambda: None)))
    with qtbot.waitSignal(window.notifier.notified, timeout=1000) as blocker:
        listeners[0](change)
    said = (
        "€7.50 failed. The recipient's bank account is closed. Ask them for another account and send a new"
        " payout. (account_closed)"
    )
    assert blocker.args == ["Payout failed", said]
    if not window.notifier.uses_tray:
        assert window.findChild(QLabel, "notificationToast").text() == said
    assert window.statusBar().currentMessage() == said
    with qtbot.assertNotEmitted(window.notifier.notified):
        listeners[0](SimpleNamespace(record=record, became_final=False, previous_status="failed"))


def test_keyboard_shortcuts(qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        window.activateWindow()
        qtbot.waitActive(window)
        search = window.findChild(QLineEdit, "searchEdit")
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(search.hasFocus, timeout=2000)
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(window.form.amount_edit.hasFocus, timeout=2000)
        qtbot.keyClicks(window.form.amount_edit, "3")
        with qtbot.waitSignal(window.flow.confirmOpened, timeout=3000) as blocker:
            qtbot.keyClick(window.form.amount_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        dialog = blocker.args[0]
        with qtbot.waitSignal(dialog.rejected, timeout=2000):
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)  # the window's again
        qtbot.waitUntil(lambda: not window.history.model.is_loading(), timeout=5000)  # F5 starts a new load
        with qtbot.waitSignal(window.history.model.loadingChanged, timeout=3000):
            qtbot.keyClick(window, Qt.Key.Key_F5)
        window.open_settings()
        qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=3000)
        assert window.flow.settings_dialog.objectName() == "settingsDialog"
        window.flow.settings_dialog.reject()
        qtbot.waitUntil(lambda: window.flow.settings_dialog is None, timeout=3000)
    finally:
        close(qtbot, window)


def test_the_error_line_goes_once_its_outage_recovered(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path
) -> None:
    (data_dir / "settings.json").write_text('{"resend_initial_interval": 0.2, "resend_max_interval": 0.5}')
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        SandboxControl(sandbox.base_url).add_fault(method="POST", path="/api/payments", fault="status", times=5)
        qtbot.keyClicks(window.form.amount_edit, "42.00")
        with qtbot.waitSignal(window.flow.confirmOpened, timeout=5000) as blocker:
            qtbot.mouseClick(window.form.submit_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(window.flow.submitted, timeout=30000) as sent:
            qtbot.mouseClick(blocker.args[0].findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
        assert sent.args[0].status == "outcome_unknown"
        banner = window.findChild(QLabel, "errorBannerText")
        assert window.shown_error().startswith("No answer from the provider yet.")
        qtbot.waitUntil(lambda: window.shown_error() == "", timeout=20000)  # resent by itself: the cause is gone
        assert not banner.isVisible()
        assert window.statusBar().currentMessage() == "The provider answered: the payout was sent once."
        assert len(SandboxControl(sandbox.base_url).payments()) == 1
    finally:
        if window.flow.checkin_dialog is not None:
            window.flow.checkin_dialog.reject()
        close(qtbot, window)
