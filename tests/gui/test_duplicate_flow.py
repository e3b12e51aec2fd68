"""The duplicate warning through the whole window against a real sandbox: the same payout entered
again is shown beside its twin, Confirm waits for "Send anyway", and the journal records it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton

from tests.gui.test_main_window_flow import close, launch_connected


def fill(window: Any, qtbot: Any, amount: str, name: str) -> None:
    form = window.form
    form.amount_edit.clear()
    qtbot.keyClicks(form.amount_edit, amount)
    form.currency_combo.set_code("EUR")
    qtbot.keyClicks(form.description_edit, "Refund order 1042")
    qtbot.keyClicks(form.recipient_name_edit, name)


def confirm_dialog(window: Any, qtbot: Any) -> Any:
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=5000) as blocker:
        qtbot.mouseClick(window.form.submit_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_the_same_payout_again_is_caught_and_the_override_recorded(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path
) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        fill(window, qtbot, "1250.00", "Ada Lovelace")
        first = confirm_dialog(window, qtbot)
        assert first.findChild(QLabel, "duplicateList") is None  # nothing like it yet
        with qtbot.waitSignal(window.flow.submitted, timeout=20000) as sent:
            qtbot.mouseClick(first.findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
        original = sent.args[0]
        qtbot.waitUntil(lambda: window.flow.checkin_dialog is not None, timeout=10000)
        window.flow.checkin_dialog.reject()

        fill(window, qtbot, "1250.00", "  ada   LOVELACE ")  # case and spaces differ
        second = confirm_dialog(window, qtbot)
        listed = second.findChild(QLabel, "duplicateList").text()
        assert f"payout #{original.local_id}" in listed
        assert "€1,250.00 to Ada Lovelace" in listed
        confirm = second.findChild(QPushButton, "confirmButton")
        assert not confirm.isEnabled()
        qtbot.mouseClick(second.findChild(QCheckBox, "sendAnywayCheck"), Qt.MouseButton.LeftButton)
        assert confirm.isEnabled()
        with qtbot.waitSignal(window.flow.submitted, timeout=20000) as again:
            qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
        record = again.args[0]
        future = qt_loop.create_task(window.context.desk.events(record.local_id))
        qtbot.waitUntil(future.done, timeout=5000)
        warnings = [e for e in future.result() if e.kind == "duplicate_warning"]
        assert [dict(e.detail) for e in warnings] == [{"shown": [original.local_id], "overridden": True}]
        assert warnings[0].actor == record.created_by
    finally:
        if window.flow.checkin_dialog is not None:
            window.flow.checkin_dialog.reject()
        close(qtbot, window)
