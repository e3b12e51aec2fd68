"""End to end: form → confirm → journal → sandbox → real QtWebEngine checkin page → history row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from payout_desk.sandbox.client import SandboxControl
from payout_desk.ui.history.details_pane import WhatRole
from payout_desk.ui.sending.submit_flow import CLOSED_EARLY_TEXT
from tests.e2e.helpers import (
    close,
    complete_checkin,
    fill_form,
    launch_connected,
    reopen_checkin,
    row_status,
    submit_and_confirm,
    wait_status,
)

pytestmark = pytest.mark.e2e


def test_payout_succeeds_through_the_checkin_page(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, run_async: Any
) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        notices: list[tuple[str, str]] = []
        window.notifier.notified.connect(lambda title, message: notices.append((title, message)))
        fill_form(qtbot, window, "10.00", name="Ada Lovelace")
        dialog = submit_and_confirm(qtbot, window)
        local_id = dialog.local_id
        qtbot.waitUntil(lambda: row_status(window, local_id) == "pending", timeout=10000)
        # the form cleared for the next payout
        assert window.form.amount_edit.text() == ""
        complete_checkin(qtbot, dialog, "DE89370400440532013000")
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
        wait_status(qtbot, window, local_id, "succeeded")
        qtbot.waitUntil(lambda: bool(notices), timeout=5000)
        assert notices[0] == ("Payout succeeded", "€10.00 to Ada Lovelace succeeded.")  # the locale's format
        events = run_async(window.context.desk.events(local_id))
        kinds = [e.kind for e in events]
        assert "checkin_completed" in kinds  # the redirect was caught: the timeline says so
        assert kinds.index("checkin_completed") < len(kinds) - 1  # before the final status
        payments = SandboxControl(sandbox.base_url).payments()
        assert len(payments) == 1
        assert payments[0]["amount"] == "10.00"
        assert payments[0]["status"] == "succeeded"
        assert payments[0]["redirectUrl"].startswith("https://checkin-return.payout-desk.invalid/")
        settings = json.loads((data_dir / "settings.json").read_text(encoding="utf-8"))
        assert settings["recent_currencies"][0] == "EUR"  # remembered for the picker
    finally:
        close(qtbot, window)


@pytest.mark.parametrize(
    ("iban", "decline", "reason"),
    [("DE40370400440532010002", False, "account_closed"), ("DE89370400440532013000", True, "declined_by_recipient")],
)
def test_failing_iban_and_decline_end_failed(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, iban: str, decline: bool, reason: str
) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        fill_form(qtbot, window, "7.50")
        dialog = submit_and_confirm(qtbot, window)
        local_id = dialog.local_id
        complete_checkin(qtbot, dialog, iban, decline=decline)
        wait_status(qtbot, window, local_id, "failed")
        record = window.history.model.record_at(window.history.model.row_of(local_id))
        assert record.failure_reason == reason
        panel = window.history
        panel.select_row(panel.model.row_of(local_id))
        failure = panel.details.fields["failure"].text()
        assert failure.endswith(f"({reason})")  # the code kept beside the words
        assert failure.startswith("The recipient")
        assert "new payout" in failure  # the next step
        timeline = panel.details.timeline
        qtbot.waitUntil(lambda: timeline.count() >= 4, timeout=5000)
        texts = [timeline.item(i).data(WhatRole) for i in range(timeline.count())]
        assert any(t.startswith("Checkin completed") for t in texts)
        assert any(t.endswith(f"({reason})") and "Failed" in t for t in texts)
    finally:
        close(qtbot, window)


def test_close_early_then_reopen_from_history(qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        fill_form(qtbot, window, "12.34")
        dialog = submit_and_confirm(qtbot, window)
        local_id = dialog.local_id
        with qtbot.waitSignal(dialog.closedEarly, timeout=3000):
            dialog.findChild(QPushButton, "checkinCloseButton").click()
        assert row_status(window, local_id) == "pending"
        assert window.statusBar().currentMessage() == CLOSED_EARLY_TEXT  # what happens next
        assert "stays pending" in CLOSED_EARLY_TEXT
        # reopen from the history: select the row and press "Reopen checkin…"
        panel = window.history
        qtbot.waitUntil(lambda: panel.model.row_of(local_id) is not None, timeout=5000)
        panel.select_row(panel.model.row_of(local_id))
        status = panel.details.fields["status"]
        qtbot.waitUntil(lambda: status.text() == "Pending — waiting for the recipient's details", timeout=5000)
        again = reopen_checkin(qtbot, window)
        complete_checkin(qtbot, again, "GB82WEST12345698765432")
        wait_status(qtbot, window, local_id, "succeeded")
    finally:
        close(qtbot, window)


def test_dropped_answer_still_one_payout(qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path) -> None:
    """The provider creates the payout, then the connection drops: the retry (same key, same body)
    replays it. Exactly one payout at the sandbox, and the row ends right."""
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        SandboxControl(sandbox.base_url).add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
        fill_form(qtbot, window, "99.99")
        dialog = submit_and_confirm(qtbot, window)
        local_id = dialog.local_id
        complete_checkin(qtbot, dialog, "NL91ABNA0417164300")
        wait_status(qtbot, window, local_id, "succeeded")
        payments = SandboxControl(sandbox.base_url).payments()
        assert len(payments) == 1
        assert payments[0]["amount"] == "99.99"
        assert window.findChild(QLabel, "environmentBanner").text() == "SANDBOX"
    finally:
        close(qtbot, window)
