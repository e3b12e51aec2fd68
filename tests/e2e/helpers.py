"""Driving the real app end to end: the form, the confirmation, the QtWebEngine checkin page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from payout_desk.app import launch
from payout_desk.ui.history.model import StatusRole

CONNECT_MS = 20000
PAGE_MS = 20000
FINAL_MS = 20000


def launch_connected(qtbot: Any, base_url: str, data_dir: Path) -> Any:
    window = launch(["--sandbox-url", base_url, "--data-dir", str(data_dir)])
    qtbot.waitUntil(lambda: window.context.connection is not None and window.history is not None, timeout=CONNECT_MS)
    return window


def close(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
        window.close()


def fill_form(qtbot: Any, window: Any, amount: str, description: str = "Refund order 1042", name: str = "") -> None:
    amount_edit = window.findChild(QLineEdit, "amountEdit")
    amount_edit.setFocus()
    qtbot.keyClicks(amount_edit, amount)
    qtbot.keyClicks(window.findChild(QLineEdit, "descriptionEdit"), description)
    if name:
        qtbot.keyClicks(window.findChild(QLineEdit, "recipientNameEdit"), name)
    QApplication.processEvents()


def submit_and_confirm(qtbot: Any, window: Any) -> Any:
    """Click submit, then confirm; returns the CheckinDialog that opens (None if none opens)."""
    opened: list[Any] = []
    loads: list[bool] = []

    def on_checkin(dialog: Any) -> None:
        dialog.page.loadFinished.connect(loads.append)
        opened.append(dialog)

    window.flow.checkinOpened.connect(on_checkin)
    submit = window.findChild(QPushButton, "submitButton")
    assert submit.isEnabled()
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=3000) as blocker:
        qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    confirm = blocker.args[0]
    with qtbot.waitSignal(window.flow.submitted, timeout=FINAL_MS):
        qtbot.mouseClick(confirm.findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened) and bool(loads), timeout=PAGE_MS)
    window.flow.checkinOpened.disconnect(on_checkin)
    assert loads[0] is True, "the checkin page did not load"
    return opened[0]


def run_js(qtbot: Any, page: Any, script: str) -> Any:
    results: list[Any] = []
    page.runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=10000)
    return results[0]


def complete_checkin(
    qtbot: Any, dialog: Any, iban: str, *, decline: bool = False, holder: str = "Ada Lovelace"
) -> None:
    """Fill holderName and iban and press the page's own Submit (or Decline) button."""
    page = dialog.page
    assert run_js(qtbot, page, "document.getElementById('checkinForm') !== null") is True
    button = "declineButton" if decline else "submitButton"
    script = (
        f"document.getElementById('holderName').value = {json.dumps(holder)};"
        f"document.getElementById('iban').value = {json.dumps(iban)};"
        f"document.getElementById('{button}').click(); true"
    )
    with qtbot.waitSignal(dialog.completed, timeout=PAGE_MS):
        run_js(qtbot, page, script)


def row_status(window: Any, local_id: int) -> str | None:
    model = window.history.model
    row = model.row_of(local_id)
    if row is None:
        return None
    return model.index(row, 0).data(StatusRole)


def wait_status(qtbot: Any, window: Any, local_id: int, status: str) -> None:
    qtbot.waitUntil(lambda: row_status(window, local_id) == status, timeout=FINAL_MS)


def reopen_checkin(qtbot: Any, window: Any) -> Any:
    """Press the history's "Reopen checkin…" (a pending row selected); the dialog, page loaded."""
    reopen = window.history.findChild(QPushButton, "reopenCheckinButton")
    qtbot.waitUntil(reopen.isEnabled, timeout=5000)
    loads: list[bool] = []
    with qtbot.waitSignal(window.flow.checkinOpened, timeout=5000) as blocker:
        reopen.click()
    dialog = blocker.args[0]
    dialog.page.loadFinished.connect(loads.append)
    qtbot.waitUntil(lambda: bool(loads), timeout=PAGE_MS)
    return dialog
